// Every string the patient reads comes from a catalogue (i18n/<lang>.json), the same files the
// server reads for reminder pushes and the crisis message; this picks the language and formats
// numbers and dates the way that language writes them. A text the language lacks is English.
export const LANGUAGES = ['en', 'es'];

let lang = 'en';
let catalogue = {};
let plural = new Intl.PluralRules('en');
let english = {};
const englishPlural = new Intl.PluralRules('en');

/** "es-MX" -> "es" when we ship it, else null. */
export function supported(locale) {
  const base = String(locale || '').toLowerCase().split(/[-_]/)[0];
  return LANGUAGES.includes(base) ? base : null;
}

/**
 * A patient's language is their locale, else English, as on the server (pushes, the crisis
 * message), so the app never mixes languages with what the server sends. Before anyone has
 * signed in, the phone's languages, then English.
 */
export function chooseLanguage(patientLocale) {
  if (patientLocale) return supported(patientLocale) || 'en';
  for (const candidate of [...(navigator.languages || []), navigator.language]) {
    const found = supported(candidate);
    if (found) return found;
  }
  return 'en';
}

async function fetchCatalogue(code) {
  const response = await fetch(new URL(`./i18n/${code}.json`, import.meta.url));
  return response.json();
}

export async function loadLanguage(next) {
  if (next === lang && Object.keys(catalogue).length) return;
  const [strings, fallback] = await Promise.all([
    fetchCatalogue(next),
    next === 'en' || Object.keys(english).length ? null : fetchCatalogue('en'),
  ]);
  catalogue = strings;
  if (next === 'en') english = strings;
  else if (fallback) english = fallback;
  lang = next;
  plural = new Intl.PluralRules(lang);
  document.documentElement.lang = lang;
}

export const currentLanguage = () => lang;

function lookup(strings, rules, key, params) {
  let text = strings[key];
  if (params && typeof params.count === 'number' && text === undefined) {
    text = strings[`${key}.${rules.select(params.count)}`] ?? strings[`${key}.other`];
  }
  return text;
}

function fill(text, params) {
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/**
 * t('today.days_since', {count: 3}) picks "today.days_since.one" or ".other" by the language's
 * plural rules, then fills {placeholders}. A key the language lacks is English; a key no
 * catalogue has shows the key, so it is easy to spot.
 */
export function t(key, params) {
  const text = lookup(catalogue, plural, key, params) ?? lookup(english, englishPlural, key, params);
  return text === undefined ? key : fill(text, params);
}

export const has = (key) => key in catalogue || key in english;

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
