// A patient's timeline: mood, PHQ-9, GAD-7 (and pain) on one zoomable time axis with infusions,
// events and relief episodes; under it the episode table, Kaplan-Meier beside the clinic's, the
// booster outlook, the item view and every check-in. One read: GET /api/patients/{id}/timeline.
import { html, useEffect, useMemo, useState } from '../html.js';
import { api } from '../api.js';
import { formatDate, formatDateTime, formatNumber, t } from '../i18n.js';
import { DataTable, ErrorNote, Loading, Page, Pager, useApi, useStylesheet } from '../ui.js';
import { KIND_SHAPES, KmChart, TimelineChart, ensureUplotCss, panelsFor } from './timeline-chart.js';
import { DAY, baselineCheckin, bp, doseText, fullSpan, latest, seconds, seriesOf } from './timeline-data.js';
import { StatusChip, episodeColumns, kmSentence, outlookLines } from './timeline-parts.js';
import { SharedJournal } from './timeline-journal.js';

const RANGES = [
  ['90', 90],
  ['365', 365],
];
const CHECKIN_PAGE = 25;

function Legend() {
  const kinds = Object.keys(KIND_SHAPES);
  return html`
    <ul class="chart-legend">
      ${kinds.map((k) => html`<li><span class=${`key shape-${KIND_SHAPES[k]} kind-${k}`} aria-hidden="true"></span>${t(`timeline.kind.${k}`)}</li>`)}
      <li><span class="key shape-square key-event" aria-hidden="true"></span>${t('timeline.legend.event')}</li>
      <li><span class="key key-relief" aria-hidden="true"></span>${t('timeline.legend.relief')}</li>
      <li><span class="key key-baseline" aria-hidden="true"></span>${t('timeline.legend.baseline')}</li>
      <li><span class="key key-response" aria-hidden="true"></span>${t('timeline.legend.response')}</li>
      <li><span class="key key-remission" aria-hidden="true"></span>${t('timeline.legend.remission')}</li>
      <li><span class="key key-relapse" aria-hidden="true">R</span>${t('timeline.legend.relapse')}</li>
      <li><span class="key key-censor" aria-hidden="true">T</span>${t('timeline.legend.censor')}</li>
      <li><span class="key key-better" aria-hidden="true">▼</span>${t('timeline.legend.better')}</li>
      <li><span class="key key-worse" aria-hidden="true">▲</span>${t('timeline.legend.worse')}</li>
      <li><span class="key key-bands" aria-hidden="true"></span>${t('timeline.legend.bands')}</li>
    </ul>
  `;
}

function infusionColumns() {
  return [
    { key: 'given_at', label: t('timeline.inf.when'), render: (i) => formatDateTime(i.given_at) },
    { key: 'kind', label: t('timeline.inf.kind'), render: (i) => t(`timeline.kind.${i.kind}`) },
    { key: 'route', label: t('timeline.inf.route'), render: (i) => t(`timeline.route.${i.route}`) },
    { key: 'dose', label: t('timeline.inf.dose'), render: (i) => doseText(i, formatNumber) || '—' },
    {
      key: 'bp',
      label: t('timeline.inf.bp'),
      render: (i) =>
        [bp(i.bp_systolic_before, i.bp_diastolic_before), bp(i.bp_systolic_40min, i.bp_diastolic_40min), bp(i.bp_systolic_discharge, i.bp_diastolic_discharge)]
          .map((v) => v || '—')
          .join(' · '),
    },
    {
      key: 'notes',
      label: t('timeline.inf.notes'),
      render: (i) => [i.drug ? t(`timeline.drug.${i.drug}`) : '', i.dissociation_notes, i.notes, i.lot_number ? t('timeline.inf.lot', { lot: i.lot_number }) : ''].filter(Boolean).join(' · ') || '—',
    },
  ];
}

function eventColumns() {
  return [
    { key: 'occurred_at', label: t('timeline.inf.when'), render: (e) => formatDateTime(e.occurred_at) },
    { key: 'kind', label: t('timeline.event.what'), render: (e) => t(`timeline.event.${e.kind}`) },
    { key: 'notes', label: t('timeline.inf.notes'), render: (e) => e.notes || '—' },
  ];
}

function answersText(c) {
  if (c.instrument === 'mood' || c.instrument === 'pain') return '—';
  return c.answers.join(' ');
}

