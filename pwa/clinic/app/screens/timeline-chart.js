// The patient timeline's charts (uPlot): stacked panels on one shared time axis (drag to zoom,
// cursors in step), with severity bands, relief episodes, infusions, events and reliable-change
// marks; and a small Kaplan-Meier chart. The canvases are hidden from screen readers: the
// screens give the same facts as tables.
import uPlot from '/vendor/uplot-1.6.32/uPlot.esm.js';
import { html, useEffect, useRef, useState } from '../html.js';
import { currentLanguage, formatDate, formatDateTime, formatNumber, t } from '../i18n.js';
import { DAY, doseText, episodeSpans, reliableChanges, seriesOf } from './timeline-data.js';
import { outcomeText } from './timeline-parts.js';

const STYLESHEET = '/vendor/uplot-1.6.32/uPlot.min.css';

export function ensureUplotCss() {
  if (document.querySelector(`link[href="${STYLESHEET}"]`)) return;
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = STYLESHEET;
  document.head.append(link);
}

const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

export const KIND_SHAPES = {
  induction: 'triangle',
  scheduled_booster: 'circle',
  symptom_triggered_booster: 'diamond',
};

/** The panels a patient's timeline has: mood, PHQ-9, GAD-7, and pain when it is on or answered. */
export function panelsFor(timeline) {
  const scales = Object.fromEntries(timeline.scales.map((s) => [s.id, s]));
  const panels = [
    { id: 'mood', scale: scales.mood, color: '--line-mood' },
    { id: 'phq9', scale: scales.phq9, color: '--line-phq9', bands: true },
    { id: 'gad7', scale: scales.gad7, color: '--line-gad7', bands: true },
  ];
  if (timeline.patient.pain_enabled || timeline.checkins.some((c) => c.instrument === 'pain')) {
    panels.push({ id: 'pain', scale: scales.pain, color: '--line-pain' });
  }
  return panels;
}

function shape(ctx, kind, x, y, size) {
  ctx.beginPath();
  if (kind === 'triangle') {
    ctx.moveTo(x - size, y - size * 0.8);
    ctx.lineTo(x + size, y - size * 0.8);
    ctx.lineTo(x, y + size * 0.9);
  } else if (kind === 'diamond') {
    ctx.moveTo(x, y - size);
    ctx.lineTo(x + size, y);
    ctx.lineTo(x, y + size);
    ctx.lineTo(x - size, y);
  } else if (kind === 'square') {
    ctx.rect(x - size * 0.8, y - size * 0.8, size * 1.6, size * 1.6);
  } else {
    ctx.arc(x, y, size * 0.85, 0, Math.PI * 2);
  }
  ctx.closePath();
  ctx.fill();
}

const formats = new Map();

/** Intl formats are costly to make: one per language and span, kept. */
function dateFormat(options) {
  const key = `${currentLanguage()} ${JSON.stringify(options)}`;
  if (!formats.has(key)) formats.set(key, new Intl.DateTimeFormat(currentLanguage(), options));
  return formats.get(key);
}

function timeAxisValues(u, splits) {
  const span = (u.scales.x.max - u.scales.x.min) / DAY;
  const format = dateFormat(span > 400 ? { month: 'short', year: 'numeric' } : { month: 'short', day: 'numeric' });
  return splits.map((s) => format.format(new Date(s * 1000)));
}

