// One safety alert (GET /api/alerts/{id}, audited): what the patient answered, acknowledge with
// a note, and the escalation history (who was told, when, by notification or email, and whether
// it got through). Escalation notifications and emails open this screen.
import { html, useState } from '../html.js';
import { api } from '../api.js';
import { formatDateTime, relativeTime, t } from '../i18n.js';
import { Chip, DataTable, ErrorNote, Loading, Notice, Page, RelativeTime, useApi, useStylesheet } from '../ui.js';
import { AcknowledgeForm, EscalationChip, LevelChip } from './alerts.js';

const OUTCOME_TONE = { sent: 'good', queued: 'warn', failed: 'danger', expired: 'danger', skipped: 'muted' };

function History({ alert }) {
  if (!alert.escalated_at) {
    return html`<p class="empty">
      ${alert.status === 'open'
        ? t('alerts.history_not_yet', { when: relativeTime(alert.escalate_at) })
        : t('alerts.history_not_escalated')}
    </p>`;
  }
  if (!alert.escalations.length) return html`<p class="history-nobody" role="note">${t('alerts.history_nobody')}</p>`;
  const columns = [
    { key: 'recipient_name', label: t('alerts.col.recipient') },
    { key: 'channel', label: t('alerts.col.channel'), render: (e) => t(`alerts.channel.${e.channel}`) },
    {
      key: 'status',
      label: t('alerts.col.status'),
      render: (e) => html`<${Chip} tone=${OUTCOME_TONE[e.status] || 'neutral'}>${t(`alerts.outcome.${e.status}`)}<//>`,
    },
    { key: 'queued_at', label: t('alerts.col.queued'), render: (e) => formatDateTime(e.queued_at) },
    { key: 'delivered_at', label: t('alerts.col.delivered'), render: (e) => (e.delivered_at ? formatDateTime(e.delivered_at) : '—') },
    {
      key: 'detail',
      label: t('alerts.col.detail'),
      className: 'history-detail',
      render: (e) => [e.reason && t(`alerts.reason.${e.reason}`), e.error].filter(Boolean).join(' · ') || '—',
    },
  ];
  return html`<${DataTable}
    caption=${t('alerts.history_caption')}
    captionHidden=${true}
    columns=${columns}
    rows=${alert.escalations}
    rowKey=${(e) => `${e.channel}-${e.recipient_user_id}`}
  />`;
}

export default function AlertScreen({ params }) {
  useStylesheet(new URL('./alerts.js', import.meta.url));
  const shown = useApi(() => api.get(`/api/alerts/${encodeURIComponent(params.id)}`), [params.id]);
  const [justDone, setJustDone] = useState(false);
  const alert = shown.data;

  let body;
  if (shown.error && !alert) body = html`<${ErrorNote} error=${shown.error} />`;
  else if (!alert) body = html`<${Loading} />`;
  else {
    body = html`
      <section class="card alert-summary" aria-labelledby="summary-title">
        <h2 id="summary-title" class="visually-hidden">${t('alerts.summary')}</h2>
        <div class="alert-head">
          <${LevelChip} alert=${alert} />
          <${Chip} tone=${alert.status === 'open' ? 'warn' : 'good'}>${t(`alerts.status.${alert.status}`)}<//>
          <${EscalationChip} alert=${alert} />
        </div>
        <dl class="facts">
          <div>
            <dt>${t('alerts.item9_label')}</dt>
            <dd>${t('alerts.item9_value', { value: alert.item9, label: t(`alerts.item9_answer.${alert.item9}`) })}</dd>
          </div>
          <div><dt>${t('alerts.raised')}</dt><dd>${formatDateTime(alert.created_at)} (<${RelativeTime} value=${alert.created_at} />)</dd></div>
          <div>
            <dt>${alert.escalated_at ? t('alerts.escalated') : t('alerts.escalates')}</dt>
            <dd>${formatDateTime(alert.escalated_at || alert.escalate_at)}</dd>
          </div>
        </dl>
        <p><a href=${`#/patients/${alert.patient_id}`}>${t('alerts.open_patient')}: ${alert.patient_name}</a></p>
      </section>
      ${justDone && html`<${Notice} tone="good">${t('alerts.acknowledged_notice')}<//>`}
      ${alert.status === 'open'
        ? html`<section class="card" aria-labelledby="ack-title">
            <h2 id="ack-title">${t('alerts.ack_button')}</h2>
            <${AcknowledgeForm}
              alert=${alert}
              onDone=${(done) => {
                setJustDone(true);
                shown.setData(done);
              }}
            />
          </section>`
        : html`<section class="card" aria-labelledby="ack-title">
            <h2 id="ack-title">${t('alerts.acknowledged_by', { name: alert.acknowledged_by_name || t('alerts.someone') })}</h2>
            <p class="alert-facts">${formatDateTime(alert.acknowledged_at)}</p>
            <blockquote class="ack-note"><span class="visually-hidden">${t('alerts.note')}: </span>${alert.ack_note}</blockquote>
          </section>`}
      <section class="card" aria-labelledby="history-title">
        <h2 id="history-title">${t('alerts.history_title')}</h2>
        <p class="hint">${t('alerts.history_lead')}</p>
        <${History} alert=${alert} />
      </section>
    `;
  }
  return html`
    <${Page}
      title=${alert ? t('alerts.detail_title', { name: alert.patient_name }) : t('alerts.title')}
      className="alert-page"
      actions=${html`<a class="button button-secondary" href="#/alerts">${t('alerts.back')}</a>`}
    >
      ${body}
    <//>
  `;
}