function CheckinTable({ timeline }) {
  const [instrument, setInstrument] = useState('');
  const [offset, setOffset] = useState(0);
  const rows = useMemo(
    () => timeline.checkins.filter((c) => !instrument || c.instrument === instrument).slice().reverse(),
    [timeline, instrument],
  );
  const instruments = [...new Set(timeline.checkins.map((c) => c.instrument))];
  const page = rows.slice(offset, offset + CHECKIN_PAGE);
  return html`
    <section class="card" aria-labelledby="checkins-title">
      <h2 id="checkins-title">${t('timeline.checkins.title')}</h2>
      <div class="field inline-field">
        <label for="checkin-filter">${t('timeline.checkins.filter')}</label>
        <select id="checkin-filter" value=${instrument} onChange=${(e) => { setInstrument(e.target.value); setOffset(0); }}>
          <option value="">${t('timeline.checkins.all')}</option>
          ${instruments.map((i) => html`<option value=${i}>${t(`timeline.instrument.${i}`)}</option>`)}
        </select>
      </div>
      <p class="hint">${t('timeline.checkins.answers_hint')}</p>
      <${DataTable}
        caption=${t('timeline.checkins.title')}
        captionHidden=${true}
        rows=${page}
        empty=${t('timeline.checkins.none')}
        columns=${[
          { key: 'taken_at', label: t('timeline.inf.when'), render: (c) => formatDateTime(c.taken_at) },
          { key: 'instrument', label: t('timeline.checkins.instrument'), render: (c) => t(`timeline.instrument.${c.instrument}`) },
          { key: 'score', label: t('timeline.checkins.score'), numeric: true, render: (c) => (c.score === null ? '—' : c.score) },
          { key: 'band', label: t('timeline.checkins.band'), render: (c) => c.band_label || '—' },
          {
            key: 'answers',
            label: t('timeline.checkins.answers'),
            className: 'mono',
            render: (c) =>
              c.instrument === 'phq9'
                ? html`${c.answers.slice(0, 8).join(' ')} <span class=${c.answers[8] > 0 ? 'item9-flag' : ''}>${c.answers[8]}</span>${c.answers.length > 9 ? ` · ${c.answers[9]}` : ''}`
                : answersText(c),
          },
          { key: 'note', label: t('timeline.inf.notes'), render: (c) => c.note || '' },
        ]}
      />
      <${Pager} offset=${offset} limit=${CHECKIN_PAGE} shown=${page.length} total=${rows.length} onChange=${setOffset} label=${t('timeline.checkins.pages')} />
    </section>
  `;
}

function ItemView({ timeline }) {
  const phq9 = seriesOf(timeline, 'phq9');
  const items = timeline.scales.find((s) => s.id === 'phq9').items.slice(0, 9);
  const withBaseline = timeline.relief.episodes.filter((e) => e.baseline_phq9_id !== null).slice(-1)[0];
  const base = baselineCheckin(timeline, withBaseline);
  const last = latest(phq9)?.checkin;
  const raised = phq9.filter((p) => p.checkin.answers[8] > 0);
  return html`
    <section class="card" aria-labelledby="items-title">
      <h2 id="items-title">${t('timeline.items.title')}</h2>
      <h3>${t('timeline.items.item9_title')}</h3>
      ${phq9.length === 0
        ? html`<p class="empty">${t('timeline.items.no_phq9')}</p>`
        : html`
            <ol class="item9-strip" aria-hidden="true">
              ${phq9.map((p) => html`<li class=${`i9-${p.checkin.answers[8]}`} title=${`${formatDate(p.checkin.taken_at)}: ${p.checkin.answers[8]}`}></li>`)}
            </ol>
            <p>
              ${t('timeline.items.item9_latest', { answer: last.answers[8], date: formatDate(last.taken_at) })}
              ${' '}${raised.length
                ? t('timeline.items.item9_raised', { count: raised.length, total: phq9.length })
                : t('timeline.items.item9_never', { total: phq9.length })}
            </p>
            ${raised.length > 0 &&
            html`<${DataTable}
              caption=${t('timeline.items.item9_table')}
              rows=${raised.slice().reverse()}
              rowKey=${(p) => p.checkin.id}
              columns=${[
                { key: 'when', label: t('timeline.inf.when'), render: (p) => formatDateTime(p.checkin.taken_at) },
                { key: 'item9', label: t('timeline.items.item9_answer'), numeric: true, render: (p) => p.checkin.answers[8] },
                { key: 'score', label: t('timeline.checkins.score'), numeric: true, render: (p) => p.score },
              ]}
            />`}
          `}
      <h3>${t('timeline.items.vs_baseline')}</h3>
      ${!base || !last
        ? html`<p class="empty">${t('timeline.items.no_baseline')}</p>`
        : html`
            <p class="hint">${t('timeline.items.vs_baseline_hint', { baseline: formatDate(base.taken_at), latest: formatDate(last.taken_at) })}</p>
            <${DataTable}
              caption=${t('timeline.items.vs_baseline')}
              captionHidden=${true}
              rows=${items.map((item, index) => ({ id: item.id, item, index }))}
              columns=${[
                { key: 'item', label: t('timeline.items.item'), render: (r) => `${r.index + 1}. ${r.item.text}` },
                { key: 'base', label: t('timeline.items.baseline'), numeric: true, render: (r) => base.answers[r.index] },
                { key: 'last', label: t('timeline.items.latest'), numeric: true, render: (r) => last.answers[r.index] },
                {
                  key: 'change',
                  label: t('timeline.items.change'),
                  numeric: true,
                  render: (r) => {
                    const change = last.answers[r.index] - base.answers[r.index];
                    return html`<span class=${change > 0 ? 'worse' : change < 0 ? 'better' : ''}>${change > 0 ? `+${change}` : change}</span>`;
                  },
                },
              ]}
            />
          `}
    </section>
  `;
}

