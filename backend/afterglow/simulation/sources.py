"""The figures the simulated clinic is built from, each with where it comes from.

Printed with every result, so that a reader judges the cohort before the numbers. A figure
marked as an assumption has no single source: the text says what it sits between.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Adherence = Literal["high", "low"]


@dataclass(frozen=True)
class Source:
    key: str
    citation: str
    finding: str


SOURCES = (
    Source(
        "murrough2013",
        "Murrough JW et al. Rapid and longer-term antidepressant effects of repeated ketamine "
        "infusions in treatment-resistant major depression. Biol Psychiatry 2013;74(4):250-6 "
        "(CLINICAL.md §3)",
        "after six IV infusions, 71% responded (n=24); median time to relapse about 18 days",
    ),
    Source(
        "mcinnes2022",
        "McInnes LA et al. (community ketamine clinics, n=537; CLINICAL.md §3)",
        "54% response; of responders about 80% still responding at 4 weeks, 60% at 8 weeks",
    ),
    Source(
        "ketect2022",
        "KetECT trial, 2022 (ketamine vs ECT; CLINICAL.md §3)",
        "ketamine remitters stayed in remission a median of 57 days",
    ),
    Source(
        "zarate2006",
        "Zarate CA et al. A randomized trial of an NMDA antagonist in treatment-resistant major "
        "depression. Arch Gen Psychiatry 2006;63(8):856-64 (CLINICAL.md §3)",
        "a single infusion loses most of its benefit within about a week",
    ),
    Source(
        "colombo2018",
        "Colombo D et al. An overview of factors associated with adherence and dropout to "
        "ecological momentary assessments in depression. Annu Rev Cybertherapy Telemed 2018;16 "
        "(https://publires.unicatt.it/it/publications/an-overview-of-factors-associated-with-"
        "adherence-and-dropout-to-e-3)",
        "mean adherence to daily prompts across EMA studies of major depression 80.66% (SD 11.71%)",
    ),
    Source(
        "torous2015",
        "Torous J et al. Utilizing a personal smartphone custom app to assess the PHQ-9 "
        "depressive symptoms in patients with major depressive disorder. JMIR Ment Health "
        "2015;2(1):e8 (https://mental.jmir.org/2015/1/e8)",
        "outpatients completed 77.78% (903/1161) of the app's PHQ-9 sessions",
    ),
    Source(
        "nahum2017",
        "Nahum M et al. Immediate Mood Scaler: tracking symptoms of depression and anxiety "
        "using a novel mobile mood scale. JMIR Mhealth Uhealth 2017;5(4):e44 "
        "(https://mhealth.jmir.org/2017/4/e44)",
        "a momentary mood rating correlated r=.57-.59 with the PHQ-9 taken the same day",
    ),
    Source(
        "bauer2018",
        "Bauer AM et al. Comparing approaches to mobile depression assessment for "
        "measurement-based care. J Med Internet Res 2018;20(6):e10001 "
        "(https://jmir.org/2018/6/e10001)",
        "daily ratings pooled over weeks correlated r=.80 with the PHQ-9 (n=547)",
    ),
)

# --- Relief after ketamine (CLINICAL.md §3's reference figures) ---------------------------
# Between community clinics (54%) and a trial after six IV infusions (71%).
INDUCTION_RESPONSE = 0.62
# A typical responder relapses a median of 18 days after the course (Murrough 2013); a quarter
# hold far longer, a median of 57 days (KetECT 2022's remitters). Together about 40% are still
# in relief at 4 weeks: between the trial's and the community clinics' (McInnes 2022) figures.
TYPICAL_RELAPSE_MEDIAN_DAYS = 18.0
DURABLE_RELAPSE_MEDIAN_DAYS = 57.0
DURABLE_SHARE = 0.25
RELAPSE_DAYS_SPREAD = 0.6  # sigma of the log relapse day
# Assumption: a booster of a responder helps 85% of the time, and its relief lasts a median of
# 12 days, between a single infusion's week (Zarate 2006) and a course's 18 days (Murrough 2013).
BOOSTER_RESPONSE = 0.85
BOOSTER_RELAPSE_MEDIAN_DAYS = 12.0

# --- Answering the app ----------------------------------------------------------------------
# High: the mean adherence of the EMA review (daily mood) and of the smartphone PHQ-9 study
# (questionnaires). Low: two of the review's standard deviations lower, for both.
ANSWER_RATES: dict[Adherence, dict[str, float]] = {
    "high": {"mood": 0.807, "questionnaire": 0.778},
    "low": {"mood": 0.807 - 2 * 0.117, "questionnaire": 0.778 - 2 * 0.117},
}
# Patients differ around their clinic's rate by this much (the review's SD across studies).
ANSWER_RATE_SPREAD = 0.117
# A single daily mood rating and the same day's PHQ-9 correlate about r = -0.58 in the cohort
# (Nahum 2017; the sign: mood is best at 10, PHQ-9 worst at 27); weekly means of daily ratings
# about -0.8 (Bauer 2018). The mood model below is set to land near both; each run prints
# what it gave.
MOOD_PHQ9_TARGET = -0.58
WEEKLY_MOOD_PHQ9_TARGET = -0.80


def describe_sources(adherence: Adherence) -> list[str]:
    """The figures and their sources, as printed with a result."""
    rates = ANSWER_RATES[adherence]
    lines = [
        f"answer rates ({adherence}-adherence clinic): daily mood {rates['mood']:.0%}, "
        f"PHQ-9 and GAD-7 {rates['questionnaire']:.0%}, each patient within about "
        f"±{ANSWER_RATE_SPREAD:.0%} of that [colombo2018, torous2015]",
        f"mood to PHQ-9: single ratings r about {MOOD_PHQ9_TARGET:+.2f}, weekly means about "
        f"{WEEKLY_MOOD_PHQ9_TARGET:+.2f} [nahum2017, bauer2018]",
        f"response to induction {INDUCTION_RESPONSE:.0%} [mcinnes2022, murrough2013]; relapse "
        f"a median of {TYPICAL_RELAPSE_MEDIAN_DAYS:g} days after it [murrough2013], "
        f"{DURABLE_RELAPSE_MEDIAN_DAYS:g} for a durable {DURABLE_SHARE:.0%} [ketect2022]",
        f"boosters (assumption): {BOOSTER_RESPONSE:.0%} help, relief a median of "
        f"{BOOSTER_RELAPSE_MEDIAN_DAYS:g} days [zarate2006, murrough2013]",
    ]
    lines += [f"[{s.key}] {s.citation}: {s.finding}" for s in SOURCES]
    return lines
