// The workspace frame: skip link, header (clinic, navigation, who is signed in, language, sign
// out) and the screen of the current hash route, loaded with its strings when first opened.
import { html, useEffect, useErrorBoundary, useReducer, useState } from './html.js';
import { currentLanguage, LANGUAGES, loadArea, onLanguageChange, setLanguage, t } from './i18n.js';
import { HOME, ROUTES } from './routes.js';
import { isAdmin, signOut, useMe } from './session.js';
import { Button, ErrorNote, Loading, Page } from './ui.js';

/** '#/patients/12/record?tab=x' against '#/patients/:id/record' -> { id: '12' }, else null. */
export function matchPattern(pattern, path) {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return null;
  const params = {};
  for (let i = 0; i < want.length; i += 1) {
    if (want[i].startsWith(':')) {
      if (!got[i]) return null;
      params[want[i].slice(1)] = decodeURIComponent(got[i]);
    } else if (want[i] !== got[i]) {
      return null;
    }
  }
  return params;
}

/** The current route: { route, params, query, path } (route null when none matches). */
export function parseLocation(hash = location.hash) {
  const [path, search = ''] = (hash || '').split('?');
  const query = Object.fromEntries(new URLSearchParams(search));
  for (const route of ROUTES) {
    const params = matchPattern(route.pattern, path);
    if (params) return { route, params, query, path };
  }
  return { route: null, params: {}, query, path };
}

function useLocation() {
  const [, rerender] = useReducer((n) => n + 1, 0);
  useEffect(() => {
    addEventListener('hashchange', rerender);
    return () => removeEventListener('hashchange', rerender);
  }, []);
  return parseLocation();
}

/** Where an admin starts (admins have no patients' screens: those are for clinicians). */
const ADMIN_HOME = '#/admin/staff';

/** Where this staff member starts: the inbox for a clinician, staff for an admin. */
export function homeFor(me) {
  return isAdmin(me) ? ADMIN_HOME : HOME;
}

// Who each item is for: patients' screens are for clinicians (the API keeps them to clinicians),
// the clinic's pooled figures for all staff, administration for admins.
const NAV = [
  { id: 'inbox', href: '#/inbox', label: 'common.nav.inbox', roles: ['clinician'] },
  { id: 'alerts', href: '#/alerts', label: 'common.nav.alerts', roles: ['clinician'] },
  { id: 'clinic', href: '#/clinic', label: 'common.nav.clinic', roles: ['clinician', 'admin'] },
  { id: 'enroll', href: '#/enroll', label: 'common.nav.enroll', roles: ['clinician'] },
  { id: 'admin', href: ADMIN_HOME, label: 'common.nav.admin', roles: ['admin'] },
];

function NavBar({ current }) {
  const me = useMe();
  return html`
    <nav class="main-nav" aria-label=${t('common.nav.label')}>
      <ul>
        ${NAV.filter((item) => item.roles.includes(me.role)).map(
          (item) => html`
            <li key=${item.id}>
              <a href=${item.href} aria-current=${current === item.id ? 'page' : undefined}>${t(item.label)}</a>
            </li>
          `,
        )}
      </ul>
    </nav>
  `;
}

function LanguagePicker() {
  const [busy, setBusy] = useState(false);
  const change = async (event) => {
    setBusy(true);
    try {
      await setLanguage(event.target.value, { remember: true });
    } finally {
      setBusy(false);
    }
  };
  return html`
    <label class="language">
      <span class="visually-hidden">${t('common.language')}</span>
      <select onChange=${change} disabled=${busy} value=${currentLanguage()}>
        ${LANGUAGES.map((code) => html`<option value=${code} lang=${code}>${t(`common.language.${code}`)}</option>`)}
      </select>
    </label>
  `;
}

