"""The demo clinic seeder: idempotent, deterministic, realistic (CLINICAL.md §3) and safe (§5)."""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from afterglow.accounts.models import Clinic, Patient, User
from afterglow.accounts.passwords import verify_password
from afterglow.alerts.models import SafetyAlert
from afterglow.checkins.models import CheckIn
from afterglow.db import create_engine, migrate, session_maker
from afterglow.demo.generator import (
    generate_clinic,
    number_width,
    phq9_answers,
    plan_clinic,
    split_total,
)
from afterglow.demo.seed import DEMO_PASSWORD, DemoSummary, seed_demo_clinic
from afterglow.infusions.models import ClinicalEvent, Infusion
from afterglow.relief import ReliefThresholds
from afterglow.relief.service import pooled_relief
from afterglow.settings import Settings

# A fixed "now" keeps every run identical; the window crosses both daylight-saving changes.
NOW = datetime(2026, 3, 20, 15, 0, tzinfo=UTC)


@dataclass
class Seeded:
    settings: Settings
    summary: DemoSummary


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    """One 24-patient, 270-day demo clinic shared by the read-only tests of this module."""
    settings = Settings.from_env({"AFTERGLOW_DATA_DIR": str(tmp_path_factory.mktemp("demo"))})
    migrate(settings)
    summary = asyncio.run(seed_demo_clinic(settings, now=NOW))
    return Seeded(settings, summary)


@pytest.fixture
async def db(seeded: Seeded) -> AsyncIterator[AsyncSession]:
    engine = create_engine(seeded.settings)
    try:
        async with session_maker(engine)() as session:
            yield session
    finally:
        await engine.dispose()


async def _count(db: AsyncSession, model: type[SQLModel]) -> int:
    return int(await db.scalar(select(func.count()).select_from(model)) or 0)


async def test_seeding_twice_adds_nothing(seeded: Seeded, db: AsyncSession) -> None:
    first = seeded.summary
    assert not first.already_seeded
    again = await seed_demo_clinic(seeded.settings, now=NOW + timedelta(days=1))
    assert again.already_seeded
    assert "already seeded" in again.describe()
    for name in ("patients", "checkins", "infusions", "alerts", "open_alerts", "clinical_events"):
        assert getattr(again, name) == getattr(first, name), name
    assert again.logins == first.logins
    assert await _count(db, Clinic) == 1
    assert await _count(db, Patient) == first.patients == 24
    assert await _count(db, CheckIn) == first.checkins
    assert await _count(db, Infusion) == first.infusions
    assert await _count(db, SafetyAlert) == first.alerts
    assert await _count(db, ClinicalEvent) == first.clinical_events


def test_same_seed_gives_the_same_clinic() -> None:
    first = list(generate_clinic(seed=7, patients=24, days=270, end=NOW))
    second = list(generate_clinic(seed=7, patients=24, days=270, end=NOW))
    other = list(generate_clinic(seed=8, patients=24, days=270, end=NOW))
    assert first == second
    assert first != other
    assert plan_clinic(7, 24) == plan_clinic(7, 24)


async def test_demo_logins_exist_and_sign_in(seeded: Seeded, db: AsyncSession) -> None:
    logins = seeded.summary.logins
    assert logins[:3] == [
        "admin@demo.afterglow.test",
        "clinician@demo.afterglow.test",
        "clinician2@demo.afterglow.test",
    ]
    assert logins[3] == "patient01@demo.afterglow.test"
    assert logins[-1] == "patient24@demo.afterglow.test"
    roles = dict((await db.execute(select(col(User.email), col(User.role)))).all())
    assert roles["admin@demo.afterglow.test"] == "admin"
    assert roles["clinician2@demo.afterglow.test"] == "clinician"
    assert set(logins) == set(roles)

    user = await db.scalar(select(User).where(col(User.email) == "patient07@demo.afterglow.test"))
    assert user is not None and user.role == "patient"
    patient = await db.scalar(select(Patient).where(col(Patient.user_id) == user.id))
    assert patient is not None and "demo" in patient.display_name
    assert await verify_password(user.password_hash, DEMO_PASSWORD)
    assert not await verify_password(user.password_hash, "not-the-demo-password")
    # One shared hash: hashing per account would make a 5000-patient demo take minutes.
    hashes = set((await db.scalars(select(col(User.password_hash)))).all())
    assert len(hashes) == 1