/** Everything drawn under a panel's line: bands, relief, thresholds, infusions, events. */
function underlay(panel, facts, isLast) {
  return (u) => {
    const { ctx } = u;
    const { left, top, width, height } = u.bbox;
    const px = devicePixelRatio;
    const x = (s) => u.valToPos(s, 'x', true);
    const y = (v) => u.valToPos(v, 'y', true);
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    if (panel.bands) {
      const bands = panel.scale.bands;
      bands.forEach((band, i) => {
        if (i === 0) return;
        ctx.fillStyle = facts.colour(`--severity-${Math.min(i, 4)}`);
        const high = Math.min(band.high + 1, panel.scale.high);
        ctx.fillRect(left, y(high), width, y(band.low) - y(high));
      });
    }
    ctx.fillStyle = facts.colour('--relief-fill');
    for (const span of facts.spans) {
      if (span.reliefEnd === null) continue;
      ctx.fillRect(x(span.start), top, Math.max(px, x(span.reliefEnd) - x(span.start)), height);
    }
    if (panel.id === 'phq9') {
      ctx.lineWidth = 1.5 * px;
      for (const span of facts.spans) {
        if (span.baseline === null || span.baseline === undefined) continue;
        const x0 = x(span.start);
        const x1 = x(span.end);
        ctx.strokeStyle = facts.colour('--baseline-line');
        ctx.setLineDash([6 * px, 4 * px]);
        ctx.beginPath();
        ctx.moveTo(x0, y(span.baseline));
        ctx.lineTo(x1, y(span.baseline));
        ctx.stroke();
        ctx.strokeStyle = facts.colour('--response-line');
        ctx.setLineDash([2 * px, 3 * px]);
        ctx.beginPath();
        ctx.moveTo(x0, y(span.response));
        ctx.lineTo(x1, y(span.response));
        ctx.stroke();
      }
      ctx.strokeStyle = facts.colour('--remission-line');
      ctx.setLineDash([]);
      ctx.lineWidth = px;
      const remission = facts.remission;
      ctx.beginPath();
      ctx.moveTo(left, y(remission));
      ctx.lineTo(left + width, y(remission));
      ctx.stroke();
    }
    ctx.lineWidth = px;
    for (const event of facts.events) {
      const ex = Math.round(x(event.at));
      ctx.strokeStyle = facts.colour('--event');
      ctx.setLineDash([1 * px, 3 * px]);
      ctx.beginPath();
      ctx.moveTo(ex, top);
      ctx.lineTo(ex, top + height);
      ctx.stroke();
      if (isLast) {
        ctx.fillStyle = facts.colour('--event');
        shape(ctx, 'square', ex, top + height - 6 * px, 5 * px);
      }
    }
    for (const infusion of facts.infusions) {
      const ix = Math.round(x(infusion.at));
      const colour = facts.colour(`--kind-${infusion.infusion.kind}`);
      ctx.strokeStyle = colour;
      ctx.setLineDash([4 * px, 3 * px]);
      ctx.beginPath();
      ctx.moveTo(ix, top);
      ctx.lineTo(ix, top + height);
      ctx.stroke();
      ctx.fillStyle = colour;
      shape(ctx, KIND_SHAPES[infusion.infusion.kind] || 'circle', ix, top + 6 * px, 5.5 * px);
    }
    ctx.restore();
  };
}

/** Drawn over a panel's line: relapse and censor marks, reliable-change arrows. */
function overlay(panel, facts) {
  return (u) => {
    const { ctx } = u;
    const { left, top, width, height } = u.bbox;
    const px = devicePixelRatio;
    const x = (s) => u.valToPos(s, 'x', true);
    const y = (v) => u.valToPos(v, 'y', true);
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    ctx.font = `bold ${11 * px}px system-ui, sans-serif`;
    ctx.textAlign = 'center';
    if (panel.id === 'phq9') {
      for (const span of facts.spans) {
        if (span.relapseAt !== null) {
          const rx = x(span.relapseAt);
          ctx.strokeStyle = facts.colour('--relapse');
          ctx.fillStyle = facts.colour('--relapse');
          ctx.setLineDash([]);
          ctx.lineWidth = 2 * px;
          ctx.beginPath();
          ctx.moveTo(rx, top + 14 * px);
          ctx.lineTo(rx, top + height);
          ctx.stroke();
          ctx.fillText('R', rx, top + 26 * px);
        } else if (span.censorAt !== null && span.episode.outcome === 'censored') {
          const cx = x(span.censorAt);
          ctx.strokeStyle = facts.colour('--censor');
          ctx.fillStyle = facts.colour('--censor');
          ctx.lineWidth = 2 * px;
          ctx.setLineDash([]);
          ctx.beginPath();
          ctx.moveTo(cx - 4 * px, top + 16 * px);
          ctx.lineTo(cx + 4 * px, top + 16 * px);
          ctx.moveTo(cx, top + 16 * px);
          ctx.lineTo(cx, top + 30 * px);
          ctx.stroke();
          if (span.episode.probable_relapse) ctx.fillText('?', cx + 9 * px, top + 28 * px);
        }
      }
    }
    const marks = facts.changes[panel.id] || [];
    for (const mark of marks) {
      const mx = x(mark.at);
      const my = y(mark.score);
      ctx.fillStyle = facts.colour(mark.direction === 'better' ? '--better' : '--worse');
      ctx.beginPath();
      const s = 5 * px;
      if (mark.direction === 'better') {
        ctx.moveTo(mx - s, my + 8 * px);
        ctx.lineTo(mx + s, my + 8 * px);
        ctx.lineTo(mx, my + 8 * px + s * 1.3);
      } else {
        ctx.moveTo(mx - s, my - 8 * px);
        ctx.lineTo(mx + s, my - 8 * px);
        ctx.lineTo(mx, my - 8 * px - s * 1.3);
      }
      ctx.closePath();
      ctx.fill();
    }
    ctx.restore();
  };
}

