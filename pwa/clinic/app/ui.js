// Small pieces every workspace screen shares: the page heading (title and focus), chips,
// buttons, form fields, tables with paging, relative times, errors, per-screen stylesheets and
// a hook for loading from the API.
import { html, useCallback, useEffect, useId, useRef, useState } from './html.js';
import { formatDateTime, relativeTime, t } from './i18n.js';
import { getMe } from './session.js';

// How many times the route changed since the page loaded: a heading takes focus only after a
// navigation (on the first load the skip link stays the first thing a keyboard reaches).
let navigations = 0;
addEventListener('hashchange', () => {
  navigations += 1;
});

/** Sets the browser tab's title: "Inbox · Clinic name · Afterglow". */
export function setTitle(title) {
  const clinic = getMe()?.clinic?.name;
  document.title = [title, clinic, 'Afterglow'].filter(Boolean).join(' · ');
}

/**
 * A screen's heading: sets the tab title and, after a navigation, takes the focus so that
 * screen readers announce the new screen and Tab continues from there. `actions` sit beside it.
 */
export function Page({ title, lead, actions, children, className = '' }) {
  const heading = useRef(null);
  useEffect(() => {
    setTitle(title);
  }, [title]);
  useEffect(() => {
    if (navigations > 0) heading.current?.focus({ preventScroll: true });
  }, []);
  return html`
    <div class=${`page ${className}`}>
      <div class="page-head">
        <h1 tabindex="-1" ref=${heading}>${title}</h1>
        ${actions && html`<div class="page-actions">${actions}</div>`}
      </div>
      ${lead && html`<p class="lead">${lead}</p>`}
      ${children}
    </div>
  `;
}

/** A short coloured label: tone is neutral, info, good, warn, danger or muted. */
export function Chip({ tone = 'neutral', title, children }) {
  return html`<span class=${`chip chip-${tone}`} title=${title}>${children}</span>`;
}

/** kind: primary, secondary (default), danger or link; size: small. `busy` disables it while work runs. */
export function Button({ kind = 'secondary', size, type = 'button', busy = false, disabled, className = '', children, ...rest }) {
  const classes = ['button', `button-${kind}`, size && `button-${size}`, className].filter(Boolean).join(' ');
  return html`
    <button type=${type} class=${classes} disabled=${disabled || busy} aria-busy=${busy ? 'true' : undefined} ...${rest}>
      ${children}
    </button>
  `;
}

/**
 * A labelled form field. `children` is either an element that takes `id` itself, or a
 * function given { id, 'aria-describedby', 'aria-invalid' } to spread on the control.
 * `error` (the server's message for this field) shows under it and marks it invalid.
 */
export function Field({ label, hint, error, children, className = '' }) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : null;
  const errorId = error ? `${id}-error` : null;
  const described = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  const props = { id, 'aria-describedby': described, 'aria-invalid': error ? 'true' : undefined };
  return html`
    <div class=${`field ${className}`}>
      <label for=${id}>${label}</label>
      ${typeof children === 'function' ? children(props) : children}
      ${hint && html`<p class="hint" id=${hintId}>${hint}</p>`}
      ${error && html`<p class="field-error" id=${errorId}>${error}</p>`}
    </div>
  `;
}

/** The message of an error as a person should read it: the server's own words for an ApiError. */
export function messageOf(error) {
  if (!error) return '';
  if (typeof error === 'string') return error;
  if (error.name === 'NetworkError') return t('common.offline');
  return error.detail || error.message || String(error);
}

/**
 * The error as the server said it, with the fields it names ("alert_window_hours: Expected
 * `float` <= 72.0") unless the screen shows those beside the fields (`withFields={false}`).
 */
export function ErrorNote({ error, withFields = true }) {
  if (!error) return null;
  const fields = withFields && error.fields ? Object.entries(error.fields) : [];
  const detail = messageOf(error);
  return html`
    <div class="error-note" role="alert">
      <p>${detail}</p>
      ${fields.length > 0 &&
      html`<ul>
        ${fields.filter(([, m]) => m && m !== detail).map(([key, m]) => html`<li><code>${key}</code>: ${m}</li>`)}
      </ul>`}
    </div>
  `;
}

/** A quiet, polite note (saved, sent...): `tone` is info, good or warn. */
export function Notice({ tone = 'info', children }) {
  return html`<div class=${`notice notice-${tone}`} role="status">${children}</div>`;
}

