// Hash routes (/#/today, /#/checkin/phq9, ...): the server serves one page, and reminder
// links, enrollment links and the installed app's start all land on it.
import { useEffect, useReducer } from './html.js';

export const ROUTES = [
  ['today', /^\/?(today)?$/],
  ['checkin', /^\/checkin\/(mood|pain|phq9|gad7|after)$/],
  ['history', /^\/history$/],
  ['reminders', /^\/reminders$/],
  ['journal', /^\/journal$/],
  ['account', /^\/account$/],
  ['enroll', /^\/enroll\/([A-Za-z0-9_-]+)$/],
  ['signin', /^\/signin$/],
];

export function parseHash(hash = location.hash) {
  const path = decodeURIComponent(hash.replace(/^#/, '')) || '/';
  for (const [name, pattern] of ROUTES) {
    const match = path.match(pattern);
    if (match) return { name, param: match[1] || null, path };
  }
  return { name: 'notfound', param: null, path };
}

export function go(path, { replace = false } = {}) {
  const hash = `#${path}`;
  if (replace) {
    const oldURL = location.href;
    history.replaceState(null, '', hash);
    dispatchEvent(new HashChangeEvent('hashchange', { oldURL, newURL: location.href }));
  } else if (location.hash !== hash) {
    location.hash = hash;
  }
}

/** Open a URL from a notification or a link ("/#/checkin/phq9") inside the running app. */
export function openAppUrl(url) {
  const target = new URL(url, location.origin);
  if (target.origin !== location.origin) return;
  go(target.hash.replace(/^#/, '') || '/today');
}

// Every arrival at a screen counts, even when the hash ends where it was: two quick changes
// (Today, then back to the same check-in) can reach the app as one render with an unchanged
// route, and a finished questionnaire must still start afresh.
let visit = 0;
addEventListener('hashchange', () => {
  visit += 1;
});

/** The current route, with `visit`: a number that changes on every navigation. */
export function useRoute() {
  const [, rerender] = useReducer((n) => n + 1, 0);
  useEffect(() => {
    addEventListener('hashchange', rerender);
    return () => removeEventListener('hashchange', rerender);
  }, []);
  return { ...parseHash(), visit };
}
