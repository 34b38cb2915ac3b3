// Start the workspace: only staff get past here. Without a session the browser goes to the
// sign-in screen at `/` (and comes back to the same hash after); a patient goes to their app.
import { html, render } from './html.js';
import { api, ApiError, NEXT_KEY, toSignIn } from './api.js';
import { chooseLanguage, loadArea, setLanguage, t } from './i18n.js';
import { setMe } from './session.js';
import { App } from './app.js';

function registerWorker() {
  // The server names the workspace's own service worker (staff notifications) when it has one.
  const url = document.querySelector('meta[name="afterglow-clinic-worker"]')?.content;
  if (!url || !('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register(url, { scope: '/clinic/', updateViaCache: 'none' }).catch(() => null);
}

function Unreachable() {
  return html`
    <main id="main" class="unreachable">
      <h1>${t('common.unreachable_title')}</h1>
      <p>${t('common.unreachable_body')}</p>
      <p><button type="button" class="button button-primary" onClick=${() => location.reload()}>${t('common.reload')}</button></p>
    </main>
  `;
}

async function boot() {
  const root = document.getElementById('app');
  let me;
  try {
    me = await api.get('/api/me', { signInOn401: false });
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      toSignIn();
      return;
    }
    await setLanguage(chooseLanguage(null));
    await loadArea('common').catch(() => null);
    render(html`<${Unreachable} />`, root);
    return;
  }
  if (me.role === 'patient') {
    location.replace('/');
    return;
  }
  setMe(me);
  await setLanguage(chooseLanguage(me.locale));
  await loadArea('common');
  const next = sessionStorage.getItem(NEXT_KEY);
  sessionStorage.removeItem(NEXT_KEY);
  if (next && (!location.hash || location.hash === '#/')) history.replaceState(null, '', next);
  render(html`<${App} />`, root);
  registerWorker();
}

boot();
