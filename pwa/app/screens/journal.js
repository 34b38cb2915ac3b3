// The integration journal: a few optional questions and free text the day after a treatment.
// Entries are the patient's own: private unless they share one (then their clinic can read it
// on their timeline, until they stop sharing). Every write waits in the outbox first, as a
// check-in does, so the journal works offline; nothing here is scored or analysed.
import { html, useEffect, useState } from '../html.js';
import { formatDateTime, t } from '../i18n.js';
import { api, NetworkError } from '../api.js';
import { useAppState } from '../store.js';
import { discardJournal, queueJournal, retryJournal } from '../outbox.js';
import { ErrorNote, Loading, Screen } from '../ui.js';

const Outbox = self.AfterglowOutbox;
const QUESTIONS = ['stood_out', 'day_after', 'carry_forward'];
const WORDS = [...QUESTIONS, 'text'];

/** The server's entries, kept on this phone for offline use (for this patient only). */
async function loadEntries(patientId) {
  try {
    const entries = await api('/api/me/journal?limit=500');
    await Outbox.setState('journal', { patient_id: patientId, entries });
    return { entries, offline: false };
  } catch (error) {
    if (!(error instanceof NetworkError)) throw error;
    const kept = await Outbox.getState('journal');
    return { entries: kept && kept.patient_id === patientId ? kept.entries : [], offline: true };
  }
}

/**
 * What the patient sees: the server's entries, each replaced by a newer version this phone
 * holds (sent, waiting, or refused), newest entry first.
 */
export function journalView(entries, writes) {
  const byKey = new Map(entries.map((e) => [e.key, { ...e, pending: null, write: null }]));
  for (const write of writes) {
    const shown = byKey.get(write.key);
    if (write.status === 'sent') {
      if (write.result && (!shown || write.result.revision > shown.revision)) {
        byKey.set(write.key, { ...write.result, pending: null, write: null });
      }
      continue;
    }
    // A refused version stays in view whatever the server holds: the patient decides.
    if (write.status === 'waiting' && shown && shown.revision >= write.revision) continue;
    byKey.set(write.key, {
      ...write.entry,
      key: write.key,
      revision: write.revision,
      written_at: shown ? shown.written_at : write.entry.written_at,
      edited_at: shown ? shown.edited_at : null,
      pending: write.status,
      write,
    });
  }
  return [...byKey.values()].sort((a, b) => (a.written_at < b.written_at ? 1 : -1));
}

/**
 * The crisis screen this phone keeps (the patient's country, their clinic's phone), opened from
 * the journal: nothing was answered, so it speaks of no answer and says what the clinic sees of
 * the journal, in the screen's own language (the patient's when reviewed, else English whole).
 */
async function journalSafety(crisis) {
  const kept = crisis.lastKnownSafety(await Outbox.getState('safety'));
  const lang = kept.unknown ? 'en' : kept.lang;
  const words = await (await fetch(new URL(`../i18n/${lang}.json`, import.meta.url))).json();
  const screen = kept.unknown
    ? {
        lang: 'en',
        title: words['crisis.title'],
        resources: [{ label: words['crisis.local_emergency'], contact: '', kind: 'other' }],
        clinic_phone: null,
        not_emergency_care: words['crisis.not_emergency_local'],
        continue_label: words['crisis.continue'],
      }
    : kept;
  return { ...screen, message: words['crisis.journal_message'], clinic_next: words['crisis.journal_clinic_next'] };
}

const wordsOf = (entry) => Object.fromEntries(WORDS.map((name) => [name, (entry && entry[name]) || '']));
const hasWords = (words) => WORDS.some((name) => words[name].trim());

function EntryForm({ entry, onSave, onCancel }) {
  const [words, setWords] = useState(() => wordsOf(entry));
  const [empty, setEmpty] = useState(false);
  const prefix = entry ? `edit-${entry.key}` : 'new';
  const titleId = `${prefix}-title`;
  const save = async (event) => {
    event.preventDefault();
    if (!hasWords(words)) {
      setEmpty(true);
      return;
    }
    setEmpty(false);
    await onSave(words);
    if (!entry) setWords(wordsOf(null));
  };
  return html`
    <form class="form journal-form" onSubmit=${save} aria-labelledby=${titleId} noValidate>
      <h2 id=${titleId}>${t(entry ? 'journal.edit_title' : 'journal.new_title')}</h2>
      ${WORDS.map(
        (name) => html`
          <label class="field">
            <span>${t(`journal.prompt.${name}`)}</span>
            <textarea
              name=${name}
              rows=${name === 'text' ? 5 : 3}
              value=${words[name]}
              aria-describedby=${empty ? `${prefix}-empty` : undefined}
              onInput=${(e) => setWords({ ...words, [name]: e.target.value })}
            ></textarea>
          </label>
        `,
      )}
      ${empty && html`<p class="error" id=${`${prefix}-empty`} role="alert">${t('journal.empty')}</p>`}
      <div class="actions">
        <button type="submit" class="button primary">${t(entry ? 'journal.save_changes' : 'journal.save')}</button>
        ${onCancel && html`<button type="button" class="button" onClick=${onCancel}>${t('journal.cancel')}</button>`}
      </div>
    </form>
  `;
}

function statusOf(entry) {
  if (entry.pending === 'waiting') return ['waiting', t('journal.waiting')];
  if (entry.shared) return ['shared', t('journal.shared')];
  return ['private', t('journal.private')];
}

