// Every string the patient reads comes from a catalogue (i18n/<lang>.json), the same files the
// server reads for reminder pushes and the crisis message; this picks the language and formats
// numbers and dates the way that language writes them. A text the language lacks is English.
export const LANGUAGES = ['en', 'es'];

// The names of the languages, each in itself: a patient picks theirs whatever the app speaks now.
export const LANGUAGE_NAMES = { en: 'English', es: 'Español' };

let lang = 'en';
// Dates and numbers are written as the patient's stored locale writes them (es-MX, en-GB) when
// it is a locale of the language the app speaks now; otherwise as that language does.
let formats = 'en';
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

/** The Intl locale for `code` when the patient's stored `locale` belongs to it (es + es-MX). */
function formatsFor(code, locale) {
  if (!locale || supported(locale) !== code) return code;
  try {
    return Intl.getCanonicalLocales(String(locale).replace('_', '-'))[0];
  } catch {
    return code;
  }
}

/** Speak `next` (a language we ship); `locale` is the patient's stored one, for dates and numbers. */
export async function loadLanguage(next, locale = null) {
  formats = formatsFor(next, locale);
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

/** The locale dates and numbers are written in (es-MX for a Mexican Spanish speaker). */
export const formatLocale = () => formats;

/**
 * A label set inside a sentence ("0 es {low}"): its first letter lowercased as the language
 * does, unless the label starts with a capitalised acronym or name (PHQ-9).
 */
export function inSentence(label) {
  const text = String(label ?? '');
  if (text.length < 2 || text[1] !== text[1].toLocaleLowerCase(lang)) return text;
  return text[0].toLocaleLowerCase(lang) + text.slice(1);
}

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
  return new Intl.DateTimeFormat(formats, options).format(new Date(value));
}

export function formatTime(value) {
  return new Intl.DateTimeFormat(formats, { hour: 'numeric', minute: '2-digit' }).format(new Date(value));
}

/** The numbers beside a chart's value axis (uPlot `axes[].values`). */
export function chartNumbers(_plot, splits) {
  const number = new Intl.NumberFormat(formats, { maximumFractionDigits: 1 });
  return splits.map((value) => (value == null ? '' : number.format(value)));
}

/** The dates under a chart's time axis (uPlot `axes[].values`; splits are in seconds). */
export function chartDates(_plot, splits) {
  const day = new Intl.DateTimeFormat(formats, { day: 'numeric', month: 'short' });
  return splits.map((seconds) => (seconds == null ? '' : day.format(new Date(seconds * 1000))));
}

/** Date and time; `timeZone` shows it on the patient's clock rather than the phone's. */
export function formatDateTime(value, timeZone) {
  return new Intl.DateTimeFormat(formats, {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: 'numeric',
    minute: '2-digit',
    timeZone,
  }).format(new Date(value));
}

export function formatNumber(value, digits = 0) {
  return new Intl.NumberFormat(formats, { maximumFractionDigits: digits }).format(value);
}
