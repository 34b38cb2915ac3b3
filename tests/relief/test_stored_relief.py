"""The relief view serves stored episodes: read back, they are exactly the episodes derived."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

import msgspec

from afterglow.checkins.models import CheckIn
from afterglow.checkins.rows import checkin_row
from afterglow.demo.generator import phq9_answers
from afterglow.infusions.models import ClinicalEvent, Infusion
from afterglow.instruments.scoring import score_answers
from afterglow.relief.episodes import Episode
from afterglow.relief.models import PatientSummary
from afterglow.relief.service import (
    clinic_thresholds,
    moods_since,
    refresh_patient_relief,
    relief_now,
)
from afterglow.relief.summary import as_of
from conftest import NOW, World


def _a_year_of_boosters(
    rng: random.Random,
) -> tuple[list[tuple[float, str, str]], list[tuple[float, int, int]]]:
    """Infusions (day, route, kind) and PHQ-9s (day, total, item 9), in days before NOW: an
    induction course, then boosters after relapse or on schedule, weekly PHQ-9s between."""
    infusions = [(-360 + 3.5 * n, "iv", "induction") for n in range(6)]
    phq9s = [(-362.0, 21, 0)]
    day, level = infusions[-1][0], 20.0
    while day < -20:
        relief = rng.uniform(12, 45)
        nadir = rng.uniform(2, 8)
        for week in range(1, int(relief // 7) + 3):
            t = day + 7 * week - rng.uniform(0, 1)
            if t >= -1:
                break
            wearing = max(0.0, (7 * week - 0.7 * relief) / (0.6 * relief))
            level = nadir + (17 - nadir) * min(1.0, wearing)
            total = min(24, max(0, round(level + rng.gauss(0, 1))))
            phq9s.append((t, total, 1 if total >= 15 and rng.random() < 0.2 else 0))
        day += relief + rng.uniform(3, 9)
        route = rng.choice(("iv", "iv", "im", "intranasal"))
        kind = "scheduled_booster" if rng.random() < 0.4 else "symptom_triggered_booster"
        if day < -1:
            infusions.append((day, route, kind))
    return infusions, phq9s


async def test_the_stored_episodes_read_back_equal_the_episodes_derived(db, world: World):
    patient_id = world.patient_a1.id or 0
    infusions, phq9s = _a_year_of_boosters(random.Random("stored relief"))

    def at(day: float) -> datetime:
        return NOW + timedelta(days=day)

    db.add_all(
        Infusion(
            patient_id=patient_id,
            given_at=at(day),
            route=route,
            kind=kind,
            created_at=at(day),
            updated_at=at(day),
        )
        for day, route, kind in infusions
    )
    db.add(
        ClinicalEvent(
            patient_id=patient_id,
            kind="medication_change",
            occurred_at=at(-200.4),
            created_at=at(-200),
        )
    )
    answers_rng = random.Random(7)
    for day, total, item9 in phq9s:
        key = str(uuid.uuid4())
        scored = score_answers("phq9", phq9_answers(answers_rng, total, item9))
        db.add(
            CheckIn(
                **checkin_row(
                    patient_id,
                    scored,
                    taken_at=at(day),
                    received_at=at(day),
                    note=None,
                    idempotency_key=key,
                    request_hash=key,
                    source="import",
                )
            )
        )
    for day in range(-30, 0):
        key = str(uuid.uuid4())
        scored = score_answers("mood", (answers_rng.randint(3, 8),))
        db.add(
            CheckIn(
                **checkin_row(
                    patient_id,
                    scored,
                    taken_at=at(day + 0.8),
                    received_at=at(day + 0.8),
                    note=None,
                    idempotency_key=key,
                    request_hash=key,
                    source="import",
                )
            )
        )
    await db.flush()
    derived = await refresh_patient_relief(db, patient_id, NOW)
    await db.commit()

    thresholds = await clinic_thresholds(db, world.clinic_a.id or 0)
    relief = await relief_now(db, patient_id, NOW, thresholds)
    stored = (await db.get(PatientSummary, patient_id)).episodes

    outcomes = {e.outcome for e in derived}
    assert len(derived) >= 8 and {"relapsed", "censored"} <= outcomes, outcomes
    assert derived[-1].ended_by is None  # a current episode, whose end moves with the clock
    assert any(e.relapse_interval for e in derived) and any(e.points for e in derived)
    assert relief.episodes == as_of(derived, NOW)
    assert relief.episodes == as_of(msgspec.convert(stored, list[Episode]), NOW)
    moods = await moods_since(db, patient_id, relief.episodes[-1].start)
    assert [m.taken_at for m in moods] == sorted(m.taken_at for m in moods)
    assert moods and all(m.taken_at >= relief.episodes[-1].start for m in moods)
