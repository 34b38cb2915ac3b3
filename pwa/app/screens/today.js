// Today: one tap logs the mood (and pain, when the clinic turned it on), days since the last
// treatment, what is due (as the server works it out), and what is waiting in the outbox.
import { html, useEffect, useState } from '../html.js';
import { formatDate, formatTime, inSentence, t, has } from '../i18n.js';
import { useAppState } from '../store.js';
import {
  allCheckins,
  item9Of,
  lastInfusion,
  latestToday,
  loadRecent,
  loadToday,
  localScore,
  stillDue,
} from '../checkins.js';
import { discardRefused, queueCheckin, retryRefused } from '../outbox.js';
import { SavedNote, Screen, ScaleButtons, wordingLang } from '../ui.js';

const DAY = 86400000;
const Outbox = self.AfterglowOutbox;

export function instrumentName(id, instruments) {
  const key = `instrument.${id}`;
  return has(key) ? t(key) : instruments?.[id]?.name || id;
}

/** `loader(patientId)` now, and again whenever a push says something changed. */
function useLoaded(loader, patientId) {
  const [loaded, setLoaded] = useState(null);
  useEffect(() => {
    let live = true;
    const load = () =>
      loader(patientId).then((r) => live && setLoaded(r), () => live && setLoaded((r) => r));
    load();
    addEventListener('afterglow:refresh', load);
    return () => {
      live = false;
      removeEventListener('afterglow:refresh', load);
    };
  }, [patientId]);
  return loaded;
}

function DailyScale({ instrumentId, instruments, checkins }) {
  const instrument = instruments?.[instrumentId];
  const [saved, setSaved] = useState(null);
  const today = latestToday(checkins, instrumentId);
  if (!instrument) return null;
  const item = instrument.items[0];
  const titleId = `${instrumentId}-title`;
  const hintId = `${instrumentId}-hint`;
  const pick = async (value) => {
    const entry = await queueCheckin(instrumentId, [value]);
    setSaved(entry);
  };
  return html`
    <section class="card" aria-labelledby=${titleId}>
      <h2 id=${titleId} lang=${wordingLang(instrument)}>${instrument.stem}</h2>
      <p id=${hintId} class="hint">
        ${t('today.scale_hint', { low: inSentence(item.options[0].label), high: inSentence(item.options.at(-1).label) })}
      </p>
      <${ScaleButtons}
        item=${item}
        picked=${today ? today.answers[0] : null}
        onPick=${pick}
        labelledBy=${titleId}
        describedBy=${hintId}
        lang=${wordingLang(instrument)}
      />
      <${SavedNote} entry=${saved} />
    </section>
  `;
}

function InfusionDays({ infusions }) {
  const infusion = lastInfusion(infusions);
  if (!infusion) return html`<p class="infusion-days">${t('today.no_infusion')}</p>`;
  const days = Math.floor((Date.now() - new Date(infusion.given_at).getTime()) / DAY);
  return html`
    <p class="infusion-days">
      <strong class="big-number">${days}</strong>
      ${' '}${t('today.days_since', { count: days })}
      <span class="muted"> (${formatDate(infusion.given_at)})</span>
    </p>
  `;
}

/** A due check-in's link text, by why it is due: the reminder that asked, or the weekly rhythm. */
function dueText(item, name) {
  const specific = `today.due_reason_${item.reason}`;
  if (has(specific)) return t(specific, { name });
  if (item.instrument === 'after') return t('today.due_after');
  return t(item.reason === 'weekly' ? 'today.due_weekly' : 'today.due_today', { name });
}

function DueList({ due, instruments }) {
  const names = (id) => instrumentName(id, instruments);
  return html`
    <section class="card" aria-labelledby="due-title">
      <h2 id="due-title">${t('today.due_title')}</h2>
      ${due.length === 0 && html`<p>${t('today.nothing_due')}</p>`}
      <ul class="due-list">
        ${due.map(
          (d) => html`
            <li>
              <a class="button primary" href=${`#/checkin/${d.instrument}`}>${dueText(d, names(d.instrument))}</a>
              ${d.last_taken_at && html`<span class="muted">${t('today.last_taken', { date: formatDate(d.last_taken_at) })}</span>`}
            </li>
          `,
        )}
      </ul>
      <details class="more-checkins">
        <summary>${t('today.other_checkins')}</summary>
        <ul class="link-list">
          ${['phq9', 'gad7', 'after'].map(
            (id) => html`<li><a href=${`#/checkin/${id}`}>${names(id)}</a></li>`,
          )}
        </ul>
      </details>
    </section>
  `;
}

const isDaily = (id) => id === 'mood' || id === 'pain';

function outboxSummary(waiting, refused) {
  if (waiting) return t('outbox.waiting_count', { count: waiting });
  if (refused) return t('outbox.refused_count', { count: refused });
  return t('outbox.all_sent');
}