/** The facts every panel draws, worked out once per timeline. */
export function chartFacts(timeline) {
  // Colours are read from the stylesheet once per chart, not on every draw.
  const colours = new Map();
  return {
    colour: (name) => {
      if (!colours.has(name)) colours.set(name, css(name));
      return colours.get(name);
    },
    spans: episodeSpans(timeline),
    changes: reliableChanges(timeline),
    remission: timeline.relief.thresholds.remission_below,
    infusions: timeline.infusions.map((i) => ({ at: new Date(i.given_at).getTime() / 1000, infusion: i })),
    events: timeline.events.map((e) => ({ at: new Date(e.occurred_at).getTime() / 1000, event: e })),
  };
}

function nearestMarker(facts, u, left) {
  let best = null;
  const candidates = [
    ...facts.infusions.map((m) => ({ type: 'infusion', at: m.at, item: m.infusion })),
    ...facts.events.map((m) => ({ type: 'event', at: m.at, item: m.event })),
    ...facts.spans
      .filter((span) => span.relapseAt !== null || (span.censorAt !== null && span.episode.outcome === 'censored'))
      .map((span) => ({ type: 'episode', at: span.relapseAt ?? span.censorAt, item: span.episode })),
  ];
  for (const c of candidates) {
    const distance = Math.abs(u.valToPos(c.at, 'x') - left);
    if (distance <= 8 && (!best || distance < best.distance)) best = { ...c, distance };
  }
  return best;
}

function Panel({ panel, timeline, facts, view, onSelect, onHover, onTap, syncKey, height, isLast, showXAxis }) {
  const box = useRef(null);
  const plot = useRef(null);
  const handlers = useRef({});
  handlers.current = { onSelect, onHover, onTap };
  const viewRef = useRef(view);
  viewRef.current = view;

  useEffect(() => {
    const points = seriesOf(timeline, panel.id);
    const text = css('--text');
    const grid = css('--grid');
    const line = css(panel.color);
    const u = new uPlot(
      {
        width: box.current.clientWidth || 600,
        height,
        // The same padding on every panel, so their plot areas line up under one another.
        padding: [10, 24, isLast ? 0 : 8, 0],
        legend: { show: false },
        cursor: {
          sync: { key: syncKey },
          drag: { x: true, y: false, setScale: false },
          y: false,
          points: { size: 8 },
        },
        select: { show: true },
        scales: {
          x: { time: true, auto: false, range: () => [viewRef.current.min, viewRef.current.max] },
          y: { auto: false, range: [panel.scale.low, panel.scale.high] },
        },
        series: [
          {},
          {
            label: panel.scale.name,
            stroke: line,
            width: 2,
            spanGaps: false,
            points: { show: points.length < 400, size: 5, fill: line, stroke: line },
          },
        ],
        axes: [
          {
            show: showXAxis,
            stroke: text,
            grid: { stroke: grid, width: 1 },
            ticks: { stroke: grid },
            space: 70,
            font: '12px system-ui',
            values: timeAxisValues,
          },
          {
            stroke: text,
            grid: { stroke: grid, width: 1 },
            ticks: { stroke: grid },
            size: 36,
            space: 24,
            font: '12px system-ui',
            incrs: [1, 2, 5, 10],
          },
        ],
        hooks: {
          drawClear: [underlay(panel, facts, isLast)],
          draw: [overlay(panel, facts)],
          setSelect: [
            (self) => {
              if (self.select.width > 4) {
                const min = self.posToVal(self.select.left, 'x');
                const max = self.posToVal(self.select.left + self.select.width, 'x');
                handlers.current.onSelect(min, max);
              }
              self.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            },
          ],
          setCursor: [
            (self) => {
              const left = self.cursor.left;
              handlers.current.onHover(left === undefined || left < 0 ? null : nearestMarker(facts, self, left), left, self.cursor.idx, panel.id);
            },
          ],
        },
      },
      [points.map((p) => p.at), points.map((p) => p.score)],
      box.current,
    );
    u.root.setAttribute('aria-hidden', 'true');
    u.over.addEventListener('click', () => {
      const left = u.cursor.left;
      handlers.current.onTap(left === undefined || left < 0 ? null : nearestMarker(facts, u, left));
    });
    plot.current = u;
    const resize = new ResizeObserver(() => {
      if (box.current && box.current.clientWidth) u.setSize({ width: box.current.clientWidth, height });
    });
    resize.observe(box.current);
    return () => {
      resize.disconnect();
      u.destroy();
    };
  }, [timeline, panel.id, height]);

  useEffect(() => {
    plot.current?.setScale('x', { min: view.min, max: view.max });
  }, [view.min, view.max]);

  return html`<div class="panel-plot" ref=${box}></div>`;
}

