// The page's side of the outbox (outbox-core.js): queue a check-in, send it now if possible,
// and keep trying on app start, when the phone comes online, on a timer, and through the
// service worker's Background Sync.
import { getState, setState } from './store.js';

const Outbox = self.AfterglowOutbox;
const SYNC_TAG = 'afterglow-outbox';
let retryTimer = null;
let retryDelay = 0;
let running = null;
let queued = null;

export async function refreshOutbox() {
  const [outbox, journalOutbox] = await Promise.all([Outbox.list(), Outbox.listJournal()]);
  setState({ outbox, journalOutbox });
}

async function askBackgroundSync() {
  try {
    const registration = await navigator.serviceWorker?.ready;
    await registration?.sync?.register(SYNC_TAG);
  } catch {
    // Background Sync exists only in Chromium; the other triggers cover the rest.
  }
}

function scheduleRetry() {
  clearTimeout(retryTimer);
  retryDelay = Math.min(retryDelay ? retryDelay * 2 : 15000, 300000);
  retryTimer = setTimeout(() => flushOutbox(), retryDelay);
}

/**
 * Send what is waiting. Calls while a run is going queue one more run after it (the running one
 * may have read the outbox before the newest check-in arrived); the core also locks across the
 * page and the service worker.
 */
export function flushOutbox() {
  if (queued) return queued;
  if (running) {
    queued = running.then(() => {
      queued = null;
      return startFlush();
    });
    return queued;
  }
  return startFlush();
}

function startFlush() {
  running = runFlush().finally(() => {
    running = null;
  });
  return running;
}

async function runFlush() {
  const summary = await Outbox.flush();
  await refreshOutbox();
  setState({ signinNeeded: summary.signin });
  // The server no longer knows this session: let the app ask the patient to sign in again.
  if (summary.signin) dispatchEvent(new Event('afterglow:session-ended'));
  if (summary.waiting && !summary.signin) {
    scheduleRetry();
    askBackgroundSync();
  } else {
    clearTimeout(retryTimer);
    retryDelay = 0;
  }
  return summary;
}

/** Store the check-in on this phone first, then try to send it. Resolves to the stored entry. */
export async function queueCheckin(instrument, answers, note) {
  const { me } = getState();
  const entry = await Outbox.add(me.patient_id, { instrument, answers, note });
  if (instrument === 'mood') await Outbox.setState('lastMood', answers[0]);
  await refreshOutbox();
  await flushOutbox();
  return Outbox.get(entry.id);
}

export function watchOutbox() {
  addEventListener('online', () => {
    retryDelay = 0;
    flushOutbox();
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') flushOutbox();
  });
}

/** Store a version of a journal entry on this phone first, then try to send it. */
export async function queueJournal(version) {
  const { me } = getState();
  const write = await Outbox.addJournal(me.patient_id, version);
  await refreshOutbox();
  await flushOutbox();
  return write;
}

/** Send a refused journal write again as `revision`, at the patient's request. */
export async function retryJournal(id, revision) {
  await Outbox.retryJournal(id, revision);
  await refreshOutbox();
  await flushOutbox();
}

/** Remove a refused journal write from this phone, at the patient's request. */
export async function discardJournal(id) {
  await Outbox.discardJournal(id);
  await refreshOutbox();
}

/** Send a check-in the server refused once more, at the patient's request. */
export async function retryRefused(id) {
  await Outbox.retry(id);
  await refreshOutbox();
  await flushOutbox();
  return Outbox.get(id);
}

/** Remove a refused check-in from this phone, at the patient's request. */
export async function discardRefused(id) {
  await Outbox.discard(id);
  await refreshOutbox();
}
