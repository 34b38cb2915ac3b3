"""Response shapes of the workspace's reads (the analysis dataclasses serialise as they are)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from afterglow.checkins.schemas import CheckinOut
from afterglow.infusions.schemas import EventOut, InfusionOut
from afterglow.journal.schemas import SharedJournalEntryOut
from afterglow.relief import KaplanMeierEstimate
from afterglow.relief.schemas import ClinicReliefOut, ReliefOut
from afterglow.trends.changes import ReliableChange


class TimelinePatient(msgspec.Struct):
    id: int
    display_name: str
    timezone: str
    locale: str
    pain_enabled: bool
    is_active: bool
    enrolled: bool  # has opened their enrollment link and set a password
    created_at: datetime


class SeverityBand(msgspec.Struct):
    low: int
    high: int
    id: str
    label: str


class ItemText(msgspec.Struct):
    id: str
    text: str


class Scale(msgspec.Struct):
    """How an instrument is charted: its range, severity bands and item wording."""

    id: str
    name: str
    low: int
    high: int
    bands: list[SeverityBand]
    items: list[ItemText]


class AlertMark(msgspec.Struct):
    """A safety alert (PHQ-9 item 9) as the timeline marks it."""

    id: int
    checkin_id: int
    created_at: datetime
    item9: int
    level: str
    status: str
    escalated_at: datetime | None
    acknowledged_at: datetime | None


class TimelineOut(msgspec.Struct):
    """Everything the patient screen and the printable summary show, from one audited read."""

    generated_at: datetime
    patient: TimelinePatient
    status: str
    checkins: list[CheckinOut]
    infusions: list[InfusionOut]
    events: list[EventOut]
    alerts: list[AlertMark]
    relief: ReliefOut
    clinic_km: KaplanMeierEstimate
    clinic_km_summary: str
    scales: list[Scale]
    attribution: str
    # Reliable change (CLINICAL.md §2) by instrument, phq9 and gad7: where each episode first
    # reached one (trends.changes, the rule the patient's chart words come from too).
    reliable_changes: dict[str, list[ReliableChange]] = msgspec.field(default_factory=dict)
    # The journal entries the patient shares with the clinic now (private ones never come here).
    journal: list[SharedJournalEntryOut] = msgspec.field(default_factory=list)


class Spread(msgspec.Struct):
    """Days between an infusion and the booster after it: how many, and their quartiles."""

    count: int
    median: float | None
    lower_quartile: float | None
    upper_quartile: float | None


class BoosterSpacing(msgspec.Struct):
    kind: str  # "all", or the booster's kind
    days: Spread


class Completion(msgspec.Struct):
    """Check-ins answered against those asked for, over the last `days` days."""

    days: int
    patients: int  # enrolled, active patients counted
    mood_days_answered: int
    mood_days_expected: int
    mood_rate: float | None
    phq9_weeks_answered: int
    phq9_weeks_expected: int
    phq9_rate: float | None
    patients_mostly_answering: int  # answered daily mood on at least 80% of their days


class ClinicOutcomesOut(msgspec.Struct):
    generated_at: datetime
    relief: ClinicReliefOut
    booster_spacing: list[BoosterSpacing]
    completion: Completion
