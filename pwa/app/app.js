// The app frame and its routes. Today is part of the first load; every other screen is
// imported when first opened (the service worker has them all for offline use).
import { html, useEffect, useState } from './html.js';
import { t } from './i18n.js';
import { useAppState } from './store.js';
import { go, useRoute } from './router.js';
import { BottomNav, ErrorNote, Header, Loading, Screen, StatusBar } from './ui.js';
import Today from './screens/today.js';

const loaders = {
  account: () => import('./screens/account.js'),
  checkin: () => import('./screens/checkin.js'),
  history: () => import('./screens/history.js'),
  journal: () => import('./screens/journal.js'),
  reminders: () => import('./screens/reminders.js'),
};

function Lazy({ module, render }) {
  const [loaded, setLoaded] = useState(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let live = true;
    loaders[module]().then(
      (m) => live && setLoaded(m),
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, [module]);
  if (failed) {
    return html`
      <${Screen} title=${t('common.screen_unavailable')}>
        <${ErrorNote} error=${t('common.screen_unavailable_body')} />
        <button type="button" class="button" onClick=${() => location.reload()}>${t('common.reload')}</button>
      <//>
    `;
  }
  return loaded ? render(loaded) : html`<${Loading} />`;
}

function Content({ route, me, sessionChecked }) {
  if (route.name === 'enroll') {
    return html`<${Lazy} key="account" module="account" render=${(m) => html`<${m.Enroll} token=${route.param} />`} />`;
  }
  if (!me) {
    if (!sessionChecked) return html`<${Loading} />`;
    const then = route.name === 'signin' ? null : route.path;
    return html`<${Lazy} key="account" module="account" render=${(m) => html`<${m.SignIn} then=${then} />`} />`;
  }
  if (me.role !== 'patient') {
    // Staff work in the clinician workspace; only once the server has confirmed the session
    // (a cached one may have ended, and /clinic/ would send the browser straight back).
    return html`<${Lazy} key="account" module="account" render=${(m) => html`<${m.ToWorkspace} confirmed=${sessionChecked} />`} />`;
  }
  switch (route.name) {
    case 'today':
      return html`<${Today} />`;
    case 'checkin':
      // Keyed by the visit: opening a check-in again starts it afresh, even from its own
      // crisis or result screen.
      return html`<${Lazy} key="checkin" module="checkin" render=${(m) => html`<${m.default} key=${route.visit} which=${route.param} />`} />`;
    case 'history':
      return html`<${Lazy} key="history" module="history" render=${(m) => html`<${m.default} />`} />`;
    case 'reminders':
      return html`<${Lazy} key="reminders" module="reminders" render=${(m) => html`<${m.default} />`} />`;
    case 'journal':
      return html`<${Lazy} key="journal" module="journal" render=${(m) => html`<${m.default} />`} />`;
    case 'account':
      return html`<${Lazy} key="account" module="account" render=${(m) => html`<${m.Account} />`} />`;
    case 'signin':
      go('/today', { replace: true });
      return null;
    default:
      return html`
        <${Screen} title=${t('common.not_found')}>
          <a class="button primary" href="#/today">${t('common.back_to_today')}</a>
        <//>
      `;
  }
}

export function App() {
  const route = useRoute();
  const { me, sessionChecked } = useAppState();
  const signedInPatient = me && me.role === 'patient';
  const tab = route.name === 'checkin' ? 'today' : route.name;
  return html`
    <${Header} />
    <${StatusBar} />
    <${Content} route=${route} me=${me} sessionChecked=${sessionChecked} />
    ${signedInPatient && route.name !== 'enroll' && html`<${BottomNav} current=${tab} />`}
  `;
}
