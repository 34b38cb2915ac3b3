"""Relief analytics (CLINICAL.md §2-§4): episodes, Kaplan-Meier and the booster outlook.

The analysis is pure: `facts`, `episodes`, `kaplan_meier` and `outlook` touch no database and no
clock (callers pass facts and `now`), and this package exports only them. Around them, and
importing them, sit the database and HTTP layers: `service` (load facts, derive and store),
`summary` (the stored triage summary), `models`, `routes` and `triage`.
"""

from afterglow.relief.episodes import (
    CensorReason,
    Episode,
    Outcome,
    RelapseReason,
    ScorePoint,
    UnassessedReason,
    relief_episodes,
    survival_pairs,
)
from afterglow.relief.facts import (
    EventFact,
    InfusionFact,
    MoodFact,
    Phq9Fact,
    ReliefThresholds,
)
from afterglow.relief.kaplan_meier import (
    KaplanMeierEstimate,
    KaplanMeierStep,
    Landmark,
    kaplan_meier,
)
from afterglow.relief.outlook import (
    BoosterOutlook,
    BoosterWindow,
    OutlookStatus,
    PastRelapses,
    WaningSignal,
    booster_outlook,
    waning_signal,
)

__all__ = [
    "BoosterOutlook",
    "BoosterWindow",
    "CensorReason",
    "Episode",
    "EventFact",
    "InfusionFact",
    "KaplanMeierEstimate",
    "KaplanMeierStep",
    "Landmark",
    "MoodFact",
    "Outcome",
    "OutlookStatus",
    "PastRelapses",
    "Phq9Fact",
    "RelapseReason",
    "ReliefThresholds",
    "ScorePoint",
    "UnassessedReason",
    "WaningSignal",
    "booster_outlook",
    "kaplan_meier",
    "relief_episodes",
    "survival_pairs",
    "waning_signal",
]
