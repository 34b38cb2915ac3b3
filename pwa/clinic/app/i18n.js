// The workspace's strings: one catalogue per area and language (i18n/<lang>/<area>.json, keys
// "<area>.<key>"), loaded when a screen of that area first opens. English and Spanish ("usted");
// a key the language lacks is English, and a key no catalogue has shows as the key itself.
export const LANGUAGES = ['en', 'es'];
const LANGUAGE_KEY = 'afterglow-clinic-language';

let lang = 'en';
const loaded = new Set();
const strings = { en: {}, es: {} };
const filled = { en: new Set(), es: new Set() };
let plural = new Intl.PluralRules('en');
const listeners = new Set();

/** "es-MX" -> "es" when the workspace has it, else null. */
export function supported(locale) {
  const base = String(locale || '').toLowerCase().split(/[-_]/)[0];
  return LANGUAGES.includes(base) ? base : null;
}

/** The language chosen on this browser, else the user's locale, else the browser's, else English. */
export function chooseLanguage(userLocale) {
  const chosen = supported(localStorage.getItem(LANGUAGE_KEY));
  if (chosen) return chosen;
  if (supported(userLocale)) return supported(userLocale);
  for (const candidate of [...(navigator.languages || []), navigator.language]) {
    const found = supported(candidate);
    if (found) return found;
  }
  return 'en';
}

async function fetchArea(code, area) {
  const response = await fetch(new URL(`./i18n/${code}/${area}.json`, import.meta.url));
  if (!response.ok) throw new Error(`No ${code} strings for ${area}`);
  return response.json();
}

async function fill(code, area) {
  if (filled[code].has(area)) return;
  Object.assign(strings[code], await fetchArea(code, area));
  filled[code].add(area);
}

/** Load an area's strings in the current language (and English beneath them). */
export async function loadArea(area) {
  await Promise.all([fill(lang, area), lang === 'en' ? null : fill('en', area)]);
  loaded.add(area);
}

/** Switch language (remembered on this browser when `remember`): every loaded area follows. */
export async function setLanguage(next, { remember = false } = {}) {
  const code = supported(next) || 'en';
  if (remember) localStorage.setItem(LANGUAGE_KEY, code);
  await Promise.all([...loaded].flatMap((area) => [fill(code, area), fill('en', area)]));
  lang = code;
  plural = new Intl.PluralRules(lang);
  document.documentElement.lang = lang;
  for (const listener of listeners) listener(lang);
}

export const currentLanguage = () => lang;

/** Called with the new language whenever it changes; returns the function that stops it. */
export function onLanguageChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function lookup(catalogue, rules, key, params) {
  let text = catalogue[key];
  if (text === undefined && params && typeof params.count === 'number') {
    text = catalogue[`${key}.${rules.select(params.count)}`] ?? catalogue[`${key}.other`];
  }
  return text;
}

const englishPlural = new Intl.PluralRules('en');

/**
 * t('alerts.title', { count: 3 }) picks "alerts.title.one" or ".other" by the language's plural
 * rules when "alerts.title" itself is absent, then fills {placeholders}.
 */
export function t(key, params) {
  const text = lookup(strings[lang], plural, key, params) ?? lookup(strings.en, englishPlural, key, params);
  if (text === undefined) return key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

export const has = (key) => key in strings[lang] || key in strings.en;

export function formatNumber(value, options) {
  return new Intl.NumberFormat(lang, options).format(value);
}

/** "29 Nov 2026, 14:05" in the workspace's language (the browser's time zone). */
export function formatDateTime(value, options = { dateStyle: 'medium', timeStyle: 'short' }) {
  if (value === null || value === undefined) return '';
  return new Intl.DateTimeFormat(lang, options).format(new Date(value));
}

export function formatDate(value, options = { dateStyle: 'medium' }) {
  return formatDateTime(value, options);
}

const UNITS = [
  ['year', 365 * 86400],
  ['month', 30 * 86400],
  ['week', 7 * 86400],
  ['day', 86400],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];

/**
 * "5 days ago", "in 3 hours", "yesterday": the largest whole unit, through
 * Intl.RelativeTimeFormat. Days stay days up to a month, as a clinician counts them
 * ("12 days ago", not "2 weeks ago"), unless `weeks` is asked for.
 */
export function relativeTime(value, { now = Date.now(), weeks = false } = {}) {
  if (value === null || value === undefined) return '';
  const seconds = Math.round((new Date(value).getTime() - now) / 1000);
  const format = new Intl.RelativeTimeFormat(lang, { numeric: 'auto' });
  const size = Math.abs(seconds);
  for (const [unit, length] of UNITS) {
    if (unit === 'week' && !weeks) continue;
    if (size >= length || unit === 'second') {
      return format.format(Math.trunc(seconds / length), unit);
    }
  }
  return format.format(0, 'second');
}
