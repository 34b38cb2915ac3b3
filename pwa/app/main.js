// Start the app: show what this phone knows at once, then check with the server, send the
// outbox, and register the service worker.
import { html, render } from './html.js';
import { App } from './app.js';
import { openAppUrl } from './router.js';
import { getState, setState } from './store.js';
import { refreshSession, restoreCached } from './session.js';
import { flushOutbox, refreshOutbox, watchOutbox } from './outbox.js';

function listenToServiceWorker() {
  const container = navigator.serviceWorker;
  if (!container) return;
  let controlled = Boolean(container.controller);
  container.addEventListener('controllerchange', () => {
    // A new release took over (not the first install): reload at the next change of screen.
    if (controlled) setState({ updateReady: true });
    controlled = true;
  });
  container.addEventListener('message', (event) => {
    const message = event.data || {};
    if (message.type === 'outbox-changed') refreshOutbox();
    if (message.type === 'push') dispatchEvent(new Event('afterglow:refresh'));
    if (message.type === 'navigate') openAppUrl(message.url);
  });
  container.startMessages();
}

async function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  try {
    await navigator.serviceWorker.register('/sw.js', { scope: '/', updateViaCache: 'none' });
  } catch {
    // Without a service worker the app still works online; offline start needs it.
  }
}

async function boot() {
  addEventListener('online', () => setState({ online: true }));
  addEventListener('offline', () => setState({ online: false }));
  addEventListener('hashchange', () => {
    // A new release took over: start it on the way to the next screen. Within a screen (a
    // questionnaire half answered) the hash does not change, so nothing typed is lost.
    if (getState().updateReady) location.reload();
  });
  await restoreCached();
  await refreshOutbox();
  render(html`<${App} />`, document.getElementById('app'));
  listenToServiceWorker();
  watchOutbox();
  addEventListener('afterglow:session-ended', () => refreshSession().catch(() => null));
  try {
    await refreshSession();
  } finally {
    setState({ sessionChecked: true });
  }
  if (getState().me) flushOutbox();
  registerServiceWorker();
}

boot();
