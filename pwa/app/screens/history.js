// History: mood, PHQ-9 and GAD-7 over time, treatments marked and relief shaded, zoomable by
// touch (pinch, drag) and by buttons; under each questionnaire's chart, its latest reliable
// change in words; and where the patient stands now, in sentences the server's facts make true.
// Loaded only when opened: uPlot is the biggest file the app has.
import uPlot from '/vendor/uplot-1.6.32/uPlot.esm.js';
import { html, useEffect, useRef, useState } from '../html.js';
import { chartDates, chartNumbers, formatDate, formatNumber, formatTime, t } from '../i18n.js';
import { api, NetworkError } from '../api.js';
import { allCheckins, loadToday, stillDue } from '../checkins.js';
import { useAppState } from '../store.js';
import { ErrorNote, Loading, Screen } from '../ui.js';

const DAY = 86400;
const RANGES = [30, 90, 180, 365];
const STYLESHEET = '/vendor/uplot-1.6.32/uPlot.min.css';

function ensureStylesheet() {
  if (document.querySelector(`link[href="${STYLESHEET}"]`)) return;
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = STYLESHEET;
  document.head.append(link);
}

const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
const seconds = (iso) => new Date(iso).getTime() / 1000;

/** Draw relief bands (infusion until relapse, or until now) and infusion markers under the line. */
function markings(trend) {
  return (u) => {
    const { ctx } = u;
    const { left, top, width, height } = u.bbox;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    ctx.fillStyle = css('--relief-fill');
    for (const episode of trend.episodes) {
      if (episode.outcome === 'no_response' || episode.outcome === 'unassessed') continue;
      const x0 = u.valToPos(seconds(episode.start), 'x', true);
      const x1 = u.valToPos(seconds(episode.relapse_at || episode.end), 'x', true);
      ctx.fillRect(x0, top, Math.max(1, x1 - x0), height);
    }
    ctx.strokeStyle = css('--infusion');
    ctx.fillStyle = css('--infusion');
    ctx.lineWidth = Math.max(1, devicePixelRatio);
    ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
    for (const infusion of trend.infusions) {
      const x = Math.round(u.valToPos(seconds(infusion.given_at), 'x', true));
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
      const s = 6 * devicePixelRatio;
      ctx.beginPath();
      ctx.moveTo(x - s, top);
      ctx.lineTo(x + s, top);
      ctx.lineTo(x, top + s * 1.4);
      ctx.closePath();
      ctx.fill();
    }
    ctx.restore();
  };
}

/**
 * Touch zoom on the plot area: two fingers pinch the time axis around their midpoint, one
 * finger drags it sideways. Vertical swipes still scroll the page (touch-action: pan-y).
 */
function touchZoom(u, onView) {
  const pointers = new Map();
  let start = null;
  const over = u.over;
  const snapshot = () => ({
    pts: [...pointers.values()].map((p) => ({ ...p })),
    min: u.scales.x.min,
    max: u.scales.x.max,
  });
  over.addEventListener('pointerdown', (e) => {
    if (e.pointerType === 'mouse') return;
    over.setPointerCapture(e.pointerId);
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    start = snapshot();
  });
  over.addEventListener('pointermove', (e) => {
    if (!pointers.has(e.pointerId) || !start) return;
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    const rect = over.getBoundingClientRect();
    const span = start.max - start.min;
    const now = [...pointers.values()];
    if (now.length >= 2 && start.pts.length >= 2) {
      const d0 = Math.abs(start.pts[0].x - start.pts[1].x) || 1;
      const d1 = Math.abs(now[0].x - now[1].x) || 1;
      const mid = ((start.pts[0].x + start.pts[1].x) / 2 - rect.left) / rect.width;
      const center = start.min + mid * span;
      const next = Math.max(DAY * 3, span * (d0 / d1));
      onView(center - mid * next, center + (1 - mid) * next);
    } else if (now.length === 1 && start.pts.length === 1) {
      const shift = ((now[0].x - start.pts[0].x) / rect.width) * span;
      onView(start.min - shift, start.max - shift);
    }
  });
  const end = (e) => {
    pointers.delete(e.pointerId);
    start = pointers.size ? snapshot() : null;
  };
  over.addEventListener('pointerup', end);
  over.addEventListener('pointercancel', end);
}

