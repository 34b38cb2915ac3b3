// The one-page printable summary of a patient (A4 or Letter) and a plain-text version to copy into
// the clinic's own record system. Same single read as the timeline.
import { html, useMemo, useState } from '../html.js';
import { api } from '../api.js';
import { formatDate, formatDateTime, formatNumber, t } from '../i18n.js';
import { ErrorNote, Loading, Page, announce, useApi, useStylesheet } from '../ui.js';
import { TimelineChart, ensureUplotCss, panelsFor } from './timeline-chart.js';
import { DAY, completeness, doseText, latest, seconds, seriesOf } from './timeline-data.js';
import { StatusChip, episodeColumns, kmSentence, outlookLines, reliefDays, outcomeText } from './timeline-parts.js';

const PERIOD_DAYS = 365;
const ALERT_DAYS = 90;
// What one page holds: the latest episodes and infusions of the period (the rest are counted).
const MOST_EPISODES = 8;
const MOST_INFUSIONS = 16;

function periodOf(timeline) {
  const until = seconds(timeline.generated_at);
  const times = [...timeline.checkins.map((c) => c.taken_at), ...timeline.infusions.map((i) => i.given_at)].map(seconds);
  const first = times.length ? Math.min(...times) : until - 30 * DAY;
  return { min: Math.max(first - DAY / 2, until - PERIOD_DAYS * DAY), max: until + DAY / 4 };
}

function summaryOf(timeline) {
  const period = periodOf(timeline);
  const inPeriod = (iso) => seconds(iso) >= period.min && seconds(iso) <= period.max;
  const done = completeness(timeline, period.min, period.max);
  const phq9 = seriesOf(timeline, 'phq9');
  const gad7 = seriesOf(timeline, 'gad7');
  const since = seconds(timeline.generated_at) - ALERT_DAYS * DAY;
  return {
    period,
    done,
    phq9,
    gad7,
    lastPhq9: latest(phq9)?.checkin || null,
    lastGad7: latest(gad7)?.checkin || null,
    alerts: timeline.alerts.filter((a) => seconds(a.created_at) >= since).reverse(),
    episodes: timeline.relief.episodes.filter((e) => seconds(e.end) >= period.min).reverse(),
    infusions: timeline.infusions.filter((i) => inPeriod(i.given_at)).reverse(),
  };
}

const percent = (part, whole) => formatNumber(whole ? part / whole : 0, { style: 'percent' });

function infusionLine(i) {
  return [formatDate(i.given_at), t(`timeline.kind.${i.kind}`), t(`timeline.route.${i.route}`), doseText(i, formatNumber)].filter(Boolean).join(', ');
}

function alertLine(a) {
  return t('timeline.print.alert_line', {
    date: formatDateTime(a.created_at),
    item9: a.item9,
    level: t(`timeline.print.level.${a.level}`),
    status: a.acknowledged_at ? t('timeline.print.acknowledged_at', { date: formatDateTime(a.acknowledged_at) }) : t(`timeline.print.alert_status.${a.status}`),
  });
}