function Header({ current }) {
  const me = useMe();
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const leave = async () => {
    setBusy(true);
    setError(null);
    try {
      await signOut();
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  return html`
    <header class="app-header">
      <div class="header-row">
        <a class="brand" href=${homeFor(me)}>
          <img src="/icons/icon.svg" alt="" width="28" height="28" />
          <span class="brand-name">Afterglow</span>
          <span class="clinic-name">${me.clinic.name}</span>
        </a>
        <div class="user">
          <span class="who">
            <span class="visually-hidden">${t('common.signed_in_as')} </span>
            <span class="who-name">${me.display_name}</span>
            <span class="who-role">${t(`common.role.${me.role}`)}</span>
          </span>
          <${LanguagePicker} />
          <${Button} kind="link" onClick=${leave} busy=${busy}>${t('common.sign_out')}<//>
        </div>
      </div>
      <${NavBar} current=${current} />
      <${ErrorNote} error=${error} />
    </header>
  `;
}

function BackHome() {
  const me = useMe();
  const label = isAdmin(me) ? 'common.back_to_staff' : 'common.back_to_inbox';
  return html`<p><a class="button button-primary" href=${homeFor(me)}>${t(label)}</a></p>`;
}

function NotFound() {
  return html`
    <${Page} title=${t('common.not_found')}>
      <p>${t('common.not_found_body')}</p>
      <${BackHome} />
    <//>
  `;
}

function AdminsOnly() {
  return html`
    <${Page} title=${t('common.admins_only')}>
      <p>${t('common.admins_only_body')}</p>
      <${BackHome} />
    <//>
  `;
}

function ScreenFailed({ error }) {
  return html`
    <${Page} title=${t('common.screen_failed')}>
      <${ErrorNote} error=${error} />
      <p><${Button} kind="primary" onClick=${() => location.reload()}>${t('common.reload')}<//></p>
    <//>
  `;
}

/** A screen's own failure stays inside the frame: the header and navigation keep working. */
function Guarded({ children }) {
  const [error] = useErrorBoundary((e) => console.error(e));
  return error ? html`<${ScreenFailed} error=${error} />` : children;
}

/** The screen of `route`, once its module and strings are loaded; "not found" when it has none. */
function RouteScreen({ route, params, query }) {
  const [loaded, setLoaded] = useState({ route: null, Screen: null, missing: false });
  useEffect(() => {
    let live = true;
    Promise.all([route.load(), route.area ? loadArea(route.area).catch(() => null) : null]).then(
      ([module]) => live && setLoaded({ route, Screen: module.default, missing: !module.default }),
      () => live && setLoaded({ route, Screen: null, missing: true }),
    );
    return () => {
      live = false;
    };
  }, [route]);
  if (loaded.route !== route) return html`<${Loading} />`;
  if (loaded.missing) return html`<${NotFound} />`;
  const { Screen } = loaded;
  return html`<${Screen} params=${params} query=${query} />`;
}

function Content({ where }) {
  const me = useMe();
  if (!where.route) return html`<${NotFound} />`;
  if (where.route.admin && !isAdmin(me)) return html`<${AdminsOnly} />`;
  return html`
    <${Guarded} key=${where.path}>
      <${RouteScreen} route=${where.route} params=${where.params} query=${where.query} />
    <//>
  `;
}

function skipToContent(event) {
  // The hash is the route: move the focus without touching it.
  event.preventDefault();
  const main = document.getElementById('main');
  const heading = main.querySelector('h1');
  (heading || main).focus();
}

export function App() {
  const me = useMe();
  const where = useLocation();
  const [, rerender] = useReducer((n) => n + 1, 0);
  useEffect(() => onLanguageChange(rerender), []);
  useEffect(() => {
    if (!location.hash || location.hash === '#' || location.hash === '#/') {
      history.replaceState(null, '', homeFor(me));
      rerender();
    }
  }, [where.path]);
  return html`
    <a class="skip-link" href="#main" onClick=${skipToContent}>${t('common.skip_to_content')}</a>
    <${Header} current=${where.route?.nav} />
    <main id="main" tabindex="-1">
      <${Content} where=${where} />
    </main>
    <div id="announcer" class="visually-hidden" aria-live="polite"></div>
  `;
}
