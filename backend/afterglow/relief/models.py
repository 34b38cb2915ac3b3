"""Stored survival pairs of every patient's relief episodes, for the clinic's pooled estimates.

Rewritten for a patient in the same transaction as any write that can change their episodes
(derived.updater, before commit), so pooled Kaplan-Meier is one indexed query instead of
re-analysing every patient per request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel


class ReliefEpisode(SQLModel, table=True):
    __tablename__ = "relief_episode"
    __table_args__ = (Index("ix_relief_episode_clinic_route_kind", "clinic_id", "route", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    clinic_id: int = Field(foreign_key="clinic.id")
    patient_id: int = Field(foreign_key="patient.id", index=True)
    start: datetime
    route: str = Field(max_length=16)
    kind: str = Field(max_length=32)
    outcome: str = Field(max_length=16)
    remitted: bool
    duration_days: float | None = None
    event: bool


class PatientSummary(SQLModel, table=True):
    """What the triage list shows of each patient, kept current by derived.updater.

    `urgency_tier` orders the list (0 open safety alert, 1 relapsed, 2 waning, 3 everyone else);
    within a tier the alert nearest its escalation comes first (`alert_due_at`), then patients
    with a PHQ-9 or GAD-7 no clinician has reviewed (`nothing_to_review` false), then the longest
    without a check-in (`activity_at`), so patients silent for days rise above those who checked
    in today. All are in one index with the clinic and `active`, so the first page, and the
    counts, cost the same in a clinic of 500 patients as in one of 5,000 (relief.triage).
    """

    __tablename__ = "patient_summary"
    __table_args__ = (
        Index(
            "ix_patient_summary_triage",
            "clinic_id",
            "active",
            "urgency_tier",
            "alert_due_at",
            "nothing_to_review",
            "activity_at",
            "patient_id",
        ),
        # Finding stale rows on every read (relief.service.stale_patients) without a scan.
        Index("ix_patient_summary_derived_with", "clinic_id", "derived_with"),
        Index("ix_patient_summary_rederive_after", "clinic_id", "rederive_after"),
    )

    patient_id: int = Field(foreign_key="patient.id", primary_key=True)
    clinic_id: int = Field(foreign_key="clinic.id")
    latest_phq9_score: int | None = None
    latest_phq9_band: str | None = Field(default=None, max_length=32)
    latest_phq9_at: datetime | None = None
    baseline_score: int | None = None
    last_infusion_at: datetime | None = None
    # Status from the PHQ-9s alone, and the infusion that started the current episode: what a
    # mood check-in needs to re-judge "waning" without re-reading the whole history.
    phq9_status: str = Field(default="none", max_length=16)
    relief_status: str = Field(default="none", max_length=16)
    open_alerts: int = 0
    last_checkin_at: datetime | None = None
    activity_at: datetime
    urgency_tier: int = 3
    # Triage (relief.triage): whether the patient is listed at all (a copy of Patient.is_active,
    # so the list and its counts need not join every patient), when the earliest open safety
    # alert escalates, and whether every PHQ-9 and GAD-7 has been reviewed. `reviewed_through`
    # (the newest such check-in a clinician marked reviewed) and `reviewed_at` are what the
    # clinician did; nothing re-derives them.
    active: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    alert_due_at: datetime | None = None
    nothing_to_review: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    reviewed_through: int | None = None
    reviewed_at: datetime | None = None
    # PHQ-9 scores of the last 90 days as [epoch seconds, score], for the triage sparkline.
    phq9_recent: list[list[int]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    # The booster window from the patient's own relapses (days since the infusion), or whether
    # it comes from the clinic's pooled estimate instead (worked out when the list is read).
    window_start_day: float | None = None
    window_end_day: float | None = None
    window_from_clinic: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    # Time alone changes two things, stored as the instants they change so that nothing has to
    # write when they pass: the status turns "no recent data" at `stale_after` (CLINICAL.md §4;
    # see relief.summary.recent_until), and an ongoing episode turns censored after
    # `rederive_after` (re-derived on read and by the background job).
    stale_after: datetime | None = None
    rederive_after: datetime | None = None
    # What the row was derived with (analysis version and the clinic's thresholds): a row whose
    # fingerprint is not the clinic's current one is stale, re-derived on read and in the
    # background instead of served (relief.service.derivation_fingerprint).
    derived_with: str | None = Field(default=None, max_length=32)
    # The patient's episodes as last derived (the relief view reads them instead of re-analysing
    # years of check-ins on every request).
    episodes: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    updated_at: datetime