function Refused({ entry, serverRevision }) {
  const write = entry.write;
  const reason = write.conflict ? t('journal.refused_conflict') : write.error;
  return html`
    <div class="journal-refused" role="alert">
      <p class="error">${t('journal.refused_title')}</p>
      <p>${t('journal.refused', { reason })}</p>
      <div class="actions">
        <button type="button" class="button primary"
          onClick=${() => retryJournal(write.id, Math.max(serverRevision, write.revision) + 1)}>
          ${t('journal.keep_mine')}
        </button>
        <button type="button" class="button" onClick=${() => discardJournal(write.id)}>${t('journal.discard')}</button>
      </div>
    </div>
  `;
}

function Entry({ entry, serverRevision, onWrite }) {
  const [editing, setEditing] = useState(false);
  const [asking, setAsking] = useState(false);
  const [kind, label] = statusOf(entry);
  const titleId = `entry-${entry.key}`;
  const next = (changes) =>
    onWrite({ ...wordsOf(entry), key: entry.key, written_at: entry.written_at, shared: entry.shared, revision: entry.revision + 1, ...changes });
  if (editing) {
    return html`
      <li class="card journal-entry">
        <${EntryForm}
          entry=${entry}
          onSave=${async (words) => {
            await next(words);
            setEditing(false);
          }}
          onCancel=${() => setEditing(false)}
        />
      </li>
    `;
  }
  const refused = entry.pending === 'failed';
  return html`
    <li class="card journal-entry" aria-labelledby=${titleId}>
      <h3 id=${titleId}>${formatDateTime(entry.written_at)}</h3>
      <p class="journal-status">
        <span class=${`tag tag-${kind}`}>${label}</span>
        ${entry.edited_at && html` <span class="muted">${t('journal.edited', { date: formatDateTime(entry.edited_at) })}</span>`}
      </p>
      <dl class="journal-words">
        ${WORDS.filter((name) => entry[name]).map(
          (name) => html`<dt>${t(`journal.prompt.${name}`)}</dt><dd>${entry[name]}</dd>`,
        )}
      </dl>
      ${refused && html`<${Refused} entry=${entry} serverRevision=${serverRevision} />`}
      ${!refused && asking &&
      html`
        <p>${t('journal.share_question')}</p>
        <div class="actions">
          <button type="button" class="button primary" onClick=${() => { setAsking(false); next({ shared: true }); }}>
            ${t('journal.share_confirm')}
          </button>
          <button type="button" class="button" onClick=${() => setAsking(false)}>${t('journal.keep_private')}</button>
        </div>
      `}
      ${!refused && !asking &&
      html`
        <div class="actions">
          <button type="button" class="button" onClick=${() => setEditing(true)}>${t('journal.edit')}</button>
          ${entry.shared
            ? html`<button type="button" class="button" onClick=${() => next({ shared: false })}>${t('journal.unshare')}</button>`
            : html`<button type="button" class="button" onClick=${() => setAsking(true)}>${t('journal.share')}</button>`}
        </div>
      `}
    </li>
  `;
}

export default function Journal() {
  const { me, journalOutbox } = useAppState();
  const [loaded, setLoaded] = useState(null);
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(false);
  const [help, setHelp] = useState(null);
  const reload = () =>
    loadEntries(me.patient_id).then(
      (found) => {
        setLoaded(found);
        setError(null);
      },
      (e) => setError(e.detail || t('common.unexpected')),
    );
  useEffect(() => {
    reload();
    addEventListener('afterglow:refresh', reload);
    return () => removeEventListener('afterglow:refresh', reload);
  }, [me.patient_id]);
  const writes = (journalOutbox || []).filter((w) => w.patient_id === me.patient_id);
  const write = async (version) => {
    await queueJournal(version);
    await reload();
  };
  const showHelp = async () => {
    const crisis = await import('./crisis.js');
    setHelp({ Crisis: crisis.default, safety: await journalSafety(crisis) });
  };
  if (help) return html`<${help.Crisis} safety=${help.safety} onContinue=${() => setHelp(null)} />`;
  const entries = loaded ? journalView(loaded.entries, writes) : [];
  const serverRevisions = new Map((loaded ? loaded.entries : []).map((e) => [e.key, e.revision]));
  return html`
    <${Screen} title=${t('journal.title')}>
      <p class="lead">${t('journal.lead')}</p>
      <section class="card journal-privacy" aria-label=${t('journal.title')}>
        <p><strong>${t('journal.private_note')}</strong></p>
        <p>${t('journal.not_watched')}</p>
        <button type="button" class="button crisis-button" onClick=${showHelp}>${t('journal.get_help')}</button>
      </section>
      <section class="card">
        <${EntryForm}
          onSave=${async (words) => {
            setSaved(false);
            await write({ ...words, key: Outbox.uuid(), revision: 1, written_at: new Date().toISOString(), shared: false });
            setSaved(true);
          }}
        />
        <p class="saved" role="status" aria-live="polite">${saved ? t('journal.saved') : ''}</p>
      </section>
      <section aria-labelledby="entries-title">
        <h2 id="entries-title">${t('journal.entries_title')}</h2>
        <${ErrorNote} error=${error} />
        ${loaded && loaded.offline && html`<p class="hint">${t('journal.offline_list')}</p>`}
        ${!loaded && !error && html`<${Loading} />`}
        ${loaded && entries.length === 0 && html`<p>${t('journal.none')}</p>`}
        <ul class="journal-list">
          ${entries.map(
            (entry) => html`<${Entry} key=${entry.key} entry=${entry} serverRevision=${serverRevisions.get(entry.key) || 0} onWrite=${write} />`,
          )}
        </ul>
      </section>
    <//>
  `;
}
