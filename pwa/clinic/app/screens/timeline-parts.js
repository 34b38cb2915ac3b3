// Pieces the patient screen and the printable summary share: status chip, episode rows,
// the booster outlook worded as information, Kaplan-Meier sentences.
import { html } from '../html.js';
import { formatDate, formatNumber, t } from '../i18n.js';
import { Chip } from '../ui.js';

const TONES = {
  relapsed: 'danger',
  waning: 'warn',
  no_recent_data: 'warn',
  holding: 'good',
  no_response: 'muted',
  unassessed: 'info',
  none: 'muted',
};

export function StatusChip({ status }) {
  return html`<${Chip} tone=${TONES[status] || 'neutral'}>${t(`timeline.status.${status}`)}<//>`;
}

const whole = (n) => formatNumber(Math.floor(n));
const oneDecimal = (n) => formatNumber(n, { maximumFractionDigits: 1 });

/** One line a clinician reads: the median with its interval, or "at least X days" and why. */
export function kmSentence(km) {
  if (km.median_shown && km.median !== null) {
    return t('timeline.km.median', {
      median: whole(km.median),
      lower: km.median_lower !== null ? whole(km.median_lower) : '?',
      upper: km.median_upper !== null ? whole(km.median_upper) : t('timeline.km.not_reached'),
    });
  }
  const why =
    km.median === null
      ? t('timeline.km.why_not_reached')
      : t('timeline.km.why_few', { count: km.events, needed: km.min_events_for_median });
  if (!km.at_least_days) return t('timeline.km.none', { why });
  return t('timeline.km.at_least', { days: whole(km.at_least_days), why });
}

export function outcomeText(e) {
  if (e.outcome === 'relapsed') {
    return t('timeline.outcome.relapsed_on', {
      day: whole(e.relapse_day),
      reason: t(`timeline.relapse_reason.${e.relapse_reason}`),
    });
  }
  if (e.outcome === 'unassessed' && e.unassessed_reason) return t(`timeline.unassessed.${e.unassessed_reason}`);
  return t(`timeline.outcome.${e.outcome}`);
}

export function reliefDays(e) {
  if (e.duration_days === null || e.duration_days === undefined) return '—';
  return e.event ? oneDecimal(e.duration_days) : `≥ ${oneDecimal(e.duration_days)}`;
}

/** Columns of the episode table (start, baseline, nadir, outcome, relief days, censor reason, probable relapse). */
export function episodeColumns() {
  return [
    {
      key: 'start',
      label: t('timeline.ep.start'),
      render: (e) => html`${formatDate(e.start)}<br /><span class="muted">${t(`timeline.kind.${e.kind}`)} · ${t(`timeline.route.${e.route}`)}</span>`,
    },
    { key: 'baseline', label: t('timeline.ep.baseline'), numeric: true, render: (e) => (e.baseline ?? '—') },
    {
      key: 'nadir',
      label: t('timeline.ep.nadir'),
      numeric: true,
      render: (e) => (e.nadir_score === null ? '—' : t('timeline.ep.nadir_on', { score: e.nadir_score, day: whole(e.nadir_day) })),
    },
    { key: 'outcome', label: t('timeline.ep.outcome'), render: (e) => outcomeText(e) },
    { key: 'days', label: t('timeline.ep.relief_days'), numeric: true, render: reliefDays },
    { key: 'censor', label: t('timeline.ep.censor'), render: (e) => (e.censor_reason ? t(`timeline.censor.${e.censor_reason}`) : '—') },
    {
      key: 'probable',
      label: t('timeline.ep.probable'),
      render: (e) => (e.probable_relapse ? html`<strong>${t('timeline.yes')}</strong>` : '—'),
    },
  ];
}

/**
 * Whether the outlook's window may be shown: never after a relapse, never for an infusion
 * without response (or none judged yet), never once today is past it.
 */
export function windowToShow(outlook) {
  const w = outlook && outlook.window;
  if (!w) return null;
  if (['relapsed', 'no_response', 'unassessed'].includes(outlook.status)) return null;
  if (outlook.days_since_infusion > w.end_day) return null;
  return w;
}

/** The booster outlook as sentences of information (never an order). */
export function outlookLines(timeline) {
  const relief = timeline.relief;
  const outlook = relief.outlook;
  if (!outlook) return [t('timeline.outlook.none')];
  const current = relief.episodes[relief.episodes.length - 1];
  const lines = [
    t('timeline.outlook.day', {
      day: whole(outlook.days_since_infusion),
      kind: t(`timeline.kind.${current.kind}`),
      route: t(`timeline.route.${current.route}`),
    }),
    t(`timeline.outlook.status.${outlook.status}`),
  ];
  const past = outlook.past_relapses;
  if (past.followed) {
    lines.push(t('timeline.outlook.past', { relapsed: past.relapsed, followed: past.followed, day: past.day }));
  } else {
    lines.push(t('timeline.outlook.no_past'));
  }
  if (past.left_out) lines.push(t('timeline.outlook.left_out', { count: past.left_out }));
  lines.push(t('timeline.outlook.own', { summary: kmSentence(relief.km) }));
  const w = windowToShow(outlook);
  if (w) {
    lines.push(
      t(`timeline.outlook.window_${w.source}`, {
        from: whole(w.start_day),
        to: whole(w.end_day),
        from_date: formatDate(`${w.start_on}T12:00:00`),
        to_date: formatDate(`${w.end_on}T12:00:00`),
      }),
    );
    if (outlook.days_since_infusion >= w.start_day) lines.push(t('timeline.outlook.inside'));
  } else if (outlook.status === 'relapsed') {
    lines.push(t('timeline.outlook.no_window_relapsed'));
  } else if (outlook.status === 'no_response' || outlook.status === 'unassessed') {
    lines.push(t(`timeline.outlook.no_window_${outlook.status}`));
  } else if (outlook.window) {
    lines.push(t('timeline.outlook.no_window_past', { to: whole(outlook.window.end_day) }));
  } else {
    lines.push(t('timeline.outlook.no_window_estimate'));
  }
  lines.push(t('timeline.outlook.information'));
  return lines;
}