function Chart({ trend, max, label, view, onView, id }) {
  const box = useRef(null);
  const plot = useRef(null);
  const viewRef = useRef(onView);
  viewRef.current = onView;

  useEffect(() => {
    const xs = trend.points.map((p) => seconds(p.at));
    const ys = trend.points.map((p) => p.mean);
    const text = css('--text');
    const grid = css('--grid');
    const u = new uPlot(
      {
        width: box.current.clientWidth || 300,
        height: 200,
        legend: { show: false },
        cursor: { drag: { x: false, y: false, setScale: false }, y: false },
        scales: { x: { time: true, min: view.min, max: view.max }, y: { range: [0, max] } },
        series: [
          {},
          {
            label,
            stroke: css('--chart-line'),
            width: 2,
            points: { show: true, size: 7, fill: css('--chart-line') },
          },
        ],
        axes: [
          // Dates and numbers as the patient's locale writes them (uPlot's own follow the browser).
          { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, space: 70, font: '12px system-ui', values: chartDates },
          { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, size: 34, space: 30, font: '12px system-ui', values: chartNumbers },
        ],
        hooks: { drawClear: [markings(trend)] },
      },
      [xs, ys],
      box.current,
    );
    u.root.setAttribute('aria-hidden', 'true');
    u.over.classList.add('touch-zoom');
    touchZoom(u, (lo, hi) => viewRef.current(lo, hi));
    plot.current = u;
    const resize = new ResizeObserver(() => {
      if (box.current) u.setSize({ width: box.current.clientWidth, height: 200 });
    });
    resize.observe(box.current);
    return () => {
      resize.disconnect();
      u.destroy();
    };
  }, [trend]);

  useEffect(() => {
    plot.current?.setScale('x', { min: view.min, max: view.max });
  }, [view.min, view.max]);

  return html`<div class="chart" id=${id} ref=${box}></div>`;
}

const localDay = (iso) => new Date(iso).toDateString();

function DataTable({ trend, caption, digits }) {
  // Two check-ins on one day are told apart by their times (a bucket of several is a mean).
  const perDay = new Map();
  for (const p of trend.points) perDay.set(localDay(p.at), (perDay.get(localDay(p.at)) || 0) + 1);
  const when = (p) =>
    p.count === 1 && perDay.get(localDay(p.at)) > 1 ? `${formatDate(p.at)}, ${formatTime(p.at)}` : formatDate(p.at);
  return html`
    <details class="data-table">
      <summary>${t('history.show_numbers', { name: caption })}</summary>
      <table>
        <caption>${caption}</caption>
        <thead><tr><th scope="col">${t('history.date')}</th><th scope="col">${t('history.score')}</th></tr></thead>
        <tbody>
          ${trend.points
            .slice()
            .reverse()
            .map((p) => html`<tr><td>${when(p)}</td><td>${formatNumber(p.mean, digits)}</td></tr>`)}
        </tbody>
      </table>
    </details>
  `;
}

/**
 * The latest score's reliable change (CLINICAL.md §2) in words: how far it moved and from what.
 * A fact about the patient's scores, never advice about treatment.
 */
function ChangeWords({ trend }) {
  const changes = trend.latest_changes || [];
  if (!changes.length) return null;
  const moves = changes
    .map((c) => t(`history.change_${c.direction}_${c.reference}`, { points: c.points, from: c.reference_score, to: c.score }))
    .join('; ');
  return html`<p class="change-words">${t('history.latest_change', { date: formatDate(changes[0].at), moves })}</p>`;
}

/** Where the current episode stands, said with the facts the server sent (TodayOut.standing). */
function standingText(standing, phq9Due) {
  const { status, cause, lowest, baseline } = standing;
  switch (status) {
    case 'holding':
      return t('history.standing_holding');
    case 'waning':
      if (cause === 'mood') return t(phq9Due ? 'history.standing_waning_mood_ask' : 'history.standing_waning_mood');
      return t('history.standing_waning_phq9', { lowest });
    case 'relapsed':
      return t(cause === 'confirmed' ? 'history.standing_relapsed_phq9' : 'history.standing_relapsed');
    case 'no_response':
      return t('history.standing_no_response', { lowest, baseline });
    case 'unassessed':
      if (cause === 'no_baseline') return t('history.standing_no_baseline');
      return t(standing.nadir_window_open ? 'history.standing_unassessed_open' : 'history.standing_unassessed_closed');
    case 'no_recent_data':
      if (standing.silent_days === null) return t('history.standing_no_recent_data');
      return t(`history.standing_silent_${standing.silent_about}`, { count: standing.silent_days });
    default:
      return null;
  }
}

function Standing({ today, checkins }) {
  const standing = today?.standing;
  if (!standing || standing.status === 'none') return null;
  const phq9Due = stillDue(today, checkins).some((d) => d.instrument === 'phq9');
  return html`
    <section class="card standing" aria-labelledby="standing-title">
      <h2 id="standing-title">${t('history.since_title')}</h2>
      <p>${t('history.days_since', { count: standing.days_since_infusion })}</p>
      <p>${standingText(standing, phq9Due)}</p>
      ${phq9Due && html`<a class="button primary" href="#/checkin/phq9">${t('history.take_phq9')}</a>`}
    </section>
  `;
}

