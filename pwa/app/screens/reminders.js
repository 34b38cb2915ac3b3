// Reminders: the schedule, turning notifications on for this phone (after an explanation, never
// on page load), the Home Screen steps iOS needs first, the devices list, and signing out.
import { html, useEffect, useState } from '../html.js';
import { currentLanguage, formatDate, formatDateTime, t } from '../i18n.js';
import { api, ApiError, NetworkError, fieldOf } from '../api.js';
import { useAppState } from '../store.js';
import { go } from '../router.js';
import { signOut } from '../session.js';
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
  };
}

function FieldError({ field, error }) {
  if (!error || error.field !== field) return null;
  return html`<p class="error" id=${`${field}-error`} role="alert">${error.message}</p>`;
}

function Weekly({ field, label, value, onChange, error }) {
  const on = value !== null;
  const invalid = error?.field === field;
  return html`
    <fieldset class="setting">
      <legend>${label}</legend>
      <label class="check">
        <input type="checkbox" checked=${on}
          onChange=${(e) => onChange(e.target.checked ? { weekday: 0, at: '18:00' } : null)} />
        <span>${t('reminders.on')}</span>
      </label>
      ${on &&
      html`
        <div class="inline-fields">
          <label class="field">
            <span>${t('reminders.weekday')}</span>
            <select value=${value.weekday} onChange=${(e) => onChange({ ...value, weekday: Number(e.target.value) })}>
              ${[0, 1, 2, 3, 4, 5, 6].map((d) => html`<option value=${d}>${weekdayName(d)}</option>`)}
            </select>
          </label>
          <label class="field">
            <span>${t('reminders.time')}</span>
            <input type="time" value=${value.at} required aria-invalid=${invalid ? 'true' : undefined}
              aria-describedby=${invalid ? `${field}-error` : undefined}
              onChange=${(e) => onChange({ ...value, at: e.target.value })} />
          </label>
        </div>
      `}
      <${FieldError} field=${field} error=${error} />
    </fieldset>
  `;
}

function TimeField({ field, label, value, onChange, error }) {
  const invalid = error?.field === field;
  return html`
    <label class="field">
      <span>${label}</span>
      <input type="time" value=${value} required aria-invalid=${invalid ? 'true' : undefined}
        aria-describedby=${invalid ? `${field}-error` : undefined}
        onChange=${(e) => onChange(e.target.value)} />
    </label>
    <${FieldError} field=${field} error=${error} />
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
    <form class="form" onSubmit=${save} aria-labelledby="schedule-title">
      <h2 id="schedule-title">${t('reminders.schedule_title')}</h2>
      ${next &&
      html`<p class="hint">${t('reminders.next', { what: t(`reminders.kind_${next.kind}`), when: formatDateTime(next.fire_at, settings.timezone) })}</p>`}
      <fieldset class="setting">
        <legend>${t('reminders.daily_mood')}</legend>
        <label class="check">
          <input type="checkbox" checked=${draft.daily_mood_at !== null}
            onChange=${(e) => change({ daily_mood_at: e.target.checked ? '20:00' : null })} />
          <span>${t('reminders.on')}</span>
        </label>
        ${draft.daily_mood_at !== null &&
        html`<label class="field">
          <span>${t('reminders.time')}</span>
          <input type="time" value=${draft.daily_mood_at} required
            aria-invalid=${dailyInvalid ? 'true' : undefined}
            aria-describedby=${dailyInvalid ? 'daily_mood_at-error' : undefined}
            onChange=${(e) => change({ daily_mood_at: e.target.value })} />
        </label>`}
        <${FieldError} field="daily_mood_at" error=${error} />
      </fieldset>
      <${Weekly} field="weekly_phq9" label=${t('reminders.weekly_phq9')} value=${draft.weekly_phq9}
        onChange=${(v) => change({ weekly_phq9: v })} error=${error} />
      <${Weekly} field="weekly_gad7" label=${t('reminders.weekly_gad7')} value=${draft.weekly_gad7}
        onChange=${(v) => change({ weekly_gad7: v })} error=${error} />
      <fieldset class="setting">
        <legend>${t('reminders.quiet_hours')}</legend>
        <p class="hint">${t('reminders.quiet_hint')}</p>
        <div class="inline-fields">
          <${TimeField} field="quiet_start" label=${t('reminders.quiet_start')} value=${draft.quiet_start}
            onChange=${(v) => change({ quiet_start: v })} error=${error} />
          <${TimeField} field="quiet_end" label=${t('reminders.quiet_end')} value=${draft.quiet_end}
            onChange=${(v) => change({ quiet_end: v })} error=${error} />
        </div>
      </fieldset>
      <label class="check">
        <input type="checkbox" checked=${draft.infusion_nudges}
          onChange=${(e) => change({ infusion_nudges: e.target.checked })} />
        <span>${t('reminders.infusion_nudges')}</span>
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
      <p role="status" class="saved">${saved ? t('reminders.saved') : ''}</p>
      <button type="submit" class="button primary" disabled=${busy}>${t('reminders.save')}</button>
    </form>
  `;
}

