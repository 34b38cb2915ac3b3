"""Relief analytics (CLINICAL.md §2-§4): episodes, Kaplan-Meier and the booster outlook, as pure functions.

No database and no clock in here: callers pass facts and `now`. Import the public API from this package.
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