async def test_a_big_clinic_lists_24_patient_logins(tmp_path: Path) -> None:
    settings = Settings.from_env({"AFTERGLOW_DATA_DIR": str(tmp_path)})
    await asyncio.to_thread(migrate, settings)
    summary = await seed_demo_clinic(settings, patients=30, days=40, now=NOW)
    assert len(summary.logins) == 3 + 24 + 1
    assert summary.logins[-1].startswith("... and 6 more patient logins")
    assert summary.patients == 30
    assert number_width(5000) == 4 and number_width(24) == 2


@dataclass
class Course:
    baseline: int
    nadir: int
    responded: bool
    days_to_relapse: float | None


def _induction_outcomes(
    phq9: dict[int, list[tuple[datetime, int]]], infusions: dict[int, list[tuple[datetime, str]]]
) -> dict[int, Course]:
    """Response and time to relapse after each patient's induction course, per CLINICAL.md §2-3."""
    courses = {}
    for patient_id, given in infusions.items():
        induction = [at for at, kind in given if kind == "induction"]
        if len(induction) < 6:
            continue
        first, last = induction[0], induction[-1]
        following = [at for at, _ in given if at > last]
        episode_end = following[0] if following else NOW
        scores = phq9[patient_id]
        before = [s for at, s in scores if first - timedelta(days=14) <= at <= first]
        window = [
            (at, s) for at, s in scores if last < at <= min(last + timedelta(days=14), episode_end)
        ]
        if not before or not window:
            continue  # unassessed
        baseline = before[-1]
        nadir_at, nadir = min(window, key=lambda point: point[1])
        responded = nadir <= 0.5 * baseline and baseline - nadir >= 5
        relapse = next(
            (
                (at - last).total_seconds() / 86400
                for at, s in scores
                if nadir_at < at < episode_end and s > 0.5 * baseline and s >= 10
            ),
            None,
        )
        courses[patient_id] = Course(baseline, nadir, responded, relapse if responded else None)
    return courses


async def test_induction_response_and_relief_look_like_the_literature(db: AsyncSession) -> None:
    phq9: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    rows = await db.execute(
        select(col(CheckIn.patient_id), col(CheckIn.taken_at), col(CheckIn.score))
        .where(col(CheckIn.instrument) == "phq9")
        .order_by(col(CheckIn.taken_at))
    )
    for patient_id, taken_at, score in rows:
        phq9[patient_id].append((taken_at, score or 0))
    infusions: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    rows_inf = await db.execute(
        select(col(Infusion.patient_id), col(Infusion.given_at), col(Infusion.kind)).order_by(
            col(Infusion.given_at)
        )
    )
    for patient_id, given_at, kind in rows_inf:
        infusions[patient_id].append((given_at, kind))

    courses = _induction_outcomes(phq9, infusions)
    assert len(courses) >= 20, "most patients have an assessed induction course"
    assert all(c.baseline >= 10 for c in courses.values())
    response_rate = sum(c.responded for c in courses.values()) / len(courses)
    assert 0.55 <= response_rate <= 0.85
    relapses = [c.days_to_relapse for c in courses.values() if c.days_to_relapse is not None]
    assert len(relapses) >= 5
    assert 10 <= statistics.median(relapses) <= 35


async def test_item9_answers_raise_alerts_and_a_recent_one_is_open(db: AsyncSession) -> None:
    flagged = (
        await db.execute(select(col(CheckIn.id), col(CheckIn.item9)).where(col(CheckIn.item9) >= 1))
    ).all()
    alerts = (await db.scalars(select(SafetyAlert))).all()
    assert 1 <= len(alerts) <= 10
    assert {a.checkin_id: a.item9 for a in alerts} == dict(flagged)
    clinicians = set(
        (await db.scalars(select(col(User.id)).where(col(User.role) == "clinician"))).all()
    )
    open_alerts = [a for a in alerts if a.status == "open"]
    assert 1 <= len(open_alerts) <= 3
    for alert in alerts:
        assert alert.level == ("urgent" if alert.item9 >= 2 else "warning")
        window = timedelta(hours=1 if alert.level == "urgent" else 4)
        assert alert.escalate_at == alert.created_at + window
        if alert.status == "open":
            assert NOW - alert.created_at < timedelta(days=4)
            assert alert.acknowledged_at is None and alert.ack_note is None
        else:
            assert alert.status == "acknowledged"
            assert alert.acknowledged_by in clinicians
            assert alert.acknowledged_at is not None and alert.acknowledged_at > alert.created_at
            assert alert.ack_note


