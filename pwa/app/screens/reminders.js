// Reminders: turning notifications on for this phone (after an explanation, never on page load;
// when it cannot be done, why), the Home Screen steps iOS needs first, the devices list, and the
// schedule. Kept short enough to take in at a glance on a phone.
import { html, useEffect, useState } from '../html.js';
import { currentLanguage, formatDate, formatDateTime, t } from '../i18n.js';
import { api, ApiError, NetworkError, fieldOf } from '../api.js';
import { ErrorNote, Loading, Screen } from '../ui.js';

const Outbox = self.AfterglowOutbox;

const weekdayName = (i) =>
  new Intl.DateTimeFormat(currentLanguage(), { weekday: 'long' }).format(new Date(2024, 0, 1 + i));

function errorText(error) {
  if (error instanceof NetworkError) return t('common.offline_action');
  return error instanceof ApiError && error.detail ? error.detail : t('common.unexpected');
}

/** The schedule fields the server accepts (PUT sends them all). */
function editable(settings) {
  return {
    timezone: settings.timezone,
    daily_mood_at: settings.daily_mood_at,
    weekly_phq9: settings.weekly_phq9,
    weekly_gad7: settings.weekly_gad7,
    quiet_start: settings.quiet_start,
    quiet_end: settings.quiet_end,
    infusion_nudges: settings.infusion_nudges,
    journal_prompts: settings.journal_prompts,
  };
}

function FieldError({ field, error }) {
  if (!error || error.field !== field) return null;
  return html`<p class="error" id=${`${field}-error`} role="alert">${error.message}</p>`;
}

/**
 * One reminder: a checkbox named for it and, when on, its fields beside it (daily mood: its time
 * on the same line; a weekly questionnaire: day and time side by side under it).
 */
function Reminder({ id, label, on, onToggle, field, error, weekly, children }) {
  return html`
    <div class=${`reminder${weekly ? ' weekly' : ''}`} role="group" aria-labelledby=${`${id}-label`}>
      <label class="check reminder-name">
        <input type="checkbox" checked=${on} onChange=${(e) => onToggle(e.target.checked)} />
        <span id=${`${id}-label`}>${label}</span>
      </label>
      ${on && children}
      <${FieldError} field=${field} error=${error} />
    </div>
  `;
}

function Weekly({ field, label, value, onChange, error }) {
  const invalid = error?.field === field;
  return html`
    <${Reminder} id=${field} label=${label} on=${value !== null} field=${field} error=${error} weekly
      onToggle=${(on) => onChange(on ? { weekday: 6, at: '19:00' } : null)}>
      ${value !== null &&
      html`
        <label class="field compact">
          <span>${t('reminders.weekday')}</span>
          <select value=${value.weekday} onChange=${(e) => onChange({ ...value, weekday: Number(e.target.value) })}>
            ${[0, 1, 2, 3, 4, 5, 6].map((d) => html`<option value=${d}>${weekdayName(d)}</option>`)}
          </select>
        </label>
        <label class="field compact">
          <span>${t('reminders.time')}</span>
          <input type="time" value=${value.at} required aria-invalid=${invalid ? 'true' : undefined}
            aria-describedby=${invalid ? `${field}-error` : undefined}
            onChange=${(e) => onChange({ ...value, at: e.target.value })} />
        </label>
      `}
    <//>
  `;
}

function TimeField({ field, label, value, onChange, error }) {
  const invalid = error?.field === field;
  return html`
    <label class="field compact">
      <span>${label}</span>
      <input type="time" value=${value} required aria-invalid=${invalid ? 'true' : undefined}
        aria-describedby=${invalid ? `${field}-error` : undefined}
        onChange=${(e) => onChange(e.target.value)} />
    </label>
  `;
}

