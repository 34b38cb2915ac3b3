"""The relief API: one patient's episodes and outlook, and the clinic's pooled estimates."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from afterglow.audit.models import AuditEvent
from afterglow.relief.models import PatientSummary
from afterglow.relief.service import refresh_patient_relief
from conftest import World, checkin_key

NOW = datetime.now(UTC).replace(microsecond=0)


def day(n: float) -> str:
    return (NOW + timedelta(days=n)).isoformat()


def phq9(total: int, when: str) -> dict:
    answers = [3] * (total // 3) + ([total % 3] if total % 3 else [])
    return {"instrument": "phq9", "answers": answers + [0] * (9 - len(answers)), "taken_at": when}


def induction_then_relapse() -> dict:
    """Baseline 20; six IV infusions ending day -48; nadir 5 on day -41; relapse 14 on -33, confirmed 16 on -29."""
    return {
        "infusions": [
            {"given_at": day(d), "route": "iv", "kind": "induction", "dose_mg_per_kg": 0.5}
            for d in (-58, -56, -54, -52, -50, -48)
        ],
        "checkins": [
            phq9(20, day(-60)),
            phq9(6, day(-45)),
            phq9(5, day(-41)),
            phq9(8, day(-37)),
            phq9(14, day(-33)),
            phq9(16, day(-29)),
        ],
    }


async def test_a_clinician_sees_the_relapse_day_the_points_and_the_outlook(
    make_client, world: World, db
):
    clinician = await make_client("doc@a.test")
    imported = await clinician.post(
        f"/api/patients/{world.patient_a1.id}/history", json=induction_then_relapse()
    )
    assert imported.status_code == 200, imported.text
    relief = (await clinician.get(f"/api/patients/{world.patient_a1.id}/relief")).json()
    [episode] = relief["episodes"]
    assert (episode["baseline"], episode["nadir_score"], episode["outcome"]) == (20, 5, "relapsed")
    assert round(episode["relapse_day"]) == 15 and episode["event"] is True
    assert episode["relapse_reason"] == "confirmed"
    assert len(episode["infusion_ids"]) == 6
    assert [p["score"] for p in episode["points"]] == [6, 5, 8, 14, 16]
    assert relief["km"]["events"] == 1 and relief["km"]["median_shown"] is False
    assert "1 relapse so far" in relief["km_summary"]
    assert relief["thresholds"]["response_fraction"] == 0.5
    assert relief["outlook"]["status"] == "relapsed"
    assert relief["outlook"]["explanation"]
    audit = (
        (
            await db.execute(
                select(AuditEvent.action).where(AuditEvent.patient_id == world.patient_a1.id)
            )
        )
        .scalars()
        .all()
    )
    assert "relief.read" in audit


async def test_a_patient_sees_their_own_relief_but_never_a_booster_window(
    make_client, world: World
):
    clinician = await make_client("doc@a.test")
    records = induction_then_relapse()
    records["checkins"] = records["checkins"][:3]  # still holding: nadir 5, no relapse yet
    await clinician.post(f"/api/patients/{world.patient_a1.id}/history", json=records)
    patient = await make_client("p1@a.test")
    mine = (await patient.get(f"/api/patients/{world.patient_a1.id}/relief")).json()
    assert mine["episodes"][0]["outcome"] in {"ongoing", "censored"}
    assert mine["outlook"]["window"] is None and mine["outlook"]["explanation"] is None
    assert mine["outlook"]["days_since_infusion"] > 47


async def test_relief_is_private(make_client, world: World):
    assert (
        await (await make_client("doc@b.test")).get(f"/api/patients/{world.patient_a1.id}/relief")
    ).status_code == 404
    assert (
        await (await make_client("p2@a.test")).get(f"/api/patients/{world.patient_a1.id}/relief")
    ).status_code == 404
    assert (await (await make_client("p1@a.test")).get("/api/clinic/relief")).status_code == 403


async def test_the_clinic_sees_pooled_relief_by_route_and_kind(make_client, world: World):
    clinician = await make_client("doc@a.test")
    await clinician.post(
        f"/api/patients/{world.patient_a1.id}/history", json=induction_then_relapse()
    )
    non_responder = induction_then_relapse()
    non_responder["checkins"] = [phq9(20, day(-60)), phq9(18, day(-45)), phq9(19, day(-41))]
    await clinician.post(f"/api/patients/{world.patient_a2.id}/history", json=non_responder)
    pooled = (await clinician.get("/api/clinic/relief")).json()
    overall = pooled["overall"]
    assert (overall["episodes"], overall["assessed"], overall["responding"]) == (2, 2, 1)
    assert overall["response_rate"] == 0.5
    assert overall["km"]["events"] == 1
    assert [r["route"] for r in pooled["by_route"]] == ["iv"]
    assert [k["kind"] for k in pooled["by_kind"]] == ["induction"]
    only_im = (await clinician.get("/api/clinic/relief", params={"route": "im"})).json()
    assert only_im["overall"]["episodes"] == 0
    other_clinic = (await (await make_client("doc@b.test")).get("/api/clinic/relief")).json()
    assert other_clinic["overall"]["episodes"] == 0


async def test_removing_an_infusion_entered_in_error_updates_the_pooled_estimate(
    make_client, world: World
):
    clinician = await make_client("doc@a.test")
    await clinician.post(
        f"/api/patients/{world.patient_a1.id}/history", json=induction_then_relapse()
    )
    booster = await clinician.post(
        f"/api/patients/{world.patient_a1.id}/infusions",
        json={"given_at": day(-20), "route": "im", "kind": "scheduled_booster"},
    )
    before = (await clinician.get("/api/clinic/relief")).json()["overall"]["episodes"]
    await clinician.post(
        f"/api/patients/{world.patient_a1.id}/infusions/{booster.json()['id']}/entered-in-error",
        json={},
    )
    after = (await clinician.get("/api/clinic/relief")).json()["overall"]["episodes"]
    assert (before, after) == (2, 1)


async def test_a_new_phq9_check_in_updates_the_stored_episodes(make_client, world: World):
    clinician = await make_client("doc@a.test")
    records = {
        "infusions": [
            {"given_at": day(d), "route": "iv", "kind": "induction"}
            for d in (-28, -26, -24, -22, -20, -18)
        ],
        "checkins": [phq9(20, day(-30)), phq9(6, day(-15)), phq9(5, day(-11))],
    }
    await clinician.post(f"/api/patients/{world.patient_a1.id}/history", json=records)
    assert (await clinician.get("/api/clinic/relief")).json()["overall"]["km"]["events"] == 0
    patient = await make_client("p1@a.test")
    for total, days_ago in ((14, -7), (16, -3)):
        response = await patient.post(
            "/api/checkins", json=phq9(total, day(days_ago)), headers=checkin_key()
        )
        assert response.status_code == 201
    assert (await clinician.get("/api/clinic/relief")).json()["overall"]["km"]["events"] == 1


async def test_a_stored_ongoing_episode_is_re_derived_once_time_has_censored_it(
    make_client, world: World, db
):
    """The relief view reads stored episodes; time alone can turn `ongoing` into a gap censoring."""
    patient_id = world.patient_a1.id
    clinician = await make_client("doc@a.test")
    records = {
        "infusions": [
            {"given_at": day(d), "route": "iv", "kind": "induction"}
            for d in (-50, -48, -46, -44, -42, -40)
        ],
        "checkins": [
            phq9(20, day(-55)),
            phq9(6, day(-37)),
            phq9(5, day(-33)),
            phq9(5, day(-28)),
            phq9(6, day(-20)),
        ],
    }
    await clinician.post(f"/api/patients/{world.patient_a1.id}/history", json=records)
    # As if the last write had been 15 days ago, when the last PHQ-9 was 5 days old.
    await refresh_patient_relief(db, world.patient_a1.id, NOW - timedelta(days=15))
    await db.commit()
    stored = (await db.get(PatientSummary, world.patient_a1.id)).episodes
    assert stored[-1]["outcome"] == "ongoing"
    relief = (await clinician.get(f"/api/patients/{world.patient_a1.id}/relief")).json()
    current = relief["episodes"][-1]
    assert (current["outcome"], current["censor_reason"]) == ("censored", "gap")
    await db.commit()  # end the read transaction: see what the request wrote
    db.expunge_all()
    assert (await db.get(PatientSummary, patient_id)).episodes[-1]["outcome"] == "censored"
