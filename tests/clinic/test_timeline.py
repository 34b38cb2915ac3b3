"""The patient timeline: everything the patient screen shows, in one audited read."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from afterglow.audit.models import AuditEvent
from conftest import ClientFactory, World

NOW = datetime.now(UTC).replace(microsecond=0)


def day(n: float) -> str:
    return (NOW + timedelta(days=n)).isoformat()


def phq9(total: int, when: str, item9: int = 0) -> dict:
    rest = total - item9
    answers = [3] * (rest // 3) + ([rest % 3] if rest % 3 else [])
    answers += [0] * (8 - len(answers))
    return {"instrument": "phq9", "answers": [*answers, item9], "taken_at": when}


def a_treated_patient() -> dict:
    """Baseline 20, an IV induction course ending day -48, relief to day -33, a booster on -26."""
    return {
        "infusions": [
            {"given_at": day(d), "route": "iv", "kind": "induction", "dose_mg_per_kg": 0.5}
            for d in (-58, -56, -54, -52, -50, -48)
        ]
        + [
            {
                "given_at": day(-26),
                "route": "im",
                "kind": "symptom_triggered_booster",
                "dose_mg": 50,
            }
        ],
        "checkins": [
            phq9(20, day(-60)),
            phq9(5, day(-41)),
            phq9(14, day(-33)),
            phq9(16, day(-29)),
            phq9(6, day(-20)),
            phq9(7, day(-1), item9=1),
            {"instrument": "gad7", "answers": [2, 2, 1, 1, 1, 1, 1], "taken_at": day(-20)},
        ]
        + [{"instrument": "mood", "answers": [6]} | {"taken_at": day(-d)} for d in range(1, 40)],
        "events": [{"kind": "medication_change", "at": day(-10)}],
    }


async def audit_rows(db: AsyncSession, patient_id: int | None) -> list[str]:
    await db.rollback()  # a new snapshot: see what the app committed since
    rows = await db.execute(select(AuditEvent.action).where(AuditEvent.patient_id == patient_id))
    return list(rows.scalars())


async def test_a_clinician_gets_the_whole_timeline_in_one_audited_read(
    make_client: ClientFactory, world: World, db: AsyncSession
):
    clinician = await make_client("doc@a.test")
    patient_id = world.patient_a1.id
    imported = await clinician.post(f"/api/patients/{patient_id}/history", json=a_treated_patient())
    assert imported.status_code == 200, imported.text
    before = await audit_rows(db, patient_id)

    response = await clinician.get(f"/api/patients/{patient_id}/timeline")

    assert response.status_code == 200, response.text
    timeline = response.json()
    assert timeline["patient"]["display_name"] == "Patient A1"
    by_instrument = {
        i: [c for c in timeline["checkins"] if c["instrument"] == i]
        for i in ("phq9", "gad7", "mood")
    }
    assert [c["score"] for c in by_instrument["phq9"]] == [20, 5, 14, 16, 6, 7]
    assert by_instrument["phq9"][-1]["answers"][8] == 1
    assert len(by_instrument["mood"]) == 39 and by_instrument["gad7"][0]["score"] == 9
    assert [(i["route"], i["kind"]) for i in timeline["infusions"]][-1] == (
        "im",
        "symptom_triggered_booster",
    )
    assert timeline["infusions"][0]["dose_mg_per_kg"] == 0.5
    assert [e["kind"] for e in timeline["events"]] == ["medication_change"]
    assert [(a["item9"], a["level"], a["status"]) for a in timeline["alerts"]] == [
        (1, "warning", "open")
    ]
    first, current = timeline["relief"]["episodes"]
    assert (first["outcome"], first["baseline"], first["nadir_score"]) == ("relapsed", 20, 5)
    assert (current["kind"], current["outcome"]) == ("symptom_triggered_booster", "censored")
    assert timeline["relief"]["outlook"]["days_since_infusion"] > 25
    assert timeline["clinic_km"]["n"] == 2 and "1 relapse" in timeline["clinic_km_summary"]
    scales = {s["id"]: s for s in timeline["scales"]}
    assert [b["low"] for b in scales["phq9"]["bands"]] == [0, 5, 10, 15, 20]
    assert [b["low"] for b in scales["gad7"]["bands"]] == [0, 5, 10, 15]
    assert scales["phq9"]["items"][8]["text"].startswith("Thoughts that you would be better off")
    assert "Spitzer" in timeline["attribution"]
    assert (await audit_rows(db, patient_id))[len(before) :] == ["timeline.read"]


async def test_the_timeline_is_for_the_patients_own_clinicians_only(
    make_client: ClientFactory, world: World, db: AsyncSession
):
    path = f"/api/patients/{world.patient_a1.id}/timeline"
    other_clinic = await (await make_client("doc@b.test")).get(path)
    admin = await (await make_client("admin@a.test")).get(path)
    patient = await (await make_client("p1@a.test")).get(path)

    assert other_clinic.status_code == 404
    assert admin.status_code == 403 and patient.status_code == 403
    assert await audit_rows(db, world.patient_a1.id) == []


async def test_a_patient_with_nothing_yet_has_an_empty_timeline(
    make_client: ClientFactory, world: World
):
    clinician = await make_client("doc@a.test")

    timeline = (await clinician.get(f"/api/patients/{world.patient_a2.id}/timeline")).json()

    assert timeline["checkins"] == [] and timeline["infusions"] == []
    assert timeline["relief"]["episodes"] == [] and timeline["status"] == "none"