function MarkerDetails({ marker }) {
  if (!marker) return null;
  if (marker.type === 'episode') {
    const e = marker.item;
    return html`
      <strong>${outcomeText(e)}</strong>
      <span>${t('timeline.tip.episode', { date: formatDate(e.start), kind: t(`timeline.kind.${e.kind}`) })}</span>
      ${e.censor_reason && html`<span>${t('timeline.tip.censored', { reason: t(`timeline.censor.${e.censor_reason}`), days: formatNumber(e.duration_days, { maximumFractionDigits: 1 }) })}</span>`}
      ${e.probable_relapse && html`<span>${t('timeline.ep.probable')}</span>`}
    `;
  }
  if (marker.type === 'event') {
    const e = marker.item;
    return html`
      <strong>${t(`timeline.event.${e.kind}`)}</strong>
      <span>${formatDateTime(e.occurred_at)}</span>
      ${e.notes && html`<span>${e.notes}</span>`}
    `;
  }
  const i = marker.item;
  return html`
    <strong>${t(`timeline.kind.${i.kind}`)} · ${t(`timeline.route.${i.route}`)}${doseText(i, formatNumber) ? ` · ${doseText(i, formatNumber)}` : ''}</strong>
    <span>${formatDateTime(i.given_at)}</span>
    ${i.drug && html`<span>${t(`timeline.drug.${i.drug}`)}</span>`}
    ${i.bp_systolic_before && html`<span>${t('timeline.bp_before', { bp: `${i.bp_systolic_before}/${i.bp_diastolic_before}` })}</span>`}
    ${i.notes && html`<span>${i.notes}</span>`}
  `;
}

/**
 * The stacked panels. `view` ({min, max} in seconds) is the shared time range; `onView` is
 * called with a new one when the clinician drags across a panel.
 */
