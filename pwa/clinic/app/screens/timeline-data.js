// What the timeline draws, worked out from GET /api/patients/{id}/timeline: plain data, no DOM,
// so the patient screen, the printable summary and the benchmark read it the same way.

export const DAY = 86400;
export const seconds = (iso) => new Date(iso).getTime() / 1000;

/** The series of one instrument, oldest first: [{ at (s), score, checkin }]. */
export function seriesOf(timeline, instrument) {
  return timeline.checkins
    .filter((c) => c.instrument === instrument && c.score !== null && c.score !== undefined)
    .map((c) => ({ at: seconds(c.taken_at), score: c.score, checkin: c }));
}

/** The time span everything falls in: first record to now, at least two weeks. */
export function fullSpan(timeline) {
  const times = [
    ...timeline.checkins.map((c) => seconds(c.taken_at)),
    ...timeline.infusions.map((i) => seconds(i.given_at)),
    ...timeline.events.map((e) => seconds(e.occurred_at)),
  ];
  const max = seconds(timeline.generated_at);
  const min = times.length ? Math.min(...times) : max - 90 * DAY;
  return { min: Math.min(min - DAY, max - 14 * DAY), max: max + DAY / 2 };
}

/**
 * Each relief episode as the chart shades it: from its infusion to relapse, censoring or its
 * end; with the marks (relapse, censoring) and the baseline, response and remission levels.
 */
export function episodeSpans(timeline) {
  const limits = timeline.relief.thresholds;
  return timeline.relief.episodes.map((e, index) => {
    const start = seconds(e.start);
    const end = seconds(e.end);
    const at = (day) => (day === null || day === undefined ? null : start + day * DAY);
    const relapseAt = e.outcome === 'relapsed' ? at(e.relapse_day) : null;
    const censorAt = e.outcome === 'censored' || e.outcome === 'ongoing' ? at(e.duration_days) : null;
    return {
      index,
      episode: e,
      start,
      end,
      // Relief shows only where there was some: a responding episode, until it ended.
      reliefEnd: e.outcome === 'no_response' || e.outcome === 'unassessed' ? null : relapseAt ?? censorAt ?? end,
      relapseAt,
      censorAt,
      baseline: e.baseline,
      response: e.baseline !== null && e.baseline !== undefined ? limits.response_fraction * e.baseline : null,
      remission: limits.remission_below,
    };
  });
}

function courseStart(timeline, episode) {
  const ids = new Set(episode.infusion_ids);
  const given = timeline.infusions.filter((i) => ids.has(i.id)).map((i) => seconds(i.given_at));
  return given.length ? Math.min(...given) : seconds(episode.start);
}

/**
 * Reliable-change marks (CLINICAL.md §2; they never change an episode's outcome).
 * PHQ-9: down `minimal_important_difference` (5) or more from the episode's baseline is a
 * reliable improvement; up `reliable_worsening_points` (6) or more from the episode's nadir a
 * reliable worsening. GAD-7: 4 or more either way from its own baseline, the last GAD-7 in the
 * baseline window before the course's first infusion. Each episode marks where a reliable change
 * is first reached (not every later score that stays past it), so the marks show turns.
 */
export function reliableChanges(timeline) {
  const limits = timeline.relief.thresholds;
  const marks = { phq9: [], gad7: [] };
  const phq9 = seriesOf(timeline, 'phq9');
  const gad7 = seriesOf(timeline, 'gad7');
  for (const span of episodeSpans(timeline)) {
    const { episode } = span;
    const inside = (p) => p.at > span.start && p.at <= span.end;
    if (episode.baseline !== null && episode.baseline !== undefined) {
      const nadirAt = episode.nadir_day !== null && episode.nadir_day !== undefined ? span.start + episode.nadir_day * DAY : null;
      let better = false;
      let worse = false;
      for (const p of phq9.filter(inside)) {
        if (!better && episode.baseline - p.score >= limits.minimal_important_difference) {
          better = true;
          marks.phq9.push({ at: p.at, score: p.score, direction: 'better', from: 'baseline', reference: episode.baseline });
        } else if (!worse && nadirAt !== null && p.at > nadirAt && p.score - episode.nadir_score >= limits.reliable_worsening_points) {
          worse = true;
          marks.phq9.push({ at: p.at, score: p.score, direction: 'worse', from: 'nadir', reference: episode.nadir_score });
        }
      }
    }
    const first = courseStart(timeline, episode);
    const window = limits.baseline_window_days * DAY;
    const before = gad7.filter((p) => p.at <= first && p.at >= first - window);
    const base = before.length ? before[before.length - 1].score : null;
    if (base === null) continue;
    const reached = new Set();
    for (const p of gad7.filter(inside)) {
      const change = p.score - base;
      const direction = change < 0 ? 'better' : 'worse';
      if (Math.abs(change) >= limits.gad7_minimal_important_difference && !reached.has(direction)) {
        reached.add(direction);
        marks.gad7.push({ at: p.at, score: p.score, direction, from: 'baseline', reference: base });
      }
    }
  }
  return marks;
}

/** Share of days with a daily mood and of weeks with a PHQ-9, over [since, until] (seconds). */
export function completeness(timeline, since, until) {
  const days = Math.max(1, Math.round((until - since) / DAY));
  const weeks = Math.max(1, Math.round(days / 7));
  const moodDays = new Set();
  const phq9Weeks = new Set();
  for (const c of timeline.checkins) {
    const at = seconds(c.taken_at);
    if (at < since || at > until) continue;
    if (c.instrument === 'mood') moodDays.add(Math.floor((until - at) / DAY));
    if (c.instrument === 'phq9') phq9Weeks.add(Math.floor((until - at) / (7 * DAY)));
  }
  return {
    days,
    weeks,
    moodDays: Math.min(moodDays.size, days),
    phq9Weeks: Math.min(phq9Weeks.size, weeks),
  };
}

/** The PHQ-9 a course's baseline was taken from, found by its id. */
export function baselineCheckin(timeline, episode) {
  if (!episode || episode.baseline_phq9_id === null || episode.baseline_phq9_id === undefined) return null;
  return timeline.checkins.find((c) => c.id === episode.baseline_phq9_id) || null;
}

export const latest = (list) => (list.length ? list[list.length - 1] : null);

/** A dose as a clinician writes it: "0.5 mg/kg", "56 mg". */
export function doseText(infusion, format = (n) => String(n)) {
  if (infusion.dose_mg_per_kg !== null && infusion.dose_mg_per_kg !== undefined) return `${format(infusion.dose_mg_per_kg)} mg/kg`;
  if (infusion.dose_mg !== null && infusion.dose_mg !== undefined) return `${format(infusion.dose_mg)} mg`;
  return '';
}

export const bp = (systolic, diastolic) => (systolic && diastolic ? `${systolic}/${diastolic}` : '');
