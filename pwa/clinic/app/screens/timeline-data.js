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

/**
 * Reliable-change marks (CLINICAL.md §2; they never change an episode's outcome), as the server
 * works them out (`timeline.reliable_changes`, backend/afterglow/trends/changes.py: the rule the
 * patient's chart words come from too). PHQ-9: down 5 or more from the episode's baseline, or up
 * 6 or more from its nadir; GAD-7: 4 or more either way from the GAD-7 before the course. Each
 * episode marks where a change is first reached, so the marks show turns.
 */
export function reliableChanges(timeline) {
  const marks = { phq9: [], gad7: [] };
  for (const [instrument, changes] of Object.entries(timeline.reliable_changes || {})) {
    marks[instrument] = changes.map((c) => ({
      at: seconds(c.at),
      score: c.score,
      direction: c.direction,
      from: c.reference,
      reference: c.reference_score,
    }));
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