/** The summary as plain text, for the clinic's own record system. */
export function plainText(timeline, s) {
  const lines = [
    t('timeline.print.text.heading', { name: timeline.patient.display_name }),
    t('timeline.print.generated', { date: formatDateTime(timeline.generated_at) }),
    t('timeline.print.period', { from: formatDate(s.period.min * 1000), to: formatDate(s.period.max * 1000) }),
    t('timeline.print.completeness', {
      mood: s.done.moodDays,
      days: s.done.days,
      mood_pct: percent(s.done.moodDays, s.done.days),
      phq9: s.done.phq9Weeks,
      weeks: s.done.weeks,
      phq9_pct: percent(s.done.phq9Weeks, s.done.weeks),
    }),
    t('timeline.print.text.status', { status: t(`timeline.status.${timeline.status}`) }),
  ];
  if (s.lastPhq9) lines.push(t('timeline.print.latest_phq9', { score: s.lastPhq9.score, band: s.lastPhq9.band_label || '', date: formatDate(s.lastPhq9.taken_at) }));
  if (s.lastGad7) lines.push(t('timeline.print.latest_gad7', { score: s.lastGad7.score, band: s.lastGad7.band_label || '', date: formatDate(s.lastGad7.taken_at) }));
  lines.push(s.lastPhq9 ? t('timeline.print.item9_latest', { answer: s.lastPhq9.answers[8], date: formatDate(s.lastPhq9.taken_at) }) : t('timeline.print.item9_none'));
  lines.push(t('timeline.print.alerts_title', { days: ALERT_DAYS }) + ':');
  lines.push(...(s.alerts.length ? s.alerts.map((a) => `- ${alertLine(a)}`) : [`- ${t('timeline.print.no_alerts')}`]));
  lines.push('', t('timeline.print.episodes_title') + ':');
  for (const e of s.episodes) {
    lines.push(
      `- ${formatDate(e.start)} ${t(`timeline.kind.${e.kind}`)} ${t(`timeline.route.${e.route}`)}: ` +
        t('timeline.print.text.episode', {
          baseline: e.baseline ?? '—',
          nadir: e.nadir_score ?? '—',
          outcome: outcomeText(e),
          days: reliefDays(e),
        }) +
        (e.censor_reason ? `; ${t(`timeline.censor.${e.censor_reason}`)}` : '') +
        (e.probable_relapse ? `; ${t('timeline.ep.probable')}` : ''),
    );
  }
  lines.push(t('timeline.print.text.km', { summary: kmSentence(timeline.relief.km) }));
  lines.push('', t('timeline.outlook.title') + ':', ...outlookLines(timeline).map((l) => `  ${l}`));
  lines.push('', t('timeline.print.infusions_title', { count: s.infusions.length }) + ':');
  lines.push(...s.infusions.map((i) => `- ${infusionLine(i)}`));
  lines.push('', timeline.attribution);
  return lines.join('\n');
}

function PlainText({ text }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const area = document.getElementById('plain-summary');
      area.select();
      document.execCommand('copy');
    }
    setCopied(true);
    announce(t('timeline.print.copied'));
  };
  return html`
    <section class="card no-print plain-text" aria-labelledby="plain-title">
      <h2 id="plain-title">${t('timeline.print.text.title')}</h2>
      <p class="hint">${t('timeline.print.text.hint')}</p>
      <label class="visually-hidden" for="plain-summary">${t('timeline.print.text.title')}</label>
      <textarea id="plain-summary" readonly rows="14" value=${text}></textarea>
      <button type="button" class="button" onClick=${copy}>${copied ? t('timeline.print.copied') : t('timeline.print.copy')}</button>
    </section>
  `;
}

