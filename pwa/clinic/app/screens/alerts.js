// The safety alert inbox (GET /api/alerts, one audited read): escalations that reached nobody
// first, then open alerts (urgent, then oldest) with acknowledge-with-note in place, then
// acknowledged ones with who acknowledged them and their notes.
import { html, useState } from '../html.js';
import { api } from '../api.js';
import { formatDateTime, relativeTime, t } from '../i18n.js';
import { Button, Chip, ErrorNote, Field, Loading, Notice, Page, RelativeTime, announce, useApi, useStylesheet } from '../ui.js';

export const LIST_SIZE = 200;

export function LevelChip({ alert }) {
  return html`<${Chip} tone=${alert.level === 'urgent' ? 'danger' : 'warn'}>${t(`alerts.level.${alert.level}`)}<//>`;
}

export function item9Text(alert) {
  return t('alerts.item9', { value: alert.item9, label: t(`alerts.item9_answer.${alert.item9}`) });
}

/** Where the alert stands on its way to someone: escalates in..., overdue, or its delivery. */
export function EscalationChip({ alert }) {
  if (alert.delivery === 'not_delivered') return html`<${Chip} tone="danger">${t('alerts.delivery.not_delivered')}<//>`;
  if (alert.delivery) return html`<${Chip} tone=${alert.delivery === 'delivered' ? 'info' : 'warn'}>${t(`alerts.delivery.${alert.delivery}`)}<//>`;
  if (alert.status !== 'open') return null;
  if (alert.overdue) return html`<${Chip} tone="warn">${t('alerts.overdue')}<//>`;
  return html`<span class="escalates" title=${formatDateTime(alert.escalate_at)}>
    ${t('alerts.escalates_in', { when: relativeTime(alert.escalate_at) })}
  </span>`;
}

/** The note and the Acknowledge button; `onDone(alert)` gets the acknowledged alert. */
export function AcknowledgeForm({ alert, onDone }) {
  const [note, setNote] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event) => {
    event.preventDefault();
    if (!note.trim()) {
      setError({ detail: t('alerts.ack_note_missing'), fields: { note: t('alerts.ack_note_missing') } });
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const done = await api.post(`/api/alerts/${alert.id}/ack`, { note });
      announce(t('alerts.acknowledged_notice'));
      onDone(done);
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  return html`
    <form class="ack-form" onSubmit=${submit} noValidate>
      <${Field} label=${t('alerts.ack_note')} hint=${t('alerts.ack_note_hint')} error=${error?.fields?.note}>
        ${(p) => html`<textarea ...${p} rows="2" maxlength="4000" required value=${note} onInput=${(e) => setNote(e.target.value)}></textarea>`}
      <//>
      ${error && !error.fields?.note && html`<${ErrorNote} error=${error} />`}
      <${Button} kind="primary" type="submit" busy=${busy} aria-label=${t('alerts.ack_button_for', { name: alert.patient_name })}>
        ${t('alerts.ack_button')}
      <//>
    </form>
  `;
}

function OpenAlert({ alert, onDone }) {
  return html`
    <li class=${`alert-card card alert-${alert.level}${alert.delivery === 'not_delivered' ? ' alert-undelivered' : ''}`}>
      <div class="alert-head">
        <h3><a href=${`#/alerts/${alert.id}`} aria-label=${t('alerts.open_alert_for', { name: alert.patient_name })}>${alert.patient_name}</a></h3>
        <${LevelChip} alert=${alert} />
        <${EscalationChip} alert=${alert} />
      </div>
      <p class="alert-facts">
        <span>${item9Text(alert)}</span>
        <span>${t('alerts.raised')} <${RelativeTime} value=${alert.created_at} /></span>
        <a href=${`#/patients/${alert.patient_id}`}>${t('alerts.open_patient')}</a>
      </p>
      <${AcknowledgeForm} alert=${alert} onDone=${onDone} />
    </li>
  `;
}

function AcknowledgedAlert({ alert }) {
  return html`
    <li class="alert-row">
      <div class="alert-head">
        <h3><a href=${`#/alerts/${alert.id}`} aria-label=${t('alerts.open_alert_for', { name: alert.patient_name })}>${alert.patient_name}</a></h3>
        <${LevelChip} alert=${alert} />
        ${alert.delivery === 'not_delivered' && html`<${EscalationChip} alert=${alert} />`}
      </div>
      <p class="alert-facts">
        <span>${item9Text(alert)}</span>
        <span>${t('alerts.raised')} <${RelativeTime} value=${alert.created_at} /></span>
        <span>
          ${t('alerts.acknowledged_by', { name: alert.acknowledged_by_name || t('alerts.someone') })}
          ${' '}<${RelativeTime} value=${alert.acknowledged_at} />
        </span>
      </p>
      <blockquote class="ack-note"><span class="visually-hidden">${t('alerts.note')}: </span>${alert.ack_note}</blockquote>
    </li>
  `;
}

export default function Alerts() {
  useStylesheet(import.meta.url);
  const inbox = useApi(() => api.get('/api/alerts', { query: { limit: LIST_SIZE } }), []);
  const [done, setDone] = useState(null);

  const acknowledged = (alert) => {
    setDone(alert.patient_name);
    inbox.setData((alerts) => alerts.map((a) => (a.id === alert.id ? alert : a)));
  };

  let body;
  if (inbox.error && !inbox.data) body = html`<${ErrorNote} error=${inbox.error} />`;
  else if (!inbox.data) body = html`<${Loading} />`;
  else if (!inbox.data.length) body = html`<p class="empty">${t('alerts.none')}</p>`;
  else {
    const open = inbox.data.filter((a) => a.status === 'open');
    const undelivered = open.filter((a) => a.delivery === 'not_delivered');
    const waiting = open.filter((a) => a.delivery !== 'not_delivered');
    const closed = inbox.data.filter((a) => a.status !== 'open');
    body = html`
      ${done && html`<${Notice} tone="good">${t('alerts.acknowledged_notice')}<//>`}
      ${undelivered.length > 0 &&
      html`
        <section class="undelivered" aria-labelledby="undelivered-title">
          <h2 id="undelivered-title">${t('alerts.not_delivered_title')}</h2>
          <p class="undelivered-lead">${t('alerts.not_delivered_lead', { count: undelivered.length })}</p>
          <ul class="alert-list">${undelivered.map((a) => html`<${OpenAlert} key=${a.id} alert=${a} onDone=${acknowledged} />`)}</ul>
        </section>
      `}
      <section aria-labelledby="open-title">
        <h2 id="open-title">${t('alerts.open_title')} <span class="count">(${waiting.length})</span></h2>
        ${waiting.length
          ? html`<ul class="alert-list">${waiting.map((a) => html`<${OpenAlert} key=${a.id} alert=${a} onDone=${acknowledged} />`)}</ul>`
          : html`<p class="empty">${t('alerts.open_none')}</p>`}
      </section>
      <section aria-labelledby="closed-title">
        <h2 id="closed-title">${t('alerts.acknowledged_title')} <span class="count">(${closed.length})</span></h2>
        ${closed.length
          ? html`<ul class="alert-list closed">${closed.map((a) => html`<${AcknowledgedAlert} key=${a.id} alert=${a} />`)}</ul>`
          : html`<p class="empty">${t('alerts.acknowledged_none')}</p>`}
      </section>
    `;
  }
  return html`
    <${Page}
      title=${t('alerts.title')}
      lead=${t('alerts.lead')}
      className="alerts-page"
      actions=${html`<a class="button button-secondary" href="#/notifications">${t('alerts.notifications_link')}</a>`}
    >
      ${body}
    <//>
  `;
}
