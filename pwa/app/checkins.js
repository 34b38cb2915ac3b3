// What the patient has logged lately (server and outbox together), and what is due.
import { api, NetworkError } from './api.js';
import { getState } from './store.js';

const Outbox = self.AfterglowOutbox;
const DAY = 86400000;

/** Recent check-ins and infusions from the server; the last copy when offline. */
export async function loadRecent(patientId) {
  const since = new Date(Date.now() - 14 * DAY).toISOString();
  try {
    const [checkins, infusions] = await Promise.all([
      api(`/api/patients/${patientId}/checkins?since=${encodeURIComponent(since)}`),
      api(`/api/patients/${patientId}/infusions`),
    ]);
    const recent = { checkins, infusions, fetched_at: new Date().toISOString() };
    await Outbox.setState('recent', recent);
    return recent;
  } catch (error) {
    if (error instanceof NetworkError) {
      return (await Outbox.getState('recent')) || { checkins: [], infusions: [], fetched_at: null };
    }
    throw error;
  }
}

/** Server check-ins plus outbox entries not yet on the server (sent ones may not be listed yet). */
export function allCheckins(recent) {
  const serverIds = new Set(recent.checkins.map((c) => c.id));
  const local = getState()
    .outbox.filter((e) => e.status !== 'failed' && !(e.result && serverIds.has(e.result.id)))
    .map((e) => ({
      instrument: e.instrument,
      answers: e.answers,
      taken_at: e.taken_at,
      score: e.result ? e.result.score : null,
    }));
  return [...recent.checkins, ...local].sort((a, b) => (a.taken_at < b.taken_at ? -1 : 1));
}

const sameLocalDay = (a, b) => new Date(a).toDateString() === new Date(b).toDateString();

export function latestToday(checkins, instrument, now = new Date()) {
  const today = checkins.filter((c) => c.instrument === instrument && sameLocalDay(c.taken_at, now));
  return today.length ? today[today.length - 1] : null;
}

export function lastInfusion(infusions) {
  return infusions.length ? infusions[infusions.length - 1] : null;
}

/**
 * Where the patient stands and what is due, as the server works it out from the facts the clinic
 * sees (GET /api/patients/{id}/today); the last copy when offline. `fetched_at` is this phone's
 * clock, the clock its own check-ins are stamped with.
 */
export async function loadToday(patientId) {
  try {
    const today = await api(`/api/patients/${patientId}/today`);
    const copy = { ...today, fetched_at: new Date().toISOString() };
    await Outbox.setState('today', copy);
    return copy;
  } catch (error) {
    if (error instanceof NetworkError) return (await Outbox.getState('today')) || null;
    throw error;
  }
}

/** The server's due list, less what was answered on this phone since it was worked out. */
export function stillDue(today, checkins) {
  if (!today) return [];
  const since = new Date(today.fetched_at || today.generated_at).getTime();
  const answered = (instrument) =>
    checkins.some((c) => c.instrument === instrument && new Date(c.taken_at).getTime() >= since);
  return today.due.filter((d) => !answered(d.instrument));
}

/** A questionnaire's score and band worked out on the phone (the server's is the one kept). */
export function localScore(instrument, answers) {
  const score = instrument.items.reduce(
    (sum, item, i) => (item.scored && answers[i] != null ? sum + answers[i] : sum),
    0,
  );
  const band = instrument.bands.find((b) => b.low <= score && score <= b.high) || null;
  return { score, band: band?.id || null, band_label: band?.label || null };
}

/**
 * The answer to PHQ-9 item 9 (thoughts of self-harm), 0 for any other instrument. Without the
 * instruments at hand, a PHQ-9's ninth answer: the crisis help must not wait on a download.
 */
export function item9Of(instrument, answers) {
  const index = instrument ? instrument.items.findIndex((i) => i.id === 'phq9_9') : 8;
  return index >= 0 ? answers[index] ?? 0 : 0;
}