function Sheet({ timeline, s }) {
  const panels = useMemo(() => panelsFor(timeline).filter((p) => p.id === 'phq9' || p.id === 'gad7'), [timeline]);
  const episodes = s.episodes.slice(0, MOST_EPISODES);
  const infusions = s.infusions.slice(0, MOST_INFUSIONS);
  const columns = episodeColumns();
  return html`
    <article class="print-sheet" aria-labelledby="sheet-title">
      <header class="sheet-head">
        <div>
          <h2 id="sheet-title">${timeline.patient.display_name}</h2>
          <p>${t('timeline.print.period', { from: formatDate(s.period.min * 1000), to: formatDate(s.period.max * 1000) })}</p>
        </div>
        <div class="sheet-status">
          <${StatusChip} status=${timeline.status} />
          <p>${t('timeline.print.generated', { date: formatDateTime(timeline.generated_at) })}</p>
        </div>
      </header>
      <p class="sheet-line">
        ${t('timeline.print.completeness', {
          mood: s.done.moodDays,
          days: s.done.days,
          mood_pct: percent(s.done.moodDays, s.done.days),
          phq9: s.done.phq9Weeks,
          weeks: s.done.weeks,
          phq9_pct: percent(s.done.phq9Weeks, s.done.weeks),
        })}
        ${s.lastPhq9 && html` ${t('timeline.print.latest_phq9', { score: s.lastPhq9.score, band: s.lastPhq9.band_label || '', date: formatDate(s.lastPhq9.taken_at) })}`}
        ${s.lastGad7 && html` ${t('timeline.print.latest_gad7', { score: s.lastGad7.score, band: s.lastGad7.band_label || '', date: formatDate(s.lastGad7.taken_at) })}`}
      </p>
      <div class="sheet-chart">
        <${TimelineChart} timeline=${timeline} panels=${panels} view=${s.period} onView=${() => {}} height=${105} syncKey="print" />
        <p class="sheet-legend">${t('timeline.print.chart_legend')}</p>
      </div>
      <div class="sheet-columns">
        <section aria-labelledby="safety-title">
          <h3 id="safety-title">${t('timeline.print.safety_title')}</h3>
          <p>${s.lastPhq9 ? t('timeline.print.item9_latest', { answer: s.lastPhq9.answers[8], date: formatDate(s.lastPhq9.taken_at) }) : t('timeline.print.item9_none')}</p>
          <p><strong>${t('timeline.print.alerts_title', { days: ALERT_DAYS })}</strong></p>
          ${s.alerts.length
            ? html`<ul class="sheet-list">${s.alerts.slice(0, 5).map((a) => html`<li>${alertLine(a)}</li>`)}</ul>
                ${s.alerts.length > 5 && html`<p>${t('timeline.print.more', { count: s.alerts.length - 5 })}</p>`}`
            : html`<p>${t('timeline.print.no_alerts')}</p>`}
        </section>
        <section aria-labelledby="sheet-outlook-title">
          <h3 id="sheet-outlook-title">${t('timeline.outlook.title')}</h3>
          <p class="sheet-outlook">${outlookLines(timeline).join(' ')}</p>
        </section>
      </div>
      <h3>${t('timeline.print.episodes_title')}</h3>
      <table class="sheet-table">
        <thead><tr>${columns.map((c) => html`<th scope="col" class=${c.numeric ? 'num' : ''}>${c.label}</th>`)}</tr></thead>
        <tbody>
          ${episodes.map((e) => html`<tr>${columns.map((c) => html`<td class=${c.numeric ? 'num' : ''}>${c.render(e)}</td>`)}</tr>`)}
        </tbody>
      </table>
      <p class="sheet-note">
        ${s.episodes.length > MOST_EPISODES ? `${t('timeline.print.more_episodes', { count: s.episodes.length - MOST_EPISODES })} ` : ''}${t('timeline.print.text.km', { summary: kmSentence(timeline.relief.km) })}
      </p>
      <h3>${t('timeline.print.infusions_title', { count: s.infusions.length })}</h3>
      <ol class="sheet-infusions">
        ${infusions.map((i) => html`<li>${infusionLine(i)}</li>`)}
      </ol>
      ${s.infusions.length > MOST_INFUSIONS && html`<p class="sheet-note">${t('timeline.print.more', { count: s.infusions.length - MOST_INFUSIONS })}</p>`}
      <footer class="sheet-foot">
        <p>${timeline.attribution}</p>
        <p>${t('timeline.print.footer', { date: formatDateTime(timeline.generated_at) })}</p>
      </footer>
    </article>
  `;
}

export default function PrintScreen({ params }) {
  useStylesheet(new URL('./patient.js', import.meta.url).href);
  useStylesheet(import.meta.url);
  ensureUplotCss();
  const id = params.id;
  const { data, error, loading } = useApi(() => api.get(`/api/patients/${id}/timeline`), [id]);
  const s = useMemo(() => data && summaryOf(data), [data]);
  const title = data ? t('timeline.print.title', { name: data.patient.display_name }) : t('timeline.print.title_loading');
  const actions = html`
    <a class="button" href=${`#/patients/${id}`}>${t('timeline.print.back')}</a>
    <button type="button" class="button button-primary" onClick=${() => window.print()} disabled=${!data}>${t('timeline.print.print')}</button>
  `;
  return html`
    <${Page} title=${title} actions=${actions} className="print-page">
      <${ErrorNote} error=${error} />
      ${loading && !data && html`<${Loading} />`}
      ${data && html`<${Sheet} timeline=${data} s=${s} /><${PlainText} text=${plainText(data, s)} />`}
    <//>
  `;
}
