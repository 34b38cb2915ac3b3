// Every string the patient reads comes from a catalogue (i18n/<lang>.json); this picks the
// language and formats numbers and dates the way that language writes them.
export const LANGUAGES = ['en', 'es'];

let lang = 'en';
let catalogue = {};
let plural = new Intl.PluralRules('en');

/** "es-MX" -> "es" when we ship it, else null. */
export function supported(locale) {
  const base = String(locale || '').toLowerCase().split(/[-_]/)[0];
  return LANGUAGES.includes(base) ? base : null;
}

/** The patient's own locale first, then the phone's languages, then English. */
export function chooseLanguage(patientLocale) {
  const candidates = [patientLocale, ...(navigator.languages || []), navigator.language];
  for (const candidate of candidates) {
    const found = supported(candidate);
    if (found) return found;
  }
  return 'en';
}

export async function loadLanguage(next) {
  if (next === lang && Object.keys(catalogue).length) return;
  const response = await fetch(new URL(`./i18n/${next}.json`, import.meta.url));
  catalogue = await response.json();
  lang = next;
  plural = new Intl.PluralRules(lang);
  document.documentElement.lang = lang;
}

export const currentLanguage = () => lang;

/**
 * t('today.days_since', {count: 3}) picks "today.days_since.one" or ".other" by the language's
 * plural rules, then fills {placeholders}. A missing key shows the key, so it is easy to spot.
 */
export function t(key, params) {
  let text = catalogue[key];
  if (params && typeof params.count === 'number' && text === undefined) {
    text = catalogue[`${key}.${plural.select(params.count)}`] ?? catalogue[`${key}.other`];
  }
  if (text === undefined) return key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

export const has = (key) => key in catalogue;

export function formatDate(value, options = { weekday: 'short', day: 'numeric', month: 'short' }) {
  return new Intl.DateTimeFormat(lang, options).format(new Date(value));
}

export function formatTime(value) {
  return new Intl.DateTimeFormat(lang, { hour: 'numeric', minute: '2-digit' }).format(new Date(value));
}

/** Date and time; `timeZone` shows it on the patient's clock rather than the phone's. */
export function formatDateTime(value, timeZone) {
  return new Intl.DateTimeFormat(lang, {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: 'numeric',
    minute: '2-digit',
    timeZone,
  }).format(new Date(value));
}

export function formatNumber(value, digits = 0) {
  return new Intl.NumberFormat(lang, { maximumFractionDigits: digits }).format(value);
}