function Schedule() {
  const [settings, setSettings] = useState(null);
  const [draft, setDraft] = useState(null);
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api('/api/me/reminders').then(
      (s) => {
        setSettings(s);
        setDraft(editable(s));
      },
      (e) => setError({ field: null, message: errorText(e) }),
    );
  }, []);
  if (!draft) return error ? html`<${ErrorNote} error=${error.message} />` : html`<${Loading} />`;

  const change = (patch) => {
    setDraft({ ...draft, ...patch });
    setSaved(false);
  };
  const save = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const next = await api('/api/me/reminders', { method: 'PUT', body: draft });
      setSettings(next);
      setDraft(editable(next));
      setSaved(true);
    } catch (e) {
      setError({ field: fieldOf(e), message: errorText(e) });
    } finally {
      setBusy(false);
    }
  };
  const phoneZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const dailyInvalid = error?.field === 'daily_mood_at';
  const next = settings.next_reminder;
  return html`
    <form class="form schedule" onSubmit=${save} aria-labelledby="schedule-title">
      <h2 id="schedule-title">${t('reminders.schedule_title')}</h2>
      ${next &&
      html`<p class="hint">${t('reminders.next', { what: t(`reminders.kind_${next.kind}`), when: formatDateTime(next.fire_at, settings.timezone) })}</p>`}
      <${Reminder} id="daily_mood_at" label=${t('reminders.daily_mood')} on=${draft.daily_mood_at !== null}
        field="daily_mood_at" error=${error}
        onToggle=${(on) => change({ daily_mood_at: on ? '20:00' : null })}>
        <label class="field compact">
          <span>${t('reminders.time')}</span>
          <input type="time" value=${draft.daily_mood_at} required
            aria-invalid=${dailyInvalid ? 'true' : undefined}
            aria-describedby=${dailyInvalid ? 'daily_mood_at-error' : undefined}
            onChange=${(e) => change({ daily_mood_at: e.target.value })} />
        </label>
      <//>
      <${Weekly} field="weekly_phq9" label=${t('reminders.weekly_phq9')} value=${draft.weekly_phq9}
        onChange=${(v) => change({ weekly_phq9: v })} error=${error} />
      <${Weekly} field="weekly_gad7" label=${t('reminders.weekly_gad7')} value=${draft.weekly_gad7}
        onChange=${(v) => change({ weekly_gad7: v })} error=${error} />
      <fieldset class="setting quiet" aria-describedby="quiet-hint">
        <legend>${t('reminders.quiet_hours')}</legend>
        <div class="reminder-line">
          <${TimeField} field="quiet_start" label=${t('reminders.quiet_start')} value=${draft.quiet_start}
            onChange=${(v) => change({ quiet_start: v })} error=${error} />
          <${TimeField} field="quiet_end" label=${t('reminders.quiet_end')} value=${draft.quiet_end}
            onChange=${(v) => change({ quiet_end: v })} error=${error} />
        </div>
        <p class="hint" id="quiet-hint">${t('reminders.quiet_hint')}</p>
        <${FieldError} field="quiet_start" error=${error} />
        <${FieldError} field="quiet_end" error=${error} />
      </fieldset>
      <label class="check">
        <input type="checkbox" checked=${draft.infusion_nudges}
          onChange=${(e) => change({ infusion_nudges: e.target.checked })} />
        <span>${t('reminders.infusion_nudges')}</span>
      </label>
      <label class="check">
        <input type="checkbox" checked=${draft.journal_prompts}
          onChange=${(e) => change({ journal_prompts: e.target.checked })} />
        <span>${t('reminders.journal_prompts')}</span>
      </label>
      <div class="setting">
        <p>${t('reminders.timezone', { zone: draft.timezone })}</p>
        ${phoneZone && phoneZone !== draft.timezone &&
        html`<button type="button" class="button" onClick=${() => change({ timezone: phoneZone })}>
          ${t('reminders.use_phone_zone', { zone: phoneZone })}
        </button>`}
        <${FieldError} field="timezone" error=${error} />
      </div>
      ${error && !['daily_mood_at', 'weekly_phq9', 'weekly_gad7', 'quiet_start', 'quiet_end', 'timezone'].includes(error.field) &&
      html`<${ErrorNote} error=${error.message} />`}
      <div class="save-line">
        <button type="submit" class="button primary" disabled=${busy}>${t('reminders.save')}</button>
        <p role="status" class="saved">${saved ? t('reminders.saved') : ''}</p>
      </div>
    </form>
  `;
}

