// Notifications on this device: a staff member turns Web Push on for the browser they are using
// (the workspace's own service worker, /clinic/sw.js, shows escalations and opens the alert),
// sends themself a test, and sees or turns off their devices. A device stays on after signing
// out on purpose: escalations must reach a clinician who is not looking at the workspace.
import { html, useEffect, useState } from '../html.js';
import { api } from '../api.js';
import { t } from '../i18n.js';
import { getMe } from '../session.js';
import { Button, ErrorNote, Field, Loading, Notice, Page, RelativeTime, announce, useApi, useStylesheet } from '../ui.js';

// This browser's own registration: { id, endpoint }, to tell "this device" in the list.
const DEVICE_KEY = 'afterglow-clinic-device';

function workerUrl() {
  return document.querySelector('meta[name="afterglow-clinic-worker"]')?.content || '';
}

/** 'ok', 'unsupported' (no Push API here) or 'no_worker' (the server offers none). */
function support() {
  if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) return 'unsupported';
  return workerUrl() ? 'ok' : 'no_worker';
}

function thisDevice() {
  try {
    return JSON.parse(localStorage.getItem(DEVICE_KEY) || 'null');
  } catch {
    return null;
  }
}

function keyBytes(base64url) {
  const padded = base64url.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (base64url.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

async function subscribeHere(label) {
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') throw new Error(t('alerts.notifications.denied'));
  await navigator.serviceWorker.register(workerUrl(), { scope: '/clinic/', updateViaCache: 'none' });
  const registration = await navigator.serviceWorker.ready;
  const { public_key: key } = await api.get('/api/push/key');
  const subscription =
    (await registration.pushManager.getSubscription()) ||
    (await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) }));
  const device = await api.post('/api/push/subscriptions', { ...subscription.toJSON(), device_label: label });
  localStorage.setItem(DEVICE_KEY, JSON.stringify({ id: device.id, endpoint: subscription.endpoint }));
  return device;
}

async function unsubscribeHere() {
  localStorage.removeItem(DEVICE_KEY);
  const registration = await navigator.serviceWorker?.getRegistration('/clinic/');
  const subscription = await registration?.pushManager.getSubscription();
  await subscription?.unsubscribe();
}

function TurnOn({ onDone }) {
  const [label, setLabel] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [denied, setDenied] = useState(() => 'Notification' in window && Notification.permission === 'denied');
  const state = support();
  if (state !== 'ok') return html`<${Notice} tone="warn">${t(`alerts.notifications.${state}`)}<//>`;
  const turnOn = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await subscribeHere(label.trim() || t('alerts.notifications.default_name'));
      announce(t('alerts.notifications.turned_on'));
      onDone(t('alerts.notifications.turned_on'));
    } catch (e) {
      setDenied(Notification.permission === 'denied');
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return html`
    <form class="card turn-on" onSubmit=${turnOn} noValidate>
      ${denied && html`<${Notice} tone="warn">${t('alerts.notifications.denied')}<//>`}
      <${Field} label=${t('alerts.notifications.device_name')} hint=${t('alerts.notifications.device_name_hint')} error=${error?.fields?.device_label}>
        ${(p) => html`<input ...${p} type="text" maxlength="100" autocomplete="off" value=${label} onInput=${(e) => setLabel(e.target.value)} />`}
      <//>
      <${ErrorNote} error=${error} />
      <${Button} kind="primary" type="submit" busy=${busy}>${t('alerts.notifications.turn_on')}<//>
    </form>
  `;
}

function Device({ device, mine, onRemoved }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const remove = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.del(`/api/push/subscriptions/${device.id}`);
      if (mine) await unsubscribeHere().catch(() => null);
      onRemoved(device);
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  return html`
    <li class="device">
      <div class="device-text">
        <span><strong>${device.device_label}</strong>${mine && html` <span class="this-device">(${t('alerts.notifications.this_device')})</span>`}</span>
        <span class="device-facts">
          ${t('alerts.notifications.added')} <${RelativeTime} value=${device.created_at} />
          ${device.last_sent_at && html`<span> · ${t('alerts.notifications.last_sent')} <${RelativeTime} value=${device.last_sent_at} /></span>`}
        </span>
        ${device.broken_at && html`<span class="field-error">${t('alerts.notifications.broken')}</span>`}
        <${ErrorNote} error=${error} />
      </div>
      <${Button} size="small" busy=${busy} onClick=${remove} aria-label=${t('alerts.notifications.remove_for', { label: device.device_label })}>
        ${t('alerts.notifications.remove')}
      <//>
    </li>
  `;
}

export default function Notifications() {
  useStylesheet(new URL('./alerts.js', import.meta.url));
  const devices = useApi(() => api.get('/api/push/subscriptions'), []);
  const [message, setMessage] = useState(null);
  const [testing, setTesting] = useState(false);
  const [testError, setTestError] = useState(null);
  const [mine, setMine] = useState(thisDevice());
  useEffect(() => {
    // Forget a registration the server no longer has (turned off from another device).
    if (devices.data && mine && !devices.data.some((d) => d.id === mine.id)) {
      localStorage.removeItem(DEVICE_KEY);
      setMine(null);
    }
  }, [devices.data]);

  const turnedOn = (text) => {
    setMine(thisDevice());
    setMessage(text);
    devices.reload();
  };
  const removed = (device) => {
    if (mine && mine.id === device.id) setMine(null);
    setMessage(t('alerts.notifications.removed', { label: device.device_label }));
    devices.setData((list) => list.filter((d) => d.id !== device.id));
  };
  const test = async () => {
    setTesting(true);
    setTestError(null);
    try {
      const sent = await api.post('/api/push/test');
      setMessage(t('alerts.notifications.test_sent', { count: sent.devices }));
    } catch (e) {
      setTestError(e);
    } finally {
      setTesting(false);
    }
  };

  const list = devices.data || [];
  const here = mine && list.find((d) => d.id === mine.id && !d.broken_at);
  return html`
    <${Page}
      title=${t('alerts.notifications.title')}
      lead=${t('alerts.notifications.lead', { email: getMe()?.email || '' })}
      className="notifications-page"
    >
      ${message && html`<${Notice} tone="good">${message}<//>`}
      ${here ? html`<p class="on-here"><span aria-hidden="true">✓ </span>${t('alerts.notifications.already_on')}</p>` : html`<${TurnOn} onDone=${turnedOn} />`}
      <section class="card" aria-labelledby="devices-title">
        <h2 id="devices-title">${t('alerts.notifications.devices_title')}</h2>
        ${devices.error && !devices.data && html`<${ErrorNote} error=${devices.error} />`}
        ${!devices.data && !devices.error && html`<${Loading} />`}
        ${devices.data &&
        (list.length
          ? html`<ul class="devices">
              ${list.map((d) => html`<${Device} key=${d.id} device=${d} mine=${Boolean(mine && mine.id === d.id)} onRemoved=${removed} />`)}
            </ul>`
          : html`<p class="empty">${t('alerts.notifications.devices_none')}</p>`)}
        ${list.length > 0 &&
        html`<div class="test-row">
          <${Button} busy=${testing} onClick=${test}>${t('alerts.notifications.test')}<//>
          <${ErrorNote} error=${testError} />
        </div>`}
      </section>
    <//>
  `;
}