function Relief({ timeline }) {
  const relief = timeline.relief;
  const curves = useMemo(
    () => [
      { label: t('timeline.km.patient'), km: relief.km, colour: '--km-patient', band: true },
      { label: t('timeline.km.clinic'), km: timeline.clinic_km, colour: '--km-clinic', dash: [6, 4] },
    ],
    [timeline],
  );
  return html`
    <section aria-labelledby="relief-title">
      <h2 id="relief-title">${t('timeline.relief.title')}</h2>
      <${DataTable}
        caption=${t('timeline.ep.caption')}
        rows=${relief.episodes.slice().reverse()}
        rowKey=${(e) => e.start}
        empty=${t('timeline.ep.none')}
        columns=${episodeColumns()}
      />
      <div class="relief-grid">
        <section class="card" aria-labelledby="km-title">
          <h3 id="km-title">${t('timeline.km.title')}</h3>
          <${KmChart} curves=${curves} label=${t('timeline.km.chart_label', { own: kmSentence(relief.km), clinic: kmSentence(timeline.clinic_km) })} />
          <ul class="chart-legend">
            <li><span class="key key-km-patient" aria-hidden="true"></span>${t('timeline.km.patient')}: ${kmSentence(relief.km)}</li>
            <li><span class="key key-km-band" aria-hidden="true"></span>${t('timeline.km.band')}</li>
            <li><span class="key key-km-clinic" aria-hidden="true"></span>${t('timeline.km.clinic')}: ${kmSentence(timeline.clinic_km)}</li>
          </ul>
          <p class="hint">${t('timeline.km.counts', { n: relief.km.n, events: relief.km.events, clinic_n: timeline.clinic_km.n })}</p>
        </section>
        <section class="card outlook" aria-labelledby="outlook-title">
          <h3 id="outlook-title">${t('timeline.outlook.title')}</h3>
          ${outlookLines(timeline).map((line) => html`<p>${line}</p>`)}
        </section>
      </div>
    </section>
  `;
}