const isIOS = () =>
  /iPad|iPhone|iPod/.test(navigator.userAgent) ||
  (navigator.platform === 'MacIntel' && navigator.maxTouchPoints > 1);
const isStandalone = () =>
  matchMedia('(display-mode: standalone)').matches || navigator.standalone === true;

/**
 * Why this browser cannot take reminders as it is, or null when it can (permission aside):
 * - `ios_home_screen`: Safari on iPhone/iPad has push only for a web app added to the Home Screen;
 * - `private`: no service worker, as in private windows (Firefox) or with site data blocked;
 * - `unsupported`: a browser without the Push API or notifications.
 */
function pushBlocker() {
  if (isIOS() && !isStandalone()) return 'ios_home_screen';
  if (!navigator.serviceWorker) return 'private';
  if (!('PushManager' in window) || !('Notification' in window)) return 'unsupported';
  return null;
}

/** The reason, in the patient's words, that turning reminders on just failed. */
function failureReason(error) {
  if (error instanceof ApiError || error instanceof NetworkError) return errorText(error);
  if (error?.name === 'NotAllowedError') return t('push.why_denied');
  return t('push.why_no_push_service');
}

function guessDeviceLabel() {
  const ua = navigator.userAgent;
  const os = /Android/.test(ua) ? 'Android' : isIOS() ? 'iPhone/iPad' : /Windows/.test(ua) ? 'Windows' : /Mac/.test(ua) ? 'Mac' : /Linux/.test(ua) ? 'Linux' : '';
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrome\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : '';
  return [browser, os].filter(Boolean).join(' · ') || t('push.this_device');
}

function keyBytes(base64url) {
  const padded = base64url.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(base64url.length / 4) * 4, '=');
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

function Devices({ devices, thisId, onRemove }) {
  return html`
    <ul class="devices">
      ${devices.map(
        (d) => html`
          <li>
            <span>
              <strong>${d.device_label}</strong>${d.id === thisId ? ` (${t('push.this_device')})` : ''}
              <br /><span class="muted">${t('push.added', { date: formatDate(d.created_at) })}${d.last_sent_at ? ` · ${t('push.last_sent', { date: formatDate(d.last_sent_at) })}` : ''}</span>
              ${d.broken_at && html`<br /><span class="error-text">${t('push.broken')}</span>`}
            </span>
            <button type="button" class="button" onClick=${() => onRemove(d)}
              aria-label=${t('push.turn_off_named', { name: d.device_label })}>
              ${t('push.turn_off')}
            </button>
          </li>
        `,
      )}
    </ul>
  `;
}