function OutboxPanel({ outbox, instruments }) {
  const waiting = outbox.filter((e) => e.status === 'waiting');
  const refused = outbox.filter((e) => e.status === 'failed');
  const sent = outbox.filter((e) => e.status === 'sent').slice(-5).reverse();
  if (!outbox.length) return null;
  const row = (e, label) => html`
    <li class=${`outbox-${e.status}`}>
      <span>${instrumentName(e.instrument, instruments)}${isDaily(e.instrument) ? ` ${e.answers[0]}/10` : ''}</span>
      <span class="muted">${formatDate(e.taken_at)} ${formatTime(e.taken_at)}</span>
      <span class="tag">${label}</span>
    </li>
  `;
  return html`
    <section class="card" aria-labelledby="outbox-title">
      <h2 id="outbox-title">${t('outbox.title')}</h2>
      <p class="outbox-summary" data-waiting=${waiting.length}>${outboxSummary(waiting.length, refused.length)}</p>
      <ul class="outbox-list">
        ${waiting.map((e) => row(e, t('outbox.waiting')))}
        ${sent.map((e) => row(e, t('outbox.sent')))}
      </ul>
    </section>
  `;
}

/** What the patient answered, in a line: "7/10", or a questionnaire's score. */
function answeredLine(entry, instrument) {
  if (isDaily(entry.instrument)) return `${entry.answers[0]}/10`;
  if (instrument?.bands?.length) return t('refused.score', { score: localScore(instrument, entry.answers).score });
  return null;
}

function RefusedCheckin({ entry, instruments, onHelp }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const instrument = instruments?.[entry.instrument];
  const item9 = entry.instrument === 'phq9' ? item9Of(instrument, entry.answers) : 0;
  const answered = answeredLine(entry, instrument);
  const sendAgain = async () => {
    setBusy(true);
    await retryRefused(entry.id);
    setBusy(false);
  };
  return html`
    <li class="refused-item">
      <h3>
        ${instrumentName(entry.instrument, instruments)}
        <span class="muted"> · ${formatDate(entry.taken_at)} ${formatTime(entry.taken_at)}</span>
      </h3>
      ${answered && html`<p>${answered}</p>`}
      ${entry.note && html`<p class="refused-note">${t('refused.note', { note: entry.note })}</p>`}
      ${item9 >= 1 &&
      html`
        <p class="error">${t('refused.item9')}</p>
        <button type="button" class="button crisis-button" onClick=${onHelp}>${t('refused.get_help')}</button>
      `}
      ${entry.error && html`<p class="muted">${t('refused.reason', { reason: entry.error })}</p>`}
      ${confirming
        ? html`
            <p>${t('refused.remove_question')}</p>
            <div class="actions">
              <button type="button" class="button" onClick=${() => discardRefused(entry.id)}>
                ${t('refused.remove_confirm')}
              </button>
              <button type="button" class="button" onClick=${() => setConfirming(false)}>${t('refused.keep')}</button>
            </div>
          `
        : html`
            <div class="actions">
              <button type="button" class="button primary" disabled=${busy} onClick=${sendAgain}>
                ${t('refused.retry')}
              </button>
              <button type="button" class="button" onClick=${() => setConfirming(true)}>${t('refused.remove')}</button>
            </div>
          `}
    </li>
  `;
}

/**
 * Check-ins the server refused for good: never dropped in silence. They stay, with what was
 * answered, until the patient sends them again or removes them.
 */
function RefusedPanel({ refused, instruments, onHelp }) {
  if (!refused.length) return null;
  return html`
    <section class="card refused" aria-labelledby="refused-title">
      <h2 id="refused-title">${t('refused.title')}</h2>
      <p>${t('refused.intro')}</p>
      <ul class="refused-list">
        ${refused.map(
          (entry) => html`<${RefusedCheckin} key=${entry.id} entry=${entry} instruments=${instruments} onHelp=${onHelp} />`,
        )}
      </ul>
    </section>
  `;
}

export default function Today() {
  const { me, instruments, outbox } = useAppState();
  const recent = useLoaded(loadRecent, me.patient_id);
  const today = useLoaded(loadToday, me.patient_id);
  const [help, setHelp] = useState(null);
  const checkins = recent ? allCheckins(recent) : [];
  const infusions = recent ? recent.infusions : [];
  const refused = outbox.filter((e) => e.status === 'failed' && e.patient_id === me.patient_id);
  const showHelp = async () => {
    const crisis = await import('./crisis.js');
    setHelp({ Crisis: crisis.default, safety: crisis.refusedSafety(await Outbox.getState('safety')) });
  };
  if (help) return html`<${help.Crisis} safety=${help.safety} onContinue=${() => setHelp(null)} />`;
  return html`
    <${Screen} title=${t('today.title')}>
      <p class="lead">${t('today.greeting', { name: me.display_name })} · ${formatDate(Date.now(), { weekday: 'long', day: 'numeric', month: 'long' })}</p>
      <${RefusedPanel} refused=${refused} instruments=${instruments} onHelp=${showHelp} />
      ${recent && html`<${InfusionDays} infusions=${infusions} />`}
      <${DailyScale} instrumentId="mood" instruments=${instruments} checkins=${checkins} />
      ${me.pain_enabled &&
      html`<${DailyScale} instrumentId="pain" instruments=${instruments} checkins=${checkins} />`}
      ${today && html`<${DueList} due=${stillDue(today, checkins)} instruments=${instruments} />`}
      <${OutboxPanel} outbox=${outbox} instruments=${instruments} />
    <//>
  `;
}