export function Loading({ label }) {
  return html`<p class="loading" role="status">${label || t('common.loading')}</p>`;
}

/** <time> reading "5 days ago", with the exact date and time on hover and for screen readers. */
export function RelativeTime({ value, now }) {
  if (!value) return null;
  const exact = formatDateTime(value);
  return html`<time datetime=${new Date(value).toISOString()} title=${exact}>${relativeTime(value, { now })}</time>`;
}

/**
 * A table in a labelled region that scrolls sideways on its own when narrower than its columns
 * (the page itself never does). columns: [{ key, label, render?(row), numeric?, className? }].
 */
export function DataTable({ caption, columns, rows, rowKey = (row) => row.id, empty, captionHidden = false }) {
  if (!rows.length && empty) return html`<p class="empty">${empty}</p>`;
  return html`
    <div class="table-wrap" role="region" aria-label=${caption} tabindex="0">
      <table class="data-table">
        <caption class=${captionHidden ? 'visually-hidden' : ''}>${caption}</caption>
        <thead>
          <tr>
            ${columns.map((c) => html`<th scope="col" class=${`${c.numeric ? 'num ' : ''}${c.className || ''}`}>${c.label}</th>`)}
          </tr>
        </thead>
        <tbody>
          ${rows.map(
            (row) => html`
              <tr key=${rowKey(row)}>
                ${columns.map(
                  (c) => html`<td class=${`${c.numeric ? 'num ' : ''}${c.className || ''}`}>${c.render ? c.render(row) : row[c.key]}</td>`,
                )}
              </tr>
            `,
          )}
        </tbody>
      </table>
    </div>
  `;
}

/**
 * Previous / next for an offset-paged list. `shown` is how many rows this page has; `total`
 * when the API tells it, else a full page is taken to mean there may be more.
 */
export function Pager({ offset, limit, shown, total, onChange, label }) {
  const hasMore = total !== undefined && total !== null ? offset + shown < total : shown >= limit;
  if (offset === 0 && !hasMore) return null;
  const range =
    total !== undefined && total !== null
      ? t('common.range_of', { from: shown ? offset + 1 : 0, to: offset + shown, total })
      : t('common.range', { from: shown ? offset + 1 : 0, to: offset + shown });
  return html`
    <nav class="pager" aria-label=${label || t('common.pages')}>
      <${Button} disabled=${offset === 0} onClick=${() => onChange(Math.max(0, offset - limit))}>${t('common.previous')}<//>
      <span class="pager-range" aria-live="polite">${range}</span>
      <${Button} disabled=${!hasMore} onClick=${() => onChange(offset + limit)}>${t('common.next')}<//>
    </nav>
  `;
}

/**
 * Link a screen's own stylesheet: `useStylesheet(import.meta.url)` in screens/inbox.js adds
 * screens/inbox.css (same release folder) to the page once, and keeps it for later visits.
 */
export function useStylesheet(moduleUrl) {
  const href = String(moduleUrl).replace(/\.m?js(\?.*)?$/, '.css');
  if (!document.head.querySelector(`link[rel="stylesheet"][href="${CSS.escape(href)}"]`)) {
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = href;
    document.head.append(link);
  }
}

/**
 * Load something from the API when the screen opens and whenever `deps` change:
 * `const { data, error, loading, reload, setData } = useApi(() => api.get('/api/x'), [x])`.
 * An answer that arrives after the screen moved on is dropped.
 */
export function useApi(load, deps = []) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true, error: null }));
    Promise.resolve()
      .then(load)
      .then(
        (data) => live && setState({ data, error: null, loading: false }),
        (error) => live && setState((s) => ({ data: s.data, error, loading: false })),
      );
    return () => {
      live = false;
    };
  }, [...deps, round]);
  const reload = useCallback(() => setRound((n) => n + 1), []);
  const setData = useCallback((update) => {
    setState((s) => ({ ...s, data: typeof update === 'function' ? update(s.data) : update }));
  }, []);
  return { ...state, reload, setData };
}

/** Say something to screen-reader users without moving the focus ("Saved"). */
export function announce(text) {
  const region = document.getElementById('announcer');
  if (!region) return;
  region.textContent = '';
  setTimeout(() => {
    region.textContent = text;
  }, 50);
}

/** A fresh key for one user action, so that a retried POST is not done twice. */
export function newIdempotencyKey() {
  // randomUUID needs a secure context; a clinic may serve plain HTTP on its own network.
  if (crypto.randomUUID && isSecureContext) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
