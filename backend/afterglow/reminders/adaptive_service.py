"""Adaptive check-ins around the database: what the tick loads for them, the patient's snooze,
and the extra PHQ-9 the patient app explains (the rules themselves are in adaptive.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import cast

import msgspec
from sqlalchemy import Text, select
from sqlalchemy import cast as cast_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.accounts.clinic_settings import clinic_settings
from afterglow.accounts.models import Clinic, Patient
from afterglow.derived import changed
from afterglow.infusions.models import Infusion
from afterglow.push.outbox import among
from afterglow.relief.episodes import DAY, Episode, confirmation_due
from afterglow.relief.facts import ReliefThresholds
from afterglow.relief.models import PatientSummary
from afterglow.relief.service import thresholds_of_stored
from afterglow.reminders import schemas
from afterglow.reminders.adaptive import BOOSTER_KINDS, SNOOZE, AdaptiveFacts
from afterglow.reminders.models import ReminderPlan
from afterglow.reminders.schedule import InfusionAnchor, Slot

# The longest nadir window a clinic may set (ReliefThresholds.nadir_window_days).
_LONGEST_NADIR_WINDOW = timedelta(days=90)
_EPISODES = msgspec.json.Decoder(list[Episode])


@lru_cache(maxsize=256)
def adaptive_checkins_on(settings_text: str) -> bool:
    """The clinic's switch, from its stored settings (JSON text), parsed once per distinct text."""
    return clinic_settings(json.loads(settings_text)).adaptive_checkins


async def load_adaptive_facts(
    db: AsyncSession, patient_ids: Sequence[int], now: datetime
) -> dict[int, AdaptiveFacts]:
    """What the adaptive prompts need of each patient, in three queries however many patients.

    The relief facts come from the stored derived state (the triage summary and its episodes),
    never worked out again here: a confirmation awaited is read off the current episode only for
    patients whose PHQ-9s show one (`phq9_status` waning), the one status that can hold one.
    """
    dialect = db.get_bind().dialect.name
    rows = (
        await db.execute(
            select(
                col(Patient.id),
                cast_(col(Clinic.settings), Text),
                col(PatientSummary.phq9_status),
                col(ReminderPlan.adaptive_snoozed_until),
            )
            .join(Clinic, col(Clinic.id) == col(Patient.clinic_id))
            .outerjoin(PatientSummary, col(PatientSummary.patient_id) == col(Patient.id))
            .outerjoin(ReminderPlan, col(ReminderPlan.patient_id) == col(Patient.id))
            .where(among(col(Patient.id), patient_ids, dialect))
        )
    ).all()
    awaiting = [cast(int, row[0]) for row in rows if row[2] == "waning"]
    episodes: dict[int, list[Episode]] = {}
    if awaiting:
        for patient_id, stored in await db.execute(
            select(col(PatientSummary.patient_id), cast_(col(PatientSummary.episodes), Text)).where(
                among(col(PatientSummary.patient_id), awaiting, dialect)
            )
        ):
            episodes[patient_id] = _EPISODES.decode(stored)
    latest: dict[int, InfusionAnchor] = {}
    kinds: dict[int, str] = {}
    for patient_id, infusion_id, given_at, kind in await db.execute(
        select(
            col(Infusion.patient_id), col(Infusion.id), col(Infusion.given_at), col(Infusion.kind)
        )
        .where(
            among(col(Infusion.patient_id), patient_ids, dialect),
            col(Infusion.deleted_at).is_(None),
            col(Infusion.given_at) > now - _LONGEST_NADIR_WINDOW,
            col(Infusion.given_at) <= now,
        )
        .order_by(col(Infusion.given_at), col(Infusion.id))
    ):
        latest[patient_id] = InfusionAnchor(cast(int, infusion_id), given_at)
        kinds[patient_id] = kind
    facts = {}
    for row_id, settings_text, _, snoozed_until in rows:
        patient_id = cast(int, row_id)
        thresholds = thresholds_of_stored(settings_text)
        window = thresholds.nadir_window_days * DAY
        booster = latest.get(patient_id)
        if booster is not None and (
            kinds[patient_id] not in BOOSTER_KINDS or booster.given_at <= now - window
        ):
            booster = None
        facts[patient_id] = AdaptiveFacts(
            on=adaptive_checkins_on(settings_text),
            snoozed_until=snoozed_until if snoozed_until and snoozed_until > now else None,
            confirm_from=_confirm_from(episodes.get(patient_id), thresholds),
            booster=booster,
            nadir_window=window,
        )
    return facts


def _confirm_from(episodes: list[Episode] | None, thresholds: ReliefThresholds) -> datetime | None:
    if not episodes or episodes[-1].ended_by is not None:
        return None
    return confirmation_due(episodes[-1], thresholds)


async def snooze_extra_checkins(
    db: AsyncSession, plan: ReminderPlan, now: datetime, *, snooze: bool
) -> None:
    """The patient pauses the extra PHQ-9s for a week (or resumes them); the weekly one stays."""
    plan.adaptive_snoozed_until = now + SNOOZE if snooze else None
    plan.updated_at = now
    changed(db, plan.patient_id, "reminders", now)


def extra_checkins_out(facts: AdaptiveFacts, asking: Slot | None) -> schemas.ExtraCheckins:
    """The adaptive prompts as the patient app shows them: the clinic's switch, the snooze, and
    the extra PHQ-9 asked now or next (`planning.extra_asked`), whose reason the app explains."""
    return schemas.ExtraCheckins(
        on_at_clinic=facts.on,
        snoozed_until=facts.snoozed_until,
        asking=(
            schemas.ExtraCheckin(
                kind=asking.kind.value, fire_at=asking.fire_at, expires_at=asking.expires_at
            )
            if asking is not None
            else None
        ),
    )
