// A patient's reminder schedule, as their phone follows it (local wall-clock times in their time
// zone), adjusted by their clinician; and the delivery log: every notification about the patient
// and what became of it.
import { html, useMemo, useState } from '../html.js';
import { api } from '../api.js';
import { formatDateTime, t } from '../i18n.js';
import { Button, Chip, DataTable, ErrorNote, Field, Loading, Notice, Page, Pager, RelativeTime, useApi, useStylesheet } from '../ui.js';
import { BackToPatient, usePatient, FormError } from './record-parts.js';

const WEEKDAYS = [0, 1, 2, 3, 4, 5, 6];
const PAGE = 25;
const STATUS_TONE = { sent: 'good', queued: 'info', failed: 'danger', expired: 'warn', skipped: 'muted' };

function formOf(s) {
  return {
    mood_on: s.daily_mood_at !== null,
    daily_mood_at: s.daily_mood_at || '19:00',
    phq9_on: s.weekly_phq9 !== null,
    phq9_day: String(s.weekly_phq9?.weekday ?? 0),
    phq9_at: s.weekly_phq9?.at || '10:00',
    gad7_on: s.weekly_gad7 !== null,
    gad7_day: String(s.weekly_gad7?.weekday ?? 0),
    gad7_at: s.weekly_gad7?.at || '10:00',
    quiet_start: s.quiet_start,
    quiet_end: s.quiet_end,
    infusion_nudges: s.infusion_nudges,
    timezone: s.timezone,
  };
}

function bodyOf(f, original) {
  const body = {
    daily_mood_at: f.mood_on ? f.daily_mood_at : null,
    weekly_phq9: f.phq9_on ? { weekday: Number(f.phq9_day), at: f.phq9_at } : null,
    weekly_gad7: f.gad7_on ? { weekday: Number(f.gad7_day), at: f.gad7_at } : null,
    quiet_start: f.quiet_start,
    quiet_end: f.quiet_end,
    infusion_nudges: f.infusion_nudges,
  };
  if (f.timezone.trim() !== original.timezone) body.timezone = f.timezone.trim();
  return body;
}

function Weekly({ name, form, set, fields }) {
  const field = `weekly_${name}`;
  return html`
    <div class="reminder-row">
      <label class="check">
        <input type="checkbox" checked=${form[`${name}_on`]} onChange=${set(`${name}_on`)} />
        ${t(`records.reminders.${name}`)}
      </label>
      <${Field} className="inline" label=${t('records.reminders.weekday')} error=${fields[field]}>
        ${(p) => html`
          <select ...${p} disabled=${!form[`${name}_on`]} value=${form[`${name}_day`]} onChange=${set(`${name}_day`)}>
            ${WEEKDAYS.map((d) => html`<option value=${String(d)}>${t(`records.weekday.${d}`)}</option>`)}
          </select>
        `}
      <//>
      <${Field} className="inline" label=${t('records.reminders.at')}>
        ${(p) => html`<input ...${p} type="time" disabled=${!form[`${name}_on`]} value=${form[`${name}_at`]} onInput=${set(`${name}_at`)} />`}
      <//>
    </div>
  `;
}