function ChartSection({ timeline }) {
  const full = useMemo(() => fullSpan(timeline), [timeline]);
  const now = seconds(timeline.generated_at);
  const initial = useMemo(() => ({ min: Math.max(full.min, now - 365 * DAY), max: full.max }), [timeline]);
  const [view, setView] = useState(initial);
  useEffect(() => setView(initial), [initial]);
  const panels = useMemo(() => panelsFor(timeline), [timeline]);
  const setClamped = (lo, hi) => {
    const span = Math.max(2 * DAY, Math.min(hi - lo, full.max - full.min));
    const min = Math.min(Math.max(lo, full.min), full.max - span);
    setView({ min, max: min + span });
  };
  const phq9 = seriesOf(timeline, 'phq9');
  const summary = t('timeline.chart.summary', {
    from: formatDate(view.min * 1000),
    to: formatDate(view.max * 1000),
    phq9: phq9.filter((p) => p.at >= view.min && p.at <= view.max).length,
    infusions: timeline.infusions.filter((i) => seconds(i.given_at) >= view.min && seconds(i.given_at) <= view.max).length,
  });
  return html`
    <section class="card chart-card" aria-labelledby="chart-title">
      <div class="chart-head">
        <h2 id="chart-title">${t('timeline.chart.title')}</h2>
        <div class="segmented" role="group" aria-label=${t('timeline.chart.range')}>
          ${RANGES.map(([key, days]) => html`<button type="button" class="button button-small" onClick=${() => setClamped(now - days * DAY, full.max)}>${t(`timeline.chart.last_${key}`)}</button>`)}
          <button type="button" class="button button-small" onClick=${() => setView(full)}>${t('timeline.chart.all')}</button>
          <button type="button" class="button button-small" onClick=${() => setView(initial)}>${t('timeline.chart.reset')}</button>
        </div>
      </div>
      <p class="hint">${t('timeline.chart.hint')}</p>
      <p class="range-note" aria-live="polite">${summary}</p>
      <figure class="timeline-figure">
        <${TimelineChart} timeline=${timeline} panels=${panels} view=${view} onView=${setClamped} />
        <figcaption><${Legend} /></figcaption>
      </figure>
      <details class="data-details">
        <summary>${t('timeline.inf.title', { count: timeline.infusions.length })}</summary>
        <${DataTable} caption=${t('timeline.inf.caption')} rows=${timeline.infusions.slice().reverse()} empty=${t('timeline.inf.none')} columns=${infusionColumns()} />
      </details>
      <details class="data-details">
        <summary>${t('timeline.event.title', { count: timeline.events.length })}</summary>
        <${DataTable} caption=${t('timeline.event.caption')} rows=${timeline.events.slice().reverse()} empty=${t('timeline.event.none')} columns=${eventColumns()} />
      </details>
    </section>
  `;
}

export default function PatientScreen({ params }) {
  useStylesheet(import.meta.url);
  ensureUplotCss();
  const id = params.id;
  const { data, error, loading } = useApi(() => api.get(`/api/patients/${id}/timeline`), [id]);
  const title = data ? data.patient.display_name : t('timeline.title_loading');
  const lastInfusion = data && latest(data.infusions);
  const lastCheckin = data && latest(data.checkins);
  // One open alert: its chip opens that alert; several: the alert inbox.
  const openAlerts = data ? data.alerts.filter((a) => a.status === 'open') : [];
  const actions = html`
    <a class="button button-primary" href=${`#/patients/${id}/record`}>${t('timeline.actions.record')}</a>
    <a class="button" href=${`#/patients/${id}/reminders`}>${t('timeline.actions.reminders')}</a>
    <a class="button" href=${`#/patients/${id}/enrollment`}>${t('timeline.actions.enrollment')}</a>
    <a class="button" href=${`#/patients/${id}/print`}>${t('timeline.actions.print')}</a>
    <a class="button" href=${`/api/patients/${id}/export.csv`} download>${t('timeline.actions.csv')}</a>
  `;
  return html`
    <${Page} title=${title} actions=${actions} className="patient-page">
      <${ErrorNote} error=${error} />
      ${loading && !data && html`<${Loading} />`}
      ${data &&
      html`
        <div class="patient-facts">
          <${StatusChip} status=${data.status} />
          <span>${lastInfusion ? t('timeline.facts.last_infusion', { date: formatDate(lastInfusion.given_at), days: Math.floor((seconds(data.generated_at) - seconds(lastInfusion.given_at)) / DAY) }) : t('timeline.facts.no_infusion')}</span>
          <span>${lastCheckin ? t('timeline.facts.last_checkin', { date: formatDateTime(lastCheckin.taken_at) }) : t('timeline.facts.no_checkin')}</span>
          ${openAlerts.length > 0 &&
          html`<a class="chip chip-danger" href=${openAlerts.length === 1 ? `#/alerts/${openAlerts[0].id}` : '#/alerts'}>${t('timeline.facts.open_alerts', { count: openAlerts.length })}</a>`}
          ${!data.patient.enrolled && html`<span class="chip chip-muted">${t('timeline.facts.not_enrolled')}</span>`}
        </div>
        <${ChartSection} timeline=${data} />
        <${Relief} timeline=${data} />
        <${ItemView} timeline=${data} />
        <${CheckinTable} timeline=${data} />
        <${SharedJournal} entries=${data.journal || []} />
        <p class="attribution">${data.attribution}</p>
      `}
    <//>
  `;
}