const CHARTS = [
  { id: 'mood', max: 10, digits: 1, title: 'history.mood_title' },
  { id: 'phq9', max: 27, digits: 0, title: 'history.phq9_title' },
  { id: 'gad7', max: 21, digits: 0, title: 'history.gad7_title' },
];

export default function History() {
  const { me } = useAppState();
  // This phone's check-ins not yet on the server count as answered (stillDue reads them).
  const checkins = allCheckins({ checkins: [] });
  const [days, setDays] = useState(90);
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const [view, setView] = useState(null);

  useEffect(() => {
    ensureStylesheet();
    let live = true;
    const until = new Date();
    const since = new Date(until.getTime() - days * DAY * 1000);
    const query = `since=${encodeURIComponent(since.toISOString())}&until=${encodeURIComponent(until.toISOString())}`;
    const base = `/api/patients/${me.patient_id}`;
    setError(null);
    setData(null);
    Promise.all([
      ...CHARTS.map((c) => api(`${base}/trends?instrument=${c.id}&${query}`)),
      loadToday(me.patient_id).catch(() => null),
    ]).then(
      ([mood, phq9, gad7, today]) => {
        if (!live) return;
        setData({ mood, phq9, gad7, today });
        setView({ min: since.getTime() / 1000, max: until.getTime() / 1000 });
      },
      (e) => live && setError(e instanceof NetworkError ? t('history.offline') : e.message),
    );
    return () => {
      live = false;
    };
  }, [days, me.patient_id]);

  const full = data && { min: seconds(data.mood.since), max: seconds(data.mood.until) };
  const setClamped = (lo, hi) => {
    const span = Math.min(hi - lo, full.max - full.min);
    const min = Math.min(Math.max(lo, full.min), full.max - span);
    setView({ min, max: min + span });
  };
  const zoom = (factor) => {
    const mid = (view.min + view.max) / 2;
    const half = Math.max(DAY * 1.5, ((view.max - view.min) * factor) / 2);
    setClamped(mid - half, mid + half);
  };

  return html`
    <${Screen} title=${t('history.title')}>
      <div class="segmented" role="group" aria-label=${t('history.range')}>
        ${RANGES.map(
          (d) => html`
            <button type="button" class="button" aria-pressed=${d === days ? 'true' : 'false'} onClick=${() => setDays(d)}>
              ${t('history.days', { count: d })}
            </button>
          `,
        )}
      </div>
      <${ErrorNote} error=${error} />
      ${!data && !error && html`<${Loading} />`}
      ${data &&
      html`
        <${Standing} today=${data.today} checkins=${checkins} />
        <div class="zoom-controls" role="group" aria-label=${t('history.zoom')}>
          <button type="button" class="button" onClick=${() => zoom(0.5)}>${t('history.zoom_in')}</button>
          <button type="button" class="button" onClick=${() => zoom(2)}>${t('history.zoom_out')}</button>
          <button type="button" class="button" onClick=${() => setView(full)}>${t('history.zoom_reset')}</button>
        </div>
        <p class="hint">${t('history.zoom_hint')}</p>
        <p class="range-note" aria-live="polite">
          ${t('history.showing', { from: formatDate(view.min * 1000), to: formatDate(view.max * 1000) })}
        </p>
        <ul class="legend">
          <li><span class="key key-line"></span>${t('history.legend_score')}</li>
          <li><span class="key key-infusion"></span>${t('history.legend_infusion')}</li>
          <li><span class="key key-relief"></span>${t('history.legend_relief')}</li>
        </ul>
        ${CHARTS.map(
          (c) => html`
            <section aria-labelledby=${`${c.id}-chart-title`}>
              <h2 id=${`${c.id}-chart-title`}>${t(c.title)}</h2>
              ${data[c.id].points.length === 0 && html`<p class="muted">${t('history.no_data')}</p>`}
              <${ChangeWords} trend=${data[c.id]} />
              <${Chart} id=${`${c.id}-chart`} trend=${data[c.id]} max=${c.max} label=${t(c.title)} view=${view} onView=${setClamped} />
              <${DataTable} trend=${data[c.id]} caption=${t(c.title)} digits=${c.digits} />
            </section>
          `,
        )}
        ${data.phq9.attribution && html`<p class="attribution">${data.phq9.attribution}</p>`}
      `}
    <//>
  `;
}