function Notifications() {
  const blocker = pushBlocker();
  const [devices, setDevices] = useState(null);
  const [thisId, setThisId] = useState(null);
  const [label, setLabel] = useState(guessDeviceLabel());
  const [permission, setPermission] = useState(blocker ? null : Notification.permission);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  const reload = async () => {
    const [list, id] = await Promise.all([api('/api/push/subscriptions'), Outbox.getState('pushSubscriptionId')]);
    setDevices(list);
    setThisId(list.some((d) => d.id === id) ? id : null);
  };
  useEffect(() => {
    reload().catch((e) => setError(errorText(e)));
  }, []);

  const turnOn = async () => {
    setBusy(true);
    setError(null);
    try {
      const granted = await Notification.requestPermission();
      setPermission(granted);
      if (granted === 'default') {
        setError(t('push.why_dismissed'));
        return;
      }
      if (granted !== 'granted') return;
      const registration = await navigator.serviceWorker.ready;
      const { public_key: key } = await api('/api/push/key');
      const subscription =
        (await registration.pushManager.getSubscription()) ||
        (await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) }));
      const { endpoint, keys } = subscription.toJSON();
      const device = await api('/api/push/subscriptions', {
        method: 'POST',
        body: { endpoint, keys: { p256dh: keys.p256dh, auth: keys.auth }, device_label: label.trim() || guessDeviceLabel() },
      });
      await Outbox.setState('pushSubscriptionId', device.id);
      await reload();
    } catch (e) {
      setError(failureReason(e));
    } finally {
      setBusy(false);
    }
  };

  const remove = async (device) => {
    setError(null);
    try {
      await api(`/api/push/subscriptions/${device.id}`, { method: 'DELETE' });
      if (device.id === thisId) {
        const registration = await navigator.serviceWorker.getRegistration();
        const subscription = await registration?.pushManager.getSubscription();
        await subscription?.unsubscribe();
        await Outbox.setState('pushSubscriptionId', null);
      }
      await reload();
    } catch (e) {
      setError(errorText(e));
    }
  };

  let body;
  if (blocker === 'ios_home_screen') {
    body = html`
      <p>${t('push.ios_intro')}</p>
      <ol class="steps">
        <li>${t('push.ios_step1')}</li>
        <li>${t('push.ios_step2')}</li>
        <li>${t('push.ios_step3')}</li>
      </ol>
    `;
  } else if (blocker) {
    body = html`<p class="why-not">${t(`push.why_${blocker}`)}</p>`;
  } else if (permission === 'denied') {
    body = html`<p class="why-not">${t('push.why_denied')}</p>`;
  } else if (thisId) {
    body = html`<p>${t('push.on_here')}</p>`;
  } else {
    body = html`
      <p>${t('push.explain')}</p>
      <div class="stack">
        <label class="field">
          <span>${t('push.device_label')}</span>
          <input type="text" maxlength="100" value=${label} onInput=${(e) => setLabel(e.target.value)} />
        </label>
        <button type="button" class="button primary" onClick=${turnOn} disabled=${busy}>${t('push.turn_on')}</button>
      </div>
    `;
  }
  return html`
    <section class="card" aria-labelledby="push-title">
      <h2 id="push-title">${t('push.title')}</h2>
      ${body}
      <${ErrorNote} error=${error} />
      ${devices?.length > 0 &&
      html`
        <h3>${t('push.devices_title')}</h3>
        <${Devices} devices=${devices} thisId=${thisId} onRemove=${remove} />
      `}
    </section>
  `;
}

/**
 * Extra check-ins (adaptive): what they are, the next one and why in one sentence, and a pause
 * for a week. The weekly PHQ-9 and every other reminder go on while they are paused.
 */
function ExtraCheckins() {
  const [extra, setExtra] = useState(null);
  const [zone, setZone] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const show = (settings) => {
    setExtra(settings.extra_checkins);
    setZone(settings.timezone);
  };
  useEffect(() => {
    api('/api/me/reminders').then(show, (e) => setError(errorText(e)));
  }, []);
  if (!extra) return error ? html`<section class="card"><${ErrorNote} error=${error} /></section>` : null;
  const pause = async (snooze) => {
    setBusy(true);
    setError(null);
    try {
      show(await api('/api/me/reminders/snooze', { method: snooze ? 'POST' : 'DELETE' }));
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const asking = extra.asking;
  let body;
  if (!extra.on_at_clinic) {
    body = html`<p>${t('reminders.extra_off')}</p>`;
  } else {
    body = html`
      <p>${t('reminders.extra_about')}</p>
      ${asking &&
      html`<p class="extra-next">
        <strong>${t('reminders.extra_next', { when: formatDateTime(asking.fire_at, zone) })}</strong>
        ${' '}${t(`reminders.extra_why_${asking.kind}`)}
      </p>`}
      ${extra.snoozed_until
        ? html`
            <p role="status">${t('reminders.extra_snoozed', { date: formatDateTime(extra.snoozed_until, zone) })}</p>
            <button type="button" class="button" disabled=${busy} onClick=${() => pause(false)}>
              ${t('reminders.extra_resume')}
            </button>
          `
        : html`<button type="button" class="button" disabled=${busy} onClick=${() => pause(true)}>
            ${t('reminders.extra_snooze')}
          </button>`}
    `;
  }
  return html`
    <section class="card" aria-labelledby="extra-title">
      <h2 id="extra-title">${t('reminders.extra_title')}</h2>
      ${body}
      <${ErrorNote} error=${error} />
    </section>
  `;
}

export default function Reminders() {
  return html`
    <${Screen} title=${t('reminders.title')}>
      <${Notifications} />
      <section class="card"><${Schedule} /></section>
      <${ExtraCheckins} />
    <//>
  `;
}