export function TimelineChart({ timeline, panels, view, onView, height = 150, syncKey = 'timeline' }) {
  const facts = useRef(null);
  const [hover, setHover] = useState(null);
  const [pinned, setPinned] = useState(null);
  const [readout, setReadout] = useState(null);
  const chartBox = useRef(null);
  if (!facts.current || facts.current.timeline !== timeline) {
    facts.current = { timeline, ...chartFacts(timeline) };
  }
  const series = useRef({});
  for (const panel of panels) series.current[panel.id] = seriesOf(timeline, panel.id);

  const onHover = (marker, left, idx, panelId) => {
    setHover(marker ? { ...marker, left } : null);
    if (left === undefined || left === null || left < 0) {
      setReadout(null);
      return;
    }
    const point = idx !== null && idx !== undefined ? series.current[panelId][idx] : null;
    setReadout((r) => {
      const next = { ...(r || {}), left };
      if (point) next[panelId] = point;
      return next;
    });
  };
  const shown = pinned || hover;
  const widthOf = chartBox.current?.clientWidth || 600;

  return html`
    <div class="timeline-chart" ref=${chartBox}>
      ${panels.map(
        (panel, index) => html`
          <div class="panel" key=${panel.id}>
            <div class="panel-label" aria-hidden="true"><span class=${`swatch swatch-${panel.id}`}></span>${t(`timeline.panel.${panel.id}`)}</div>
            <${Panel}
              panel=${panel}
              timeline=${timeline}
              facts=${facts.current}
              view=${view}
              syncKey=${syncKey}
              height=${index === panels.length - 1 ? height + 26 : height}
              isLast=${index === panels.length - 1}
              showXAxis=${index === panels.length - 1}
              onSelect=${onView}
              onHover=${onHover}
              onTap=${(marker) => setPinned(marker)}
            />
          </div>
        `,
      )}
      ${shown &&
      html`<div class="marker-tip" role="status" style=${`left: ${Math.min(Math.max(0, (shown.left ?? 0) + 40), widthOf - 260)}px`}>
        <${MarkerDetails} marker=${shown} />
        ${pinned && html`<button type="button" class="button button-small" onClick=${() => setPinned(null)}>${t('timeline.close_details')}</button>`}
      </div>`}
      ${readout &&
      html`<p class="readout" aria-hidden="true">
        ${panels
          .filter((p) => readout[p.id])
          .map((p) => html`<span>${t(`timeline.panel.${p.id}`)} ${formatNumber(readout[p.id].score)} (${formatDate(readout[p.id].at * 1000)})</span>`)}
      </p>`}
    </div>
  `;
}

function survivalAt(steps, day) {
  let value = 1;
  let lower = 1;
  let upper = 1;
  for (const step of steps) {
    if (step.day > day) break;
    value = step.survival;
    lower = step.lower;
    upper = step.upper;
  }
  return { value, lower, upper };
}

/**
 * Kaplan-Meier curves: `curves` = [{ label, km, colour, band, dash }]; the first with `band`
 * gets its 95% interval shaded. Days on the x axis.
 */
export function KmChart({ curves, height = 220, label }) {
  const box = useRef(null);
  useEffect(() => {
    const last = Math.max(14, ...curves.flatMap((c) => c.km.steps.map((s) => s.day)));
    const days = [...new Set([0, ...curves.flatMap((c) => c.km.steps.map((s) => s.day)), last])].sort((a, b) => a - b);
    const data = [days];
    const series = [{}];
    const bands = [];
    const stepped = uPlot.paths.stepped({ align: 1 });
    curves.forEach((curve) => {
      const colour = css(curve.colour);
      data.push(days.map((d) => survivalAt(curve.km.steps, d).value));
      series.push({ label: curve.label, stroke: colour, width: 2, dash: curve.dash, paths: stepped, points: { show: false } });
      if (curve.band) {
        data.push(days.map((d) => survivalAt(curve.km.steps, d).upper));
        data.push(days.map((d) => survivalAt(curve.km.steps, d).lower));
        series.push({ stroke: 'transparent', paths: stepped, points: { show: false } });
        series.push({ stroke: 'transparent', paths: stepped, points: { show: false } });
        bands.push({ series: [series.length - 2, series.length - 1], fill: css('--km-band') });
      }
    });
    const text = css('--text');
    const grid = css('--grid');
    const u = new uPlot(
      {
        width: box.current.clientWidth || 400,
        height,
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: false, range: [0, last] }, y: { auto: false, range: [0, 1] } },
        series,
        bands,
        axes: [
          { stroke: text, grid: { stroke: grid }, ticks: { stroke: grid }, font: '12px system-ui', incrs: [1, 2, 7, 14, 28, 56, 112], label: t('timeline.km.days'), labelFont: '12px system-ui', labelSize: 20 },
          { stroke: text, grid: { stroke: grid }, ticks: { stroke: grid }, font: '12px system-ui', size: 52, values: (self, splits) => splits.map((s) => `${Math.round(s * 100)}%`) },
        ],
      },
      data,
      box.current,
    );
    u.root.setAttribute('aria-hidden', 'true');
    const resize = new ResizeObserver(() => {
      if (box.current && box.current.clientWidth) u.setSize({ width: box.current.clientWidth, height });
    });
    resize.observe(box.current);
    return () => {
      resize.disconnect();
      u.destroy();
    };
  }, [curves]);
  return html`<div class="km-chart" ref=${box} role="img" aria-label=${label}></div>`;
}
