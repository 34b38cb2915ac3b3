/*
 * The check-in outbox, shared by the page and the service worker.
 *
 * Every check-in is written here with its own UUID before anything is sent, then sent with
 * that UUID as its Idempotency-Key. The server stores a key once (201) and answers a replay
 * with the first result (200), so sending from the page, the service worker and Background
 * Sync at once can neither lose nor double a check-in.
 *
 * Journal entries wait here too, in a store of their own: each write is one whole version of an
 * entry (its key made on the phone, its revision counted on the phone), so sending it twice
 * stores it once, and an older version can never replace a newer one.
 *
 * This is a classic script, not a module: the service worker loads it with importScripts()
 * and the page with a deferred <script>. It needs idb-keyval's UMD build (global idbKeyval)
 * and defines the global AfterglowOutbox.
 */
(function (scope) {
  'use strict';

  const kv = scope.idbKeyval;
  const outbox = kv.createStore('afterglow-outbox', 'checkins');
  const state = kv.createStore('afterglow-state', 'kv');
  const journal = kv.createStore('afterglow-journal', 'writes');
  const LOCK = 'afterglow-outbox';
  const KEEP_SENT = 40;

  function uuid() {
    if (scope.crypto.randomUUID) return scope.crypto.randomUUID();
    const b = scope.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  const getState = (key) => kv.get(key, state);
  const setState = (key, value) => kv.set(key, value, state);
  const clearState = () => kv.clear(state);

  /** Store a check-in for sending; resolves to the stored entry (status "waiting"). */
  async function add(patientId, checkin) {
    const entry = {
      id: uuid(),
      patient_id: patientId,
      instrument: checkin.instrument,
      answers: checkin.answers.slice(),
      note: checkin.note || null,
      taken_at: checkin.taken_at || new Date().toISOString(),
      created_at: new Date().toISOString(),
      status: 'waiting',
      attempts: 0,
      error: null,
      sent_at: null,
      result: null,
    };
    await kv.set(entry.id, entry, outbox);
    return entry;
  }

  async function listOf(store) {
    const entries = await kv.values(store);
    return entries.sort((a, b) => (a.created_at < b.created_at ? -1 : 1));
  }

  const list = () => listOf(outbox);
  const get = (id) => kv.get(id, outbox);
  const save = (entry) => kv.set(entry.id, entry, outbox);

  /**
   * Store one version of a journal entry for sending; resolves to the stored write. `version`
   * is {key, revision, written_at, shared, stood_out, day_after, carry_forward, text}.
   */
  async function addJournal(patientId, version) {
    const write = {
      id: uuid(),
      patient_id: patientId,
      key: version.key,
      revision: version.revision,
      entry: {
        stood_out: version.stood_out || null,
        day_after: version.day_after || null,
        carry_forward: version.carry_forward || null,
        text: version.text || null,
        shared: Boolean(version.shared),
        written_at: version.written_at,
      },
      created_at: new Date().toISOString(),
      status: 'waiting',
      attempts: 0,
      error: null,
      conflict: false,
      sent_at: null,
      result: null,
    };
    await kv.set(write.id, write, journal);
    return write;
  }

  const listJournal = () => listOf(journal);
  const getJournal = (id) => kv.get(id, journal);

  /** Send a refused journal write again, as `revision` (newer than what the server holds). */
  async function retryJournal(id, revision) {
    const write = await getJournal(id);
    if (!write || write.status !== 'failed') return null;
    Object.assign(write, { status: 'waiting', error: null, conflict: false, revision });
    await kv.set(id, write, journal);
    return write;
  }

  /** Forget one refused journal write: only ever because the patient chose to. */
  async function discardJournal(id) {
    const write = await getJournal(id);
    if (write && write.status === 'failed') await kv.del(id, journal);
  }

  /** Forget what was never sent (the patient chose to, when signing out offline). */
  async function discardUnsent() {
    for (const store of [outbox, journal]) {
      const unsent = (await listOf(store)).filter((e) => e.status !== 'sent');
      await kv.delMany(unsent.map((e) => e.id), store);
    }
  }

  // The journal goes with the check-ins: nothing private stays behind for the next person.
  const clearAll = () => Promise.all([kv.clear(outbox), kv.clear(journal)]);

  /**
   * Put a check-in the server refused back in line (the patient asked to try again, e.g. after
   * the clinic updated its server). It keeps its UUID, so it can still be stored only once.
   */
  async function retry(id) {
    const entry = await get(id);
    if (!entry || entry.status !== 'failed') return null;
    Object.assign(entry, { status: 'waiting', error: null });
    await save(entry);
    return entry;
  }

  /** Forget one refused check-in: only ever because the patient chose to. */
  async function discard(id) {
    const entry = await get(id);
    if (entry && entry.status === 'failed') await kv.del(id, outbox);
  }

  async function cookieValue(name) {
    if (scope.document) {
      const match = scope.document.cookie.match(new RegExp(`(?:^|; )${name}=([^;]*)`));
      return match ? decodeURIComponent(match[1]) : null;
    }
    if (scope.cookieStore) {
      try {
        const cookie = await scope.cookieStore.get(name);
        return cookie ? cookie.value : null;
      } catch {
        return null;
      }
    }
    return null;
  }

  /**
   * The CSRF token every unsafe request echoes in x-csrftoken. It belongs to the session, so
   * it changes at every sign-in and sign-out. With `fresh`, first ask the server, which names
   * the current token in its answer: a service worker that cannot read cookies (no cookieStore
   * in Safari and Firefox) learns it there, instead of its copy from before a sign-in.
   */
  async function csrfToken(fresh) {
    let named = null;
    if (fresh) {
      try {
        const response = await fetch('/api/health', { credentials: 'same-origin', cache: 'no-store' });
        named = response.headers.get('x-csrftoken');
      } catch {
        // Offline: the send that follows fails too, and the entry waits.
      }
    }
    const token = named || (await cookieValue('csrftoken'));
    if (token) {
      await setState('csrf', token);
      return token;
    }
    return getState('csrf');
  }

  /** The phone's own time zone now (an IANA name), or '' when the browser does not say. */
  function phoneZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || '';
    } catch {
      return '';
    }
  }

  function post(entry, token) {
    const body = { instrument: entry.instrument, answers: entry.answers, taken_at: entry.taken_at };
    if (entry.note) body.note = entry.note;
    const headers = {
      'content-type': 'application/json',
      accept: 'application/json',
      'idempotency-key': entry.id,
      'x-csrftoken': token || '',
    };
    // An item-9 answer's crisis screen names the emergency number where the phone is.
    const zone = phoneZone();
    if (zone) headers['x-time-zone'] = zone;
    return fetch('/api/checkins', {
      method: 'POST',
      credentials: 'same-origin',
      headers,
      body: JSON.stringify(body),
    });
  }

  async function detailOf(response) {
    try {
      const body = await response.json();
      return body && body.detail ? String(body.detail) : `HTTP ${response.status}`;
    } catch {
      return `HTTP ${response.status}`;
    }
  }

  function putJournal(write, token) {
    return fetch(`/api/me/journal/${encodeURIComponent(write.key)}`, {
      method: 'PUT',
      credentials: 'same-origin',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        'x-csrftoken': token || '',
      },
      body: JSON.stringify({ ...write.entry, revision: write.revision }),
    });
  }

  async function pruneSent(store) {
    const sent = (await listOf(store)).filter((e) => e.status === 'sent');
    const old = sent.slice(0, Math.max(0, sent.length - KEEP_SENT)).map((e) => e.id);
    if (old.length) await kv.delMany(old, store);
  }

  const refusedForGood = (status) => status >= 400 && status < 500 && ![401, 403, 408, 429].includes(status);

  /**
   * Send one waiting entry. Resolves to "sent", "failed" (refused for good: the server said
   * what is wrong; the entry stays on the phone, shown to the patient, until they retry or
   * discard it), "signin" (no session: keep it until the patient signs in again), "later"
   * (offline or server trouble) or "skip" (someone else sent it meanwhile).
   */
  async function sendEntry(id, token, retried) {
    const entry = await get(id);
    if (!entry || entry.status !== 'waiting') return 'skip';
    entry.attempts += 1;
    let response;
    try {
      response = await post(entry, token);
    } catch {
      await save(entry);
      return 'later';
    }
    if (response.ok) {
      const result = await response.json();
      Object.assign(entry, {
        status: 'sent',
        sent_at: new Date().toISOString(),
        error: null,
        result: {
          id: result.id,
          score: result.score,
          band: result.band,
          band_label: result.band_label,
          safety: result.safety || null,
        },
      });
      await save(entry);
      return 'sent';
    }
    if (response.status === 409) {
      // "This key already holds another check-in": every entry makes its own UUID and never
      // changes, so what the server holds under it came from this entry, sent before and read
      // differently then (a newer server cleans text it once stored as sent). The clinic has it.
      Object.assign(entry, { status: 'sent', sent_at: new Date().toISOString(), error: null, result: null });
      await save(entry);
      return 'sent';
    }
    if (response.status === 403 && !retried) {
      // Most often a CSRF cookie the browser dropped (it lasts one browser session).
      await save(entry);
      return sendEntry(id, await csrfToken(true), true);
    }
    if (refusedForGood(response.status)) {
      entry.status = 'failed';
      entry.error = await detailOf(response);
      await save(entry);
      return 'failed';
    }
    entry.error = `HTTP ${response.status}`;
    await save(entry);
    return response.status === 401 || response.status === 403 ? 'signin' : 'later';
  }

  /**
   * Send one waiting journal write: the same outcomes as a check-in's, but a 409 means the
   * server holds another version of this entry (changed on another device): the write is
   * kept as refused, with `conflict`, so that the patient decides which version stays.
   */
  async function sendJournal(id, token, retried) {
    const write = await getJournal(id);
    if (!write || write.status !== 'waiting') return 'skip';
    write.attempts += 1;
    const keep = () => kv.set(write.id, write, journal);
    let response;
    try {
      response = await putJournal(write, token);
    } catch {
      await keep();
      return 'later';
    }
    if (response.ok) {
      Object.assign(write, { status: 'sent', sent_at: new Date().toISOString(), error: null, result: await response.json() });
      await keep();
      return 'sent';
    }
    if (response.status === 403 && !retried) {
      await keep();
      return sendJournal(id, await csrfToken(true), true);
    }
    if (refusedForGood(response.status)) {
      Object.assign(write, { status: 'failed', error: await detailOf(response), conflict: response.status === 409 });
      await keep();
      return 'failed';
    }
    write.error = `HTTP ${response.status}`;
    await keep();
    return response.status === 401 || response.status === 403 ? 'signin' : 'later';
  }

  function withLock(work) {
    if (scope.navigator && scope.navigator.locks) return scope.navigator.locks.request(LOCK, work);
    return work();
  }

  /**
   * Send every waiting check-in of the signed-in patient, oldest first, then their journal
   * writes, and stop at the first that has to wait. Entries of another patient (a shared phone)
   * wait for that patient's session. Resolves to {sent, failed, waiting, signin}.
   */
  function flush() {
    return withLock(async () => {
      const summary = { sent: 0, failed: 0, waiting: 0, signin: false };
      const me = await getState('me');
      if (!me || !me.patient_id) return summary;
      const waiting = (entries) => entries.filter((e) => e.status === 'waiting' && e.patient_id === me.patient_id);
      const queues = [
        [outbox, waiting(await list()), sendEntry],
        [journal, waiting(await listJournal()), sendJournal],
      ];
      if (!queues.some(([, mine]) => mine.length)) return summary;
      let token = await csrfToken(false);
      let blocked = null;
      for (const [store, mine, send] of queues) {
        for (const entry of mine) {
          if (blocked) {
            summary.waiting += 1;
            continue;
          }
          const outcome = await send(entry.id, token, false);
          if (outcome === 'sent') summary.sent += 1;
          else if (outcome === 'failed') summary.failed += 1;
          else if (outcome === 'signin' || outcome === 'later') {
            blocked = outcome;
            summary.waiting += 1;
            summary.signin = outcome === 'signin';
          }
          token = (await getState('csrf')) || token;
        }
        await pruneSent(store);
      }
      return summary;
    });
  }

  scope.AfterglowOutbox = {
    add,
    list,
    get,
    flush,
    retry,
    discard,
    discardUnsent,
    clearAll,
    addJournal,
    listJournal,
    retryJournal,
    discardJournal,
    csrfToken,
    phoneZone,
    getState,
    setState,
    clearState,
    uuid,
  };
})(self);