function Schedule({ id, settings, onSaved }) {
  const initial = useMemo(() => formOf(settings), [settings]);
  const [form, setForm] = useState(initial);
  const [shownFor, setShownFor] = useState(initial);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  if (shownFor !== initial) {
    setShownFor(initial);
    setForm(initial);
  }
  const set = (key) => (e) => {
    setSaved(false);
    setForm((f) => ({ ...f, [key]: e.target.type === 'checkbox' ? e.target.checked : e.target.value }));
  };
  const fields = error?.fields || {};
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSaved(await api.put(`/api/patients/${id}/reminders`, bodyOf(form, settings)));
      setSaved(true);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return html`
    <form class="card form reminders-form" onSubmit=${submit} noValidate aria-labelledby="schedule-title">
      <h2 id="schedule-title">${t('records.reminders.schedule')}</h2>
      <p class="hint">${t('records.reminders.local_times', { zone: settings.timezone })}</p>
      <div class="reminder-row">
        <label class="check">
          <input type="checkbox" checked=${form.mood_on} onChange=${set('mood_on')} />
          ${t('records.reminders.mood')}
        </label>
        <${Field} className="inline" label=${t('records.reminders.at')} error=${fields.daily_mood_at}>
          ${(p) => html`<input ...${p} type="time" disabled=${!form.mood_on} value=${form.daily_mood_at} onInput=${set('daily_mood_at')} />`}
        <//>
      </div>
      <${Weekly} name="phq9" form=${form} set=${set} fields=${fields} />
      <${Weekly} name="gad7" form=${form} set=${set} fields=${fields} />
      <div class="form-row">
        <${Field} label=${t('records.reminders.quiet_start')} error=${fields.quiet_start}>
          ${(p) => html`<input ...${p} type="time" value=${form.quiet_start} onInput=${set('quiet_start')} />`}
        <//>
        <${Field} label=${t('records.reminders.quiet_end')} error=${fields.quiet_end}>
          ${(p) => html`<input ...${p} type="time" value=${form.quiet_end} onInput=${set('quiet_end')} />`}
        <//>
        <${Field} label=${t('records.reminders.timezone')} error=${fields.timezone}>
          ${(p) => html`<input ...${p} type="text" autocomplete="off" value=${form.timezone} onInput=${set('timezone')} />`}
        <//>
      </div>
      <label class="check">
        <input type="checkbox" checked=${form.infusion_nudges} onChange=${set('infusion_nudges')} />
        ${t('records.reminders.nudges')}
      </label>
      <p class="hint">${t('records.reminders.nudges_hint')}</p>
      <${FormError} error=${error} />
      ${saved && html`<${Notice} tone="good">${t('records.reminders.saved')}<//>`}
      <div class="form-actions"><${Button} kind="primary" type="submit" busy=${busy}>${t('common.save')}<//></div>
    </form>
  `;
}

function Delivery({ settings }) {
  const next = settings.next_reminder;
  return html`
    <div class="card delivery-card">
      <h2>${t('records.reminders.delivery')}</h2>
      ${settings.push_devices > 0
        ? html`<p><${Chip} tone="good">${t('records.reminders.devices', { count: settings.push_devices })}<//></p>`
        : html`<p><${Chip} tone="warn">${t('records.reminders.no_device')}<//></p><p class="hint">${t('records.reminders.no_device_body')}</p>`}
      <p>
        ${next
          ? t('records.reminders.next', { kind: t(`records.reminder_kind.${next.kind}`), when: formatDateTime(next.fire_at) })
          : t('records.reminders.none_next')}
      </p>
    </div>
  `;
}

function Log({ id }) {
  const [offset, setOffset] = useState(0);
  const sends = useApi(() => api.get(`/api/patients/${id}/reminders/sends`, { query: { limit: PAGE, offset } }), [id, offset]);
  const columns = [
    { key: 'fire_at', label: t('records.log.when'), render: (r) => html`<span title=${formatDateTime(r.fire_at)}>${formatDateTime(r.fire_at)}</span>` },
    { key: 'kind', label: t('records.log.kind'), render: (r) => t(`records.reminder_kind.${r.kind}`) },
    { key: 'status', label: t('records.log.status'), render: (r) => html`<${Chip} tone=${STATUS_TONE[r.status] || 'neutral'}>${t(`records.send_status.${r.status}`)}<//>` },
    { key: 'sent_at', label: t('records.log.sent'), render: (r) => (r.sent_at ? html`<${RelativeTime} value=${r.sent_at} />` : '—') },
    { key: 'attempts', label: t('records.log.attempts'), numeric: true },
    {
      key: 'last_error',
      label: t('records.log.problem'),
      render: (r) => (r.last_status || r.last_error ? [r.last_status, r.last_error].filter(Boolean).join(' · ') : '—'),
    },
  ];
  return html`
    <section class="record-section" aria-labelledby="log-title">
      <h2 id="log-title">${t('records.log.title')}</h2>
      <${ErrorNote} error=${sends.error} />
      ${sends.loading && !sends.data && html`<${Loading} />`}
      ${sends.data &&
      html`
        <${DataTable} caption=${t('records.log.title')} captionHidden=${true} columns=${columns} rows=${sends.data} empty=${t('records.log.empty')} />
        <${Pager} offset=${offset} limit=${PAGE} shown=${sends.data.length} onChange=${setOffset} />
      `}
    </section>
  `;
}

export default function RemindersScreen({ params }) {
  useStylesheet(import.meta.url);
  const id = params.id;
  const patient = usePatient(id);
  const settings = useApi(() => api.get(`/api/patients/${id}/reminders`), [id]);
  const name = patient.data?.display_name;
  const title = name ? t('records.reminders.title_for', { name }) : t('records.reminders.title');
  return html`
    <${Page} title=${title} className="reminders-page" actions=${html`<${BackToPatient} id=${id} name=${name} />`}>
      <${ErrorNote} error=${patient.error || settings.error} />
      ${settings.loading && !settings.data && html`<${Loading} />`}
      ${settings.data &&
      html`
        <div class="reminders-columns">
          <${Schedule} id=${id} settings=${settings.data} onSaved=${(s) => settings.setData(s)} />
          <${Delivery} settings=${settings.data} />
        </div>
        <${Log} id=${id} />
      `}
    <//>
  `;
}
