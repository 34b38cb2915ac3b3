// Who is signed in (for a patient also their language and pain setting) and the instruments,
// kept in IndexedDB so the app opens and takes check-ins offline.
import { api, ApiError, NetworkError } from './api.js';
import { chooseLanguage, currentLanguage, loadLanguage } from './i18n.js';
import { getState, setState } from './store.js';
import { flushOutbox } from './outbox.js';

const Outbox = self.AfterglowOutbox;

/** The patient's own language (`me.locale`), else the phone's. */
async function applyLanguage(me) {
  await loadLanguage(chooseLanguage(me && me.locale), me && me.locale);
}

/** What this phone knew last time, shown at once (and all there is offline). */
export async function restoreCached() {
  const [me, instruments] = await Promise.all([Outbox.getState('me'), Outbox.getState('instruments')]);
  await applyLanguage(me);
  // Offline, the questionnaires last kept (refreshSession fetches them anew in the patient's
  // language as soon as the server answers).
  setState({ me: me || null, instruments: instruments || null });
}

/** The signed-in user from the server: null after a 401, unchanged when offline. */
export async function refreshSession() {
  let me;
  try {
    me = await api('/api/me');
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      await forgetUser();
      return null;
    }
    if (error instanceof NetworkError) return getState().me;
    throw error;
  }
  await Outbox.csrfToken(false);
  await Outbox.setState('me', me);
  await applyLanguage(me);
  setState({ me, signinNeeded: false });
  if (me.role === 'patient' && me.patient_id) loadInstruments().catch(() => null);
  return me;
}

/**
 * The questionnaires as data (wording, options, bands, attribution) in the patient's language,
 * cached for offline use.
 */
export async function loadInstruments() {
  try {
    const lang = getState().me?.locale || currentLanguage();
    const list = await api(`/api/instruments?lang=${encodeURIComponent(lang)}`);
    const instruments = Object.fromEntries(list.map((i) => [i.id, i]));
    await Outbox.setState('instruments', instruments);
    setState({ instruments });
    return instruments;
  } catch (error) {
    if (error instanceof NetworkError && getState().instruments) return getState().instruments;
    throw error;
  }
}

/**
 * The patient's own choice of language, stored on the server so that every device, reminder
 * and crisis screen follows it. The region of their locale stays (en-MX -> es-MX).
 */
export async function changeLanguage(code) {
  const { me } = getState();
  const region = String(me?.locale || '').split(/[-_]/)[1];
  const updated = await api('/api/me/language', {
    method: 'PUT',
    body: { locale: region ? `${code}-${region.toUpperCase()}` : code },
  });
  await Outbox.setState('me', updated);
  await applyLanguage(updated);
  setState({ me: updated });
  await loadInstruments().catch(() => null);
  return updated;
}

async function forgetUser() {
  await Outbox.setState('me', null);
  setState({ me: null });
}

/** `clinicId` only when the same email and password open accounts at two clinics (a 409). */
export async function signIn(email, password, clinicId = null) {
  const body = { email, password };
  if (clinicId !== null) body.clinic_id = clinicId;
  await api('/api/auth/login', { method: 'POST', body });
  const me = await refreshSession();
  flushOutbox();
  return me;
}

export async function enroll(token, body) {
  await api(`/api/enrollment/${encodeURIComponent(token)}`, { method: 'POST', body });
  return refreshSession();
}

/** Stop reminders to this phone: they would reach whoever signs in next. */
async function forgetThisDevice() {
  const id = await Outbox.getState('pushSubscriptionId');
  if (id) await api(`/api/push/subscriptions/${id}`, { method: 'DELETE' }).catch(() => null);
  const registration = await navigator.serviceWorker?.getRegistration();
  const subscription = await registration?.pushManager?.getSubscription();
  await subscription?.unsubscribe().catch(() => null);
}

/** Sign out of this phone and forget everything it kept for this patient. */
export async function signOut() {
  await forgetThisDevice();
  try {
    await api('/api/auth/logout', { method: 'POST' });
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) throw error;
  }
  await Outbox.clearAll();
  await Outbox.clearState();
  setState({ me: null, outbox: [], instruments: null });
}