async def test_nothing_is_in_the_future(db: AsyncSession) -> None:
    checks: list[tuple[type[SQLModel], Any]] = [
        (Clinic, Clinic.created_at),
        (User, User.created_at),
        (Patient, Patient.created_at),
        (CheckIn, CheckIn.taken_at),
        (CheckIn, CheckIn.received_at),
        (Infusion, Infusion.given_at),
        (Infusion, Infusion.updated_at),
        (ClinicalEvent, ClinicalEvent.created_at),
        (SafetyAlert, SafetyAlert.escalate_at),
        (SafetyAlert, SafetyAlert.escalated_at),
        (SafetyAlert, SafetyAlert.acknowledged_at),
    ]
    for model, column in checks:
        latest = await db.scalar(select(func.max(col(column))).select_from(model))
        assert latest is None or latest < NOW, f"{model.__name__}.{column.key} {latest}"


async def test_every_phq9_is_a_valid_answer_set(db: AsyncSession) -> None:
    rows = await db.execute(
        select(
            col(CheckIn.answers), col(CheckIn.score), col(CheckIn.item9), col(CheckIn.source)
        ).where(col(CheckIn.instrument) == "phq9")
    )
    count = 0
    for answers, score, item9, source in rows:
        count += 1
        assert len(answers) == 10
        assert all(isinstance(a, int) and 0 <= a <= 3 for a in answers)
        assert score == sum(answers[:9])
        assert item9 == answers[8]
        assert source == "demo"
    assert count > 24 * 10


def test_answers_add_up_to_the_intended_total() -> None:
    rng = random.Random(1)
    for total in range(25):
        for _ in range(20):
            answers = phq9_answers(rng, total)
            assert sum(answers[:9]) == total and answers[8] == 0 and len(answers) == 10
            assert all(0 <= a <= 3 for a in answers)
    for total in (1, 14, 27):
        answers = phq9_answers(rng, total, item9=min(total, 3))
        assert sum(answers[:9]) == total and answers[8] == min(total, 3)
    assert sum(split_total(rng, 21, [1.0] * 7)) == 21
    with pytest.raises(ValueError):
        split_total(rng, 22, [1.0] * 7)


def _all_times(histories: Iterator[Any]) -> Iterator[datetime]:
    for history in histories:
        yield history.profile.enrolled_at
        yield from (c.taken_at for c in history.checkins)
        yield from (i.given_at for i in history.infusions)
        yield from (e.occurred_at for e in history.events)


def test_generator_handles_a_large_clinic_quickly() -> None:
    started = time.perf_counter()
    patients = checkins = infusions = 0
    for history in generate_clinic(seed=3, patients=500, days=365, end=NOW):
        patients += 1
        checkins += len(history.checkins)
        infusions += len(history.infusions)
        assert all(c.taken_at < NOW for c in history.checkins)
    assert patients == 500
    assert checkins > 500 * 100
    assert infusions >= 500 * 5
    assert time.perf_counter() - started < 15
    assert max(_all_times(generate_clinic(seed=3, patients=20, days=10, end=NOW))) < NOW


async def test_the_demo_clinics_relief_looks_like_the_reference_figures(db: AsyncSession) -> None:
    """CLINICAL.md §3: about 70% of patients respond to induction; relief fades over weeks.

    Checked through the product's own analysis (the stored episodes and pooled Kaplan-Meier a
    clinician sees at /api/clinic/relief), not the generator's intentions.
    """
    clinic_id = await db.scalar(select(col(Clinic.id)))
    assert clinic_id is not None
    thresholds = ReliefThresholds()
    induction = await pooled_relief(db, clinic_id, thresholds, kind="induction")
    assert induction.response_rate is not None and 0.5 <= induction.response_rate <= 0.9
    overall = await pooled_relief(db, clinic_id, thresholds)
    assert overall.km.events >= 3
    assert overall.km.median is not None and 7 <= overall.km.median <= 45
    four_weeks = overall.km.survival_at(28)
    assert 0.2 <= four_weeks <= 0.8


async def test_the_demo_inbox_asks_review_only_of_scores_from_the_last_two_days(
    db: AsyncSession,
) -> None:
    from afterglow.relief.models import PatientSummary

    since = NOW - timedelta(days=2)
    recent_scores = set(
        (
            await db.scalars(
                select(col(CheckIn.patient_id)).where(
                    col(CheckIn.instrument).in_(("phq9", "gad7")), col(CheckIn.taken_at) >= since
                )
            )
        ).all()
    )
    awaiting = set(
        (
            await db.scalars(
                select(col(PatientSummary.patient_id)).where(
                    col(PatientSummary.nothing_to_review).is_(False)
                )
            )
        ).all()
    )
    patients = await _count(db, Patient)
    # Exactly those with a PHQ-9 or GAD-7 since then wait for review: a few, not the clinic.
    assert awaiting == recent_scores
    assert 0 < len(awaiting) < patients / 2
