"""The clinic page's figures: pooled relief, days between boosters, check-in completion."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from afterglow.audit.models import AuditEvent
from afterglow.clinic.outcomes import GivenInfusion, PatientAnswers, booster_spacing, completion
from afterglow.clock import SetClock
from conftest import NOW as ENROLLED
from conftest import ClientFactory, World

NOW = ENROLLED + timedelta(days=40, hours=3)  # the patients of `world` joined 40 days ago
T0 = datetime(2026, 1, 1, 9, tzinfo=UTC)


def day(n: float) -> str:
    return (NOW + timedelta(days=n)).isoformat()


def test_days_between_boosters_count_from_the_infusion_before_each_booster():
    at = lambda d: T0 + timedelta(days=d)  # noqa: E731
    infusions = [
        GivenInfusion(1, at(0), "induction"),
        GivenInfusion(1, at(3), "induction"),
        GivenInfusion(1, at(24), "symptom_triggered_booster"),
        GivenInfusion(1, at(66), "scheduled_booster"),
        GivenInfusion(1, at(200), "induction"),  # a new course: not a booster
        GivenInfusion(2, at(10), "scheduled_booster"),  # the first infusion on record
        GivenInfusion(2, at(40), "scheduled_booster"),
    ]

    every, scheduled, triggered = booster_spacing(infusions)

    assert (every.kind, every.days.count, every.days.median) == ("all", 3, 30)
    assert (scheduled.days.count, scheduled.days.lower_quartile) == (2, 33)
    assert (triggered.days.count, triggered.days.median) == (1, 21)


def test_completion_counts_each_patient_from_the_window_start_or_their_enrollment():
    now = T0 + timedelta(days=28)
    steady = PatientAnswers(T0, 28, [now - timedelta(days=d) for d in (1, 8, 15, 22)])
    new = PatientAnswers(now - timedelta(days=7), 3, [])

    figures = completion([steady, new], now, 28)

    assert (figures.patients, figures.mood_days_answered, figures.mood_days_expected) == (
        2,
        31,
        35,
    )
    assert (figures.phq9_weeks_answered, figures.phq9_weeks_expected) == (4, 5)
    assert figures.patients_mostly_answering == 1


async def test_the_clinic_page_reads_its_own_clinic_with_one_audit_row(
    make_client: ClientFactory, world: World, db: AsyncSession, app_clock: SetClock
):
    app_clock.set(NOW)
    clinician = await make_client("doc@a.test")
    records = {
        "infusions": [
            {"given_at": day(d), "route": "iv", "kind": "induction"}
            for d in (-58, -56, -54, -52, -50, -48)
        ]
        + [{"given_at": day(-20), "route": "intranasal", "kind": "scheduled_booster"}],
        "checkins": [
            {"instrument": "phq9", "answers": a, "taken_at": day(d)}
            for a, d in (
                ([3, 3, 3, 3, 3, 3, 2, 0, 0], -60),
                ([1, 1, 1, 1, 0, 0, 0, 0, 0], -41),
                ([1, 1, 1, 1, 0, 0, 0, 0, 0], -34),
                ([1, 0, 1, 1, 0, 0, 0, 0, 0], -5),
            )
        ]
        + [{"instrument": "mood", "answers": [7], "taken_at": day(-d - 0.1)} for d in range(14)],
    }
    imported = await clinician.post(f"/api/patients/{world.patient_a1.id}/history", json=records)
    assert imported.status_code == 200, imported.text
    await db.rollback()
    audited_before = (await db.execute(select(AuditEvent.action))).scalars().all()

    response = await clinician.get("/api/clinic/outcomes")

    assert response.status_code == 200, response.text
    outcomes = response.json()
    relief = outcomes["relief"]
    assert (relief["overall"]["episodes"], relief["overall"]["responding"]) == (2, 1)
    assert {r["route"] for r in relief["by_route"]} == {"iv", "intranasal"}
    every = outcomes["booster_spacing"][0]
    assert (every["kind"], every["days"]["count"], round(every["days"]["median"])) == ("all", 1, 28)
    done = outcomes["completion"]
    assert done["patients"] == 2  # A1 and A2 are enrolled; B1 is another clinic's
    assert (done["mood_days_answered"], done["mood_days_expected"]) == (14, 2 * 28)
    assert (done["phq9_weeks_answered"], done["phq9_weeks_expected"]) == (1, 2 * 4)
    await db.rollback()
    audited = (await db.execute(select(AuditEvent.action))).scalars().all()
    assert audited[len(audited_before) :] == ["clinic.outcomes.read"]
    other = (await (await make_client("doc@b.test")).get("/api/clinic/outcomes")).json()
    assert other["relief"]["overall"]["episodes"] == 0 and other["completion"]["patients"] == 1
    patient = await (await make_client("p1@a.test")).get("/api/clinic/outcomes")
    assert patient.status_code == 403
