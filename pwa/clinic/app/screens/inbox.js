// The triage inbox, the workspace's home: every patient of the clinic, most urgent first
// (GET /api/clinic/patients?sort=urgency, one request a page), with how many need attention
// above the list. A row opens the patient (#/patients/:id) by click or Enter on the name.
import { api } from '../api.js';
import { html, useEffect, useRef, useState } from '../html.js';
import { formatDate, formatDateTime, formatNumber, relativeTime, t } from '../i18n.js';
import { announce, Button, Chip, ErrorNote, Loading, Page, Pager, useApi, useStylesheet } from '../ui.js';

const PAGE = 50;
const DAY = 86400000;
const STATUSES = ['relapsed', 'waning', 'holding', 'no_recent_data', 'no_response', 'unassessed', 'none'];
const STATUS_TONE = {
  relapsed: 'danger',
  waning: 'warn',
  holding: 'good',
  no_recent_data: 'muted',
  no_response: 'neutral',
  unassessed: 'info',
  none: 'muted',
};

/** How long ago the last check-in was, as a band: the colour and the symbol beside the words. */
export function silenceBand(lastCheckin, now) {
  if (!lastCheckin) return 'none';
  const days = (now - new Date(lastCheckin).getTime()) / DAY;
  if (days <= 2) return 'recent';
  if (days <= 7) return 'week';
  if (days <= 30) return 'month';
  return 'older';
}

const BAND_SYMBOL = { recent: '●', week: '◐', month: '○', older: '◌', none: '◌' };

function Silence({ row, now }) {
  const band = silenceBand(row.last_checkin_at, now);
  const words = row.last_checkin_at
    ? t('inbox.last_checkin', { when: relativeTime(row.last_checkin_at, { now }) })
    : t('inbox.no_checkin_yet');
  return html`
    <span class=${`silence silence-${band}`} title=${row.last_checkin_at ? formatDateTime(row.last_checkin_at) : undefined}>
      <span class="silence-symbol" aria-hidden="true">${BAND_SYMBOL[band]}</span>
      <span>${words}</span>
      <span class="visually-hidden">(${t(`inbox.silence.${band}`)})</span>
    </span>
  `;
}

/** "in 3 h 20 min" / "overdue by 1 h 5 min": the time left before the alert escalates. */
function duration(ms) {
  const minutes = Math.max(1, Math.round(Math.abs(ms) / 60000));
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (!hours) return t('inbox.minutes', { m: rest });
  return rest ? t('inbox.hours_minutes', { h: hours, m: rest }) : t('inbox.hours', { h: hours });
}

function AlertNote({ row, now }) {
  if (!row.open_safety_alerts) return null;
  const left = new Date(row.alert_escalates_at).getTime() - now;
  const label = t('inbox.alerts', { count: row.open_safety_alerts });
  return html`
    <span class="alert-note">
      <${Chip} tone="danger"><span aria-hidden="true">! </span>${label}<//>
      ${row.alert_escalates_at &&
      html`<span class=${row.alert_overdue ? 'overdue' : 'due'}>
        ${row.alert_overdue
          ? t('inbox.overdue_by', { time: duration(left) })
          : t('inbox.escalates_in', { time: duration(left) })}
      </span>`}
    </span>
  `;
}

/** PHQ-9 scores of the last 90 days as a small line over time (0 at the bottom, 27 at the top). */
export function Sparkline({ points, now }) {
  const width = 120;
  const height = 32;
  const pad = 3;
  if (!points.length) return html`<span class="muted">${t('inbox.no_phq9_90')}</span>`;
  const start = now - 90 * DAY;
  const x = (at) => pad + ((new Date(at).getTime() - start) / (90 * DAY)) * (width - 2 * pad);
  const y = (score) => height - pad - (score / 27) * (height - 2 * pad);
  const coords = points.map((p) => [Math.min(width - pad, Math.max(pad, x(p.taken_at))), y(p.score)]);
  const line = coords.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' ');
  const [lastX, lastY] = coords[coords.length - 1];
  const label = t('inbox.sparkline_label', { scores: points.map((p) => p.score).join(', ') });
  return html`
    <svg class="sparkline" viewBox=${`0 0 ${width} ${height}`} width=${width} height=${height} role="img" aria-label=${label}>
      <title>${label}</title>
      <line class="spark-band" x1=${pad} x2=${width - pad} y1=${y(10)} y2=${y(10)} />
      ${coords.length > 1 && html`<polyline class="spark-line" points=${line} />`}
      <circle class="spark-last" cx=${lastX} cy=${lastY} r="2.6" />
    </svg>
  `;
}