const isIOS = () =>
  /iPad|iPhone|iPod/.test(navigator.userAgent) ||
  (navigator.platform === 'MacIntel' && navigator.maxTouchPoints > 1);
const isStandalone = () =>
  matchMedia('(display-mode: standalone)').matches || navigator.standalone === true;
const pushSupported = () =>
  'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;

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
  if (!devices) return html`<${Loading} />`;
  if (!devices.length) return html`<p class="muted">${t('push.no_devices')}</p>`;
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
  const [devices, setDevices] = useState(null);
  const [thisId, setThisId] = useState(null);
  const [label, setLabel] = useState(guessDeviceLabel());
  const [permission, setPermission] = useState(pushSupported() ? Notification.permission : 'unsupported');
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
      setError(e instanceof ApiError || e instanceof NetworkError ? errorText(e) : t('push.failed'));
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
  if (permission === 'unsupported') {
    body = isIOS() && !isStandalone()
      ? html`
          <p>${t('push.ios_intro')}</p>
          <ol class="steps">
            <li>${t('push.ios_step1')}</li>
            <li>${t('push.ios_step2')}</li>
            <li>${t('push.ios_step3')}</li>
          </ol>
        `
      : html`<p>${t('push.unsupported')}</p>`;
  } else if (permission === 'denied') {
    body = html`<p>${t('push.denied')}</p>`;
  } else if (thisId) {
    body = html`<p>${t('push.on_here')}</p>`;
  } else {
    body = html`
      <p>${t('push.explain')}</p>
      <p>${t('push.privacy')}</p>
      <label class="field">
        <span>${t('push.device_label')}</span>
        <input type="text" maxlength="100" value=${label} onInput=${(e) => setLabel(e.target.value)} />
      </label>
      <button type="button" class="button primary" onClick=${turnOn} disabled=${busy}>${t('push.turn_on')}</button>
    `;
  }
  return html`
    <section class="card" aria-labelledby="push-title">
      <h2 id="push-title">${t('push.title')}</h2>
      ${body}
      <${ErrorNote} error=${error} />
      <h3>${t('push.devices_title')}</h3>
      <${Devices} devices=${devices} thisId=${thisId} onRemove=${remove} />
    </section>
  `;
}

function Account() {
  const { me, outbox } = useAppState();
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState(null);
  const unsent = outbox.filter((e) => e.status === 'waiting').length;
  const leave = async () => {
    if (unsent && !confirming) {
      setConfirming(true);
      return;
    }
    try {
      await signOut();
      go('/signin', { replace: true });
    } catch (e) {
      setError(errorText(e));
    }
  };
  return html`
    <section class="card" aria-labelledby="account-title">
      <h2 id="account-title">${t('account.title')}</h2>
      <p>${t('account.signed_in_as', { email: me.email })}</p>
      ${confirming && html`<p class="error" role="alert">${t('account.unsent_warning', { count: unsent })}</p>`}
      <${ErrorNote} error=${error} />
      <button type="button" class="button" onClick=${leave}>
        ${confirming ? t('account.sign_out_discard', { count: unsent }) : t('account.sign_out')}
      </button>
    </section>
  `;
}

export default function Reminders() {
  return html`
    <${Screen} title=${t('reminders.title')}>
      <section class="card"><${Schedule} /></section>
      <${Notifications} />
      <${Account} />
    <//>
  `;
}
