// Today: one tap logs the mood (and pain, when the clinic turned it on), days since the last
// infusion, what is due, and what is waiting in the outbox.
import { html, useEffect, useState } from '../html.js';
import { formatDate, formatTime, t, has } from '../i18n.js';
import { useAppState } from '../store.js';
import { allCheckins, dueItems, lastInfusion, latestToday, loadRecent } from '../checkins.js';
import { queueCheckin } from '../outbox.js';
import { SavedNote, Screen, ScaleButtons, wordingLang } from '../ui.js';

const DAY = 86400000;

export function instrumentName(id, instruments) {
  const key = `instrument.${id}`;
  return has(key) ? t(key) : instruments?.[id]?.name || id;
}

function useRecent(patientId) {
  const [recent, setRecent] = useState(null);
  useEffect(() => {
    let live = true;
    const load = () =>
      loadRecent(patientId).then((r) => live && setRecent(r), () => live && setRecent((r) => r));
    load();
    addEventListener('afterglow:refresh', load);
    return () => {
      live = false;
      removeEventListener('afterglow:refresh', load);
    };
  }, [patientId]);
  return recent;
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
        ${t('today.scale_hint', { low: item.options[0].label, high: item.options.at(-1).label })}
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

function DueList({ checkins, infusions, instruments }) {
  const due = dueItems(checkins, infusions);
  const names = (id) => instrumentName(id, instruments);
  return html`
    <section class="card" aria-labelledby="due-title">
      <h2 id="due-title">${t('today.due_title')}</h2>
      ${due.length === 0 && html`<p>${t('today.nothing_due')}</p>`}
      <ul class="due-list">
        ${due.map(
          (d) => html`
            <li>
              <a class="button primary" href=${`#/checkin/${d.instrument}`}>
                ${t(`today.due_${d.instrument}`, { name: names(d.instrument) })}
              </a>
              ${d.last && html`<span class="muted">${t('today.last_taken', { date: formatDate(d.last.taken_at) })}</span>`}
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

function OutboxPanel({ outbox, instruments }) {
  const waiting = outbox.filter((e) => e.status === 'waiting');
  const failed = outbox.filter((e) => e.status === 'failed');
  const sent = outbox.filter((e) => e.status === 'sent').slice(-5).reverse();
  if (!outbox.length) return null;
  const row = (e, label) => html`
    <li class=${`outbox-${e.status}`}>
      <span>${instrumentName(e.instrument, instruments)}${e.instrument === 'mood' || e.instrument === 'pain' ? ` ${e.answers[0]}/10` : ''}</span>
      <span class="muted">${formatDate(e.taken_at)} ${formatTime(e.taken_at)}</span>
      <span class="tag">${label}</span>
      ${e.error && e.status === 'failed' && html`<span class="error-text">${e.error}</span>`}
    </li>
  `;
  return html`
    <section class="card" aria-labelledby="outbox-title">
      <h2 id="outbox-title">${t('outbox.title')}</h2>
      <p class="outbox-summary" data-waiting=${waiting.length}>
        ${waiting.length ? t('outbox.waiting_count', { count: waiting.length }) : t('outbox.all_sent')}
      </p>
      <ul class="outbox-list">
        ${waiting.map((e) => row(e, t('outbox.waiting')))}
        ${failed.map((e) => row(e, t('outbox.failed')))}
        ${sent.map((e) => row(e, t('outbox.sent')))}
      </ul>
    </section>
  `;
}

export default function Today() {
  const { me, instruments, outbox } = useAppState();
  const recent = useRecent(me.patient_id);
  const checkins = recent ? allCheckins(recent) : [];
  const infusions = recent ? recent.infusions : [];
  return html`
    <${Screen} title=${t('today.title')}>
      <p class="lead">${t('today.greeting', { name: me.display_name })} · ${formatDate(Date.now(), { weekday: 'long', day: 'numeric', month: 'long' })}</p>
      ${recent && html`<${InfusionDays} infusions=${infusions} />`}
      <${DailyScale} instrumentId="mood" instruments=${instruments} checkins=${checkins} />
      ${me.pain_enabled &&
      html`<${DailyScale} instrumentId="pain" instruments=${instruments} checkins=${checkins} />`}
      ${recent && html`<${DueList} checkins=${checkins} infusions=${infusions} instruments=${instruments} />`}
      <${OutboxPanel} outbox=${outbox} instruments=${instruments} />
    <//>
  `;
}
