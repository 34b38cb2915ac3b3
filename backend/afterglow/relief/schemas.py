"""Response shapes of the relief API (the analysis dataclasses serialise as they are)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from afterglow.relief import (
    BoosterOutlook,
    BoosterWindow,
    Episode,
    KaplanMeierEstimate,
    PastRelapses,
    ReliefThresholds,
    WaningSignal,
)
from afterglow.relief.service import PooledRelief


class OutlookOut(msgspec.Struct):
    """The booster outlook. For a patient reading their own relief, `window` and `explanation`
    are always null: patients never see a booster date (CLINICAL.md §4)."""

    days_since_infusion: float
    status: str
    waning: WaningSignal
    past_relapses: PastRelapses
    own_median_days: float | None
    own_summary: str
    window: BoosterWindow | None
    explanation: str | None

    @classmethod
    def for_viewer(cls, outlook: BoosterOutlook, *, clinician: bool) -> OutlookOut:
        return cls(
            days_since_infusion=outlook.days_since_infusion,
            status=outlook.status,
            waning=outlook.waning,
            past_relapses=outlook.past_relapses,
            own_median_days=outlook.own_median_days,
            own_summary=outlook.own_summary,
            window=outlook.window if clinician else None,
            explanation=outlook.explanation if clinician else None,
        )


class ReliefOut(msgspec.Struct):
    patient_id: int
    generated_at: datetime
    thresholds: ReliefThresholds
    episodes: list[Episode]
    km: KaplanMeierEstimate
    km_summary: str
    outlook: OutlookOut | None


class ClinicReliefOut(msgspec.Struct):
    generated_at: datetime
    thresholds: ReliefThresholds
    overall: PooledRelief
    overall_summary: str
    by_route: list[PooledRelief]
    by_kind: list[PooledRelief]