function Phq9({ row }) {
  if (!row.latest_phq9) return html`<span class="muted">${t('inbox.no_phq9')}</span>`;
  const change = row.change_from_baseline;
  return html`
    <span class="phq9">
      <strong class="score">${row.latest_phq9.score}</strong>
      ${change !== null &&
      html`<span class="change">${t('inbox.change_from_baseline', { change: change > 0 ? `+${change}` : String(change).replace('-', '−') })}</span>`}
    </span>
  `;
}

function Window({ row }) {
  const w = row.booster_window;
  if (!w) return html`<span class="muted"><span aria-hidden="true">—</span><span class="visually-hidden">${t('inbox.no_window')}</span></span>`;
  const dates = t('inbox.window_dates', {
    from: formatDate(`${w.start_on}T12:00:00`, { month: 'short', day: 'numeric' }),
    to: formatDate(`${w.end_on}T12:00:00`, { month: 'short', day: 'numeric' }),
  });
  return html`
    <span class="window">
      <span>${dates}</span>
      <span class="window-detail">
        ${w.today_inside ? html`<${Chip} tone="info">${t('inbox.window_today')}<//>` : null}
        ${t(`inbox.window_source.${w.source}`)}
      </span>
    </span>
  `;
}

function SinceInfusion({ row }) {
  if (row.days_since_infusion === null) return html`<span class="muted">${t('inbox.no_infusion')}</span>`;
  return t('inbox.day_n', { n: Math.floor(row.days_since_infusion) });
}

function Row({ row, now, onOpen, onReviewed, busy }) {
  const href = `#/patients/${row.patient_id}`;
  return html`
    <tr
      class=${`row row-${row.triage_group}`}
      data-patient=${row.patient_id}
      onClick=${(event) => {
        if (event.target.closest('a, button')) return;
        onOpen(href);
      }}
    >
      <th scope="row" class="cell-name">
        <a href=${href} class="patient-link">${row.display_name}</a>
        <${AlertNote} row=${row} now=${now} />
        ${row.awaiting_review && !row.open_safety_alerts
          ? html`<span class="new-scores">${t('inbox.new_scores')}</span>`
          : null}
        ${!row.awaiting_review && row.reviewed_at
          ? html`<span class="reviewed">${t('inbox.reviewed', { when: relativeTime(row.reviewed_at, { now }) })}</span>`
          : null}
      </th>
      <td data-label=${t('inbox.col.status')}>
        <${Chip} tone=${STATUS_TONE[row.relief_status] || 'neutral'}>${t(`inbox.status.${row.relief_status}`)}<//>
      </td>
      <td data-label=${t('inbox.col.last_checkin')}><${Silence} row=${row} now=${now} /></td>
      <td data-label=${t('inbox.col.infusion')}><${SinceInfusion} row=${row} /></td>
      <td data-label=${t('inbox.col.phq9')}><${Phq9} row=${row} /></td>
      <td data-label=${t('inbox.col.trend')}><${Sparkline} points=${row.phq9_90_days} now=${now} /></td>
      <td data-label=${t('inbox.col.window')}><${Window} row=${row} /></td>
      <td class="cell-action">
        ${row.awaiting_review
          ? html`<${Button}
              class="button button-secondary button-small"
              busy=${busy}
              onClick=${() => onReviewed(row)}
            >
              ${t('inbox.mark_reviewed')}<span class="visually-hidden"> ${t('inbox.mark_reviewed_for', { name: row.display_name })}</span>
            <//>`
          : null}
      </td>
    </tr>
  `;
}

function Attention({ count, filtered, onToggle }) {
  const text = count ? t('inbox.attention', { count }) : t('inbox.attention_none');
  return html`
    <section class=${`attention ${count ? 'attention-some' : 'attention-none'}`} aria-labelledby="attention-count">
      <p class="attention-count" id="attention-count">
        <span class="attention-number">${formatNumber(count)}</span>
        <span>${text}</span>
      </p>
      <p class="attention-why">${t('inbox.attention_why')}</p>
      ${(count > 0 || filtered) &&
      html`<${Button} onClick=${onToggle} aria-pressed=${filtered ? 'true' : 'false'}>
        ${filtered ? t('inbox.show_everyone') : t('inbox.show_attention')}
      <//>`}
    </section>
  `;
}

export default function InboxScreen({ query = {} }) {
  useStylesheet(import.meta.url);
  const [search, setSearch] = useState(query.q || '');
  const [typed, setTyped] = useState(query.q || '');
  const [status, setStatus] = useState(query.status || '');
  const [sort, setSort] = useState(query.sort === 'name' ? 'name' : 'urgency');
  const [offset, setOffset] = useState(Number(query.offset) || 0);
  const [reviewing, setReviewing] = useState(null);
  const [problem, setProblem] = useState(null);
  const refocus = useRef(null);

  // Searching waits until typing pauses, so each keystroke is not a request.
  useEffect(() => {
    const timer = setTimeout(() => {
      setSearch(typed.trim());
      setOffset(0);
    }, 250);
    return () => clearTimeout(timer);
  }, [typed]);

  const attentionOnly = status === 'attention';
  const { data, error, loading, reload } = useApi(
    () =>
      api.get('/api/clinic/patients', {
        query: {
          sort,
          q: search,
          status: attentionOnly ? '' : status,
          attention: attentionOnly ? 'true' : '',
          limit: PAGE,
          offset,
        },
      }),
    [sort, search, status, offset],
  );

  useEffect(() => {
    if (!data || refocus.current === null) return;
    const link = document.querySelector(`tr[data-patient="${refocus.current}"] .patient-link`);
    (link || document.querySelector('.attention-count'))?.focus?.();
    refocus.current = null;
  }, [data]);

  const now = Date.now();
  const open = (href) => {
    location.hash = href;
  };
  const markReviewed = async (row) => {
    setReviewing(row.patient_id);
    setProblem(null);
    try {
      await api.post(`/api/patients/${row.patient_id}/review`);
      announce(t('inbox.marked_reviewed', { name: row.display_name }));
      refocus.current = row.patient_id;
      reload();
    } catch (failure) {
      setProblem(failure);
    } finally {
      setReviewing(null);
    }
  };

  const rows = data ? data.patients : [];
  let previousGroup = null;
  const body = [];
  for (const row of rows) {
    if (sort === 'urgency' && row.triage_group !== previousGroup) {
      body.push(html`
        <tr class="group-row" key=${`group-${row.triage_group}`}>
          <th colspan="8" scope="colgroup">${t(`inbox.group.${row.triage_group}`)}</th>
        </tr>
      `);
      previousGroup = row.triage_group;
    }
    body.push(html`<${Row}
      key=${row.patient_id}
      row=${row}
      now=${now}
      onOpen=${open}
      onReviewed=${markReviewed}
      busy=${reviewing === row.patient_id}
    />`);
  }

  return html`
    <${Page} title=${t('inbox.title')} className="inbox">
      ${data && html`<${Attention}
        count=${data.needs_attention}
        filtered=${attentionOnly}
        onToggle=${() => {
          setStatus(attentionOnly ? '' : 'attention');
          setOffset(0);
        }}
      />`}
      <form class="inbox-filters" role="search" aria-label=${t('inbox.filters')} onSubmit=${(e) => e.preventDefault()}>
        <div class="field">
          <label for="inbox-search">${t('inbox.search')}</label>
          <input id="inbox-search" type="search" value=${typed} autocomplete="off" onInput=${(e) => setTyped(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="inbox-status">${t('inbox.filter_status')}</label>
          <select
            id="inbox-status"
            value=${status}
            onChange=${(e) => {
              setStatus(e.currentTarget.value);
              setOffset(0);
            }}
          >
            <option value="">${t('inbox.filter_all')}</option>
            <option value="attention">${t('inbox.filter_attention')}</option>
            ${STATUSES.map((s) => html`<option value=${s}>${t(`inbox.status.${s}`)}</option>`)}
          </select>
        </div>
        <div class="field">
          <label for="inbox-sort">${t('inbox.sort')}</label>
          <select
            id="inbox-sort"
            value=${sort}
            onChange=${(e) => {
              setSort(e.currentTarget.value);
              setOffset(0);
            }}
          >
            <option value="urgency">${t('inbox.sort_urgency')}</option>
            <option value="name">${t('inbox.sort_name')}</option>
          </select>
        </div>
      </form>
      <${ErrorNote} error=${problem || error} />
      ${loading && !data ? html`<${Loading} />` : null}
      ${data &&
      (rows.length
        ? html`
            <div class="inbox-table-wrap">
              <table class="inbox-table" aria-busy=${loading ? 'true' : 'false'}>
                <caption class="visually-hidden">
                  ${sort === 'urgency' ? t('inbox.caption_urgency') : t('inbox.caption_name')}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">${t('inbox.col.patient')}</th>
                    <th scope="col">${t('inbox.col.status')}</th>
                    <th scope="col">${t('inbox.col.last_checkin')}</th>
                    <th scope="col">${t('inbox.col.infusion')}</th>
                    <th scope="col">${t('inbox.col.phq9')}</th>
                    <th scope="col">${t('inbox.col.trend')}</th>
                    <th scope="col">${t('inbox.col.window')}</th>
                    <th scope="col"><span class="visually-hidden">${t('inbox.col.action')}</span></th>
                  </tr>
                </thead>
                <tbody>
                  ${body}
                </tbody>
              </table>
            </div>
          `
        : html`<p class="empty">${search || status ? t('inbox.none_found') : t('inbox.no_patients')}</p>`)}
      ${data &&
      html`<${Pager} offset=${offset} limit=${PAGE} shown=${rows.length} total=${data.total} onChange=${setOffset} label=${t('inbox.pages')} />`}
    <//>
  `;
}

