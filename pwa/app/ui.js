// Pieces every screen shares: the frame (header, status, navigation) and the big answer targets.
import { html, useEffect, useRef } from './html.js';
import { formatTime, t } from './i18n.js';
import { useAppState } from './store.js';

/**
 * The language of an instrument's wording, as the registry serves it: the patient's, or English
 * where theirs has no confirmed version. Marking it lets screen readers pronounce it right.
 */
export const wordingLang = (instrument) => instrument?.lang || 'en';

/** A screen: its heading takes focus when it opens, so screen readers announce the new screen. */
export function Screen({ title, titleLang, lang, children, headingRef, className = '' }) {
  const ownRef = useRef(null);
  const ref = headingRef || ownRef;
  useEffect(() => {
    document.title = `${title} · Afterglow`;
    ref.current?.focus({ preventScroll: false });
  }, [title]);
  return html`
    <main id="main" class=${`screen ${className}`} lang=${lang}>
      <h1 tabindex="-1" ref=${ref} lang=${titleLang}>${title}</h1>
      ${children}
    </main>
  `;
}

export function StatusBar() {
  const { online, signinNeeded, outbox } = useAppState();
  const waiting = outbox.filter((e) => e.status === 'waiting').length;
  return html`
    <div class="status" role="status" aria-live="polite">
      ${!online &&
      html`<p class="banner banner-offline">${t('status.offline')}</p>`}
      ${signinNeeded &&
      html`<p class="banner banner-warn">
        ${t('status.signin_to_send', { count: waiting })}
        <a href="#/signin">${t('status.signin_link')}</a>
      </p>`}
    </div>
  `;
}

export function Header() {
  const { me } = useAppState();
  return html`
    <header class="app-header">
      <span class="brand"><img src="/icons/icon.svg" alt="" width="28" height="28" /> Afterglow</span>
      ${me &&
      html`<span class="header-end">
        <span class="clinic">${me.clinic?.name}</span>
        ${me.role === 'patient' && html`<a class="account-link" href="#/account">${t('nav.account')}</a>`}
      </span>`}
    </header>
  `;
}

const TABS = [
  ['today', '#/today', 'nav.today'],
  ['history', '#/history', 'nav.history'],
  ['journal', '#/journal', 'nav.journal'],
  ['reminders', '#/reminders', 'nav.reminders'],
];

export function BottomNav({ current }) {
  return html`
    <nav class="tabs" aria-label=${t('nav.label')}>
      ${TABS.map(
        ([name, href, key]) => html`
          <a href=${href} aria-current=${current === name ? 'page' : undefined}>${t(key)}</a>
        `,
      )}
    </nav>
  `;
}

// The same number tapped again this soon is the same answer (a double tap, or a tap that did
// not seem to take), not a second one.
const SAME_ANSWER_MS = 5000;

/**
 * 0-10 as big buttons (one tap answers). The name of each button starts with its visible
 * number, and the anchors ("Worst", "Best") come from the instrument. A double tap logs once.
 */
export function ScaleButtons({ item, onPick, picked, labelledBy, describedBy, lang }) {
  const last = useRef({ value: null, at: 0 });
  const pick = (value) => {
    const now = Date.now();
    if (last.current.value === value && now - last.current.at < SAME_ANSWER_MS) return;
    last.current = { value, at: now };
    onPick(value);
  };
  return html`
    <div class="scale" role="group" aria-labelledby=${labelledBy} aria-describedby=${describedBy}>
      ${item.options.map(
        (option) => html`
          <button
            type="button"
            class="scale-button"
            aria-pressed=${picked === option.value ? 'true' : 'false'}
            aria-label=${t('scale.value', { value: option.value, max: item.options.length - 1 }) +
            (String(option.label) !== String(option.value) ? ` (${option.label})` : '')}
            onClick=${() => pick(option.value)}
          >
            ${option.value}
          </button>
        `,
      )}
    </div>
    <div class="scale-anchors" aria-hidden="true" lang=${lang}>
      <span>${item.options[0].label}</span><span>${item.options[item.options.length - 1].label}</span>
    </div>
  `;
}

export function Attribution({ instrument }) {
  if (!instrument?.attribution) return null;
  const lang = instrument.attribution_lang || wordingLang(instrument);
  return html`<p class="attribution" lang=${lang}>${instrument.attribution}</p>`;
}

export function Loading() {
  return html`<p class="loading" role="status">${t('common.loading')}</p>`;
}

export function ErrorNote({ error }) {
  if (!error) return null;
  return html`<p class="error" role="alert">${error}</p>`;
}

function savedNote(entry) {
  const values = { value: entry.answers[0], time: formatTime(entry.taken_at) };
  if (entry.status === 'sent') return t('today.saved_sent', values);
  if (entry.status === 'failed') return t('today.saved_refused', values);
  return t('today.saved_waiting', values);
}

/** "Saved 7/10 at 20:14", then whether it has reached the clinic (kept current from the outbox). */
export function SavedNote({ entry }) {
  const { outbox } = useAppState();
  const current = entry && (outbox.find((e) => e.id === entry.id) || entry);
  return html`
    <p class="saved" role="status" aria-live="polite">
      ${current && savedNote(current)}
    </p>
  `;
}
