"""Recording check-ins: scoring, idempotency, validation and the item-9 safety alert."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from afterglow.accounts.models import AuthSession
from afterglow.alerts.models import SafetyAlert
from afterglow.checkins.models import CheckIn
from conftest import World, checkin_key

PHQ9_MODERATE = [1, 2, 1, 0, 3, 2, 1, 0, 0, 1]


async def count_checkins(db, patient_id: int) -> int:
    return await db.scalar(select(func.count()).where(CheckIn.patient_id == patient_id))


async def test_it_scores_a_phq9_and_stores_it_once(make_client, world: World, db):
    patient = await make_client("p1@a.test")
    response = await patient.post(
        "/api/checkins",
        json={"instrument": "phq9", "answers": PHQ9_MODERATE},
        headers=checkin_key(),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["score"], body["band"], body["band_label"]) == (10, "moderate", "Moderate")
    assert body["safety"] is None
    assert body["patient_id"] == world.patient_a1.id
    assert await count_checkins(db, world.patient_a1.id) == 1


async def test_it_returns_the_original_result_when_the_phone_replays_a_key(
    make_client, world: World, db
):
    patient = await make_client("p1@a.test")
    key = checkin_key()
    body = {"instrument": "mood", "answers": [6], "taken_at": "2026-11-20T20:15:00-05:00"}
    first = await patient.post("/api/checkins", json=body, headers=key)
    replay = await patient.post("/api/checkins", json=body, headers=key)
    assert first.status_code == 201
    assert replay.status_code == 200
    assert replay.json() == first.json()
    assert await count_checkins(db, world.patient_a1.id) == 1


async def test_it_treats_the_same_instant_in_another_offset_as_the_same_replay(
    make_client, world: World
):
    patient = await make_client("p1@a.test")
    key = checkin_key()
    first = await patient.post(
        "/api/checkins",
        json={"instrument": "mood", "answers": [6], "taken_at": "2026-11-21T01:15:00+00:00"},
        headers=key,
    )
    replay = await patient.post(
        "/api/checkins",
        json={"instrument": "mood", "answers": [6], "taken_at": "2026-11-20T20:15:00-05:00"},
        headers=key,
    )
    assert (first.status_code, replay.status_code) == (201, 200)


async def test_it_refuses_a_reused_key_with_a_different_check_in(make_client, world: World, db):
    patient = await make_client("p1@a.test")
    key = checkin_key()
    await patient.post("/api/checkins", json={"instrument": "mood", "answers": [6]}, headers=key)
    response = await patient.post(
        "/api/checkins", json={"instrument": "mood", "answers": [2]}, headers=key
    )
    assert response.status_code == 409
    assert "Idempotency-Key" in response.json()["detail"]
    assert await count_checkins(db, world.patient_a1.id) == 1


async def test_it_lets_two_patients_use_the_same_key_independently(make_client, world: World):
    key = checkin_key()
    first = await (await make_client("p1@a.test")).post(
        "/api/checkins", json={"instrument": "mood", "answers": [6]}, headers=key
    )
    second = await (await make_client("p2@a.test")).post(
        "/api/checkins", json={"instrument": "mood", "answers": [3]}, headers=key
    )
    assert (first.status_code, second.status_code) == (201, 201)


async def test_it_stores_one_row_when_the_same_key_arrives_concurrently(
    make_client, world: World, db
):
    patient = await make_client("p1@a.test")
    key = checkin_key()
    body = {"instrument": "gad7", "answers": [1, 1, 1, 1, 1, 1, 1]}
    responses = await asyncio.gather(
        *[patient.post("/api/checkins", json=body, headers=key) for _ in range(8)]
    )
    assert sorted(r.status_code for r in responses) == [200] * 7 + [201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert await count_checkins(db, world.patient_a1.id) == 1


async def test_it_asks_for_an_idempotency_key(make_client, world: World):
    patient = await make_client("p1@a.test")
    missing = await patient.post("/api/checkins", json={"instrument": "mood", "answers": [6]})
    not_uuid = await patient.post(
        "/api/checkins",
        json={"instrument": "mood", "answers": [6]},
        headers={"Idempotency-Key": "abc"},
    )
    assert missing.status_code == 400 and "Idempotency-Key" in missing.text
    assert not_uuid.status_code == 400 and "not a UUID" in not_uuid.text


async def test_it_names_the_field_to_fix_for_every_malformed_check_in(
    make_client, world: World, db
):
    patient = await make_client("p1@a.test")
    now = datetime.now(UTC)
    cases = {
        "answers": {"instrument": "phq9", "answers": [0] * 8},
        "answers[3]": {"instrument": "phq9", "answers": [0, 0, 0, 4, 0, 0, 0, 0, 0]},
        "instrument": {"instrument": "phq8", "answers": [0] * 8},
        "taken_at": {
            "instrument": "mood",
            "answers": [5],
            "taken_at": (now + timedelta(minutes=10)).isoformat(),
        },
    }
    for field, body in cases.items():
        response = await patient.post("/api/checkins", json=body, headers=checkin_key())
        assert response.status_code == 400, (field, response.text)
        assert any(e["key"] == field for e in response.json()["extra"]), (field, response.json())
    too_old = await patient.post(
        "/api/checkins",
        json={
            "instrument": "mood",
            "answers": [5],
            "taken_at": (now - timedelta(days=31)).isoformat(),
        },
        headers=checkin_key(),
    )
    naive = await patient.post(
        "/api/checkins",
        json={"instrument": "mood", "answers": [5], "taken_at": "2026-11-20T10:00:00"},
        headers=checkin_key(),
    )
    not_a_list = await patient.post(
        "/api/checkins", json={"instrument": "mood", "answers": "5"}, headers=checkin_key()
    )
    assert too_old.status_code == 400 and "30 days" in too_old.text
    assert naive.status_code == 400 and "offset" in naive.text
    assert not_a_list.status_code == 400 and "answers" in not_a_list.text
    assert await count_checkins(db, world.patient_a1.id) == 0


async def test_it_accepts_a_check_in_taken_offline_within_the_last_30_days(
    make_client, world: World
):
    patient = await make_client("p1@a.test")
    taken = (datetime.now(UTC) - timedelta(days=29)).replace(microsecond=0)
    response = await patient.post(
        "/api/checkins",
        json={"instrument": "mood", "answers": [4], "taken_at": taken.isoformat()},
        headers=checkin_key(),
    )
    assert response.status_code == 201
    assert datetime.fromisoformat(response.json()["taken_at"]) == taken


async def test_it_takes_pain_only_from_patients_whose_clinic_switched_it_on(
    make_client, world: World
):
    patient = await make_client("p1@a.test")
    refused = await patient.post(
        "/api/checkins", json={"instrument": "pain", "answers": [3]}, headers=checkin_key()
    )
    assert refused.status_code == 400 and "not switched on" in refused.text
    clinician = await make_client("doc@a.test")
    await clinician.patch(f"/api/patients/{world.patient_a1.id}", json={"pain_enabled": True})
    accepted = await patient.post(
        "/api/checkins", json={"instrument": "pain", "answers": [3]}, headers=checkin_key()
    )
    assert accepted.status_code == 201


async def test_it_shows_the_crisis_screen_and_raises_an_alert_when_item_9_is_positive(
    make_client, world: World, db
):
    patient = await make_client("p1@a.test")
    response = await patient.post(
        "/api/checkins",
        json={"instrument": "phq9", "answers": [2, 2, 2, 2, 1, 2, 1, 1, 1]},
        headers=checkin_key(),
    )
    assert response.status_code == 201
    safety = response.json()["safety"]
    assert safety["item9"] == 1
    assert any(r["contact"] == "988" for r in safety["resources"])
    assert any(r["contact"] == "911" for r in safety["resources"])
    assert "not monitored around the clock" in safety["not_emergency_care"]
    alerts = (await db.execute(select(SafetyAlert))).scalars().all()
    assert [(a.patient_id, a.item9, a.level, a.status) for a in alerts] == [
        (world.patient_a1.id, 1, "warning", "open")
    ]
    assert alerts[0].checkin_id == response.json()["id"]
    assert alerts[0].escalate_at - alerts[0].created_at == timedelta(hours=4)


async def test_it_gives_item_9_of_two_or_more_the_one_hour_window(make_client, world: World, db):
    patient = await make_client("p1@a.test")
    await patient.post(
        "/api/checkins",
        json={"instrument": "phq9", "answers": [3, 3, 2, 2, 1, 2, 1, 1, 3]},
        headers=checkin_key(),
    )
    alert = (await db.execute(select(SafetyAlert))).scalar_one()
    assert alert.level == "urgent"
    assert alert.escalate_at - alert.created_at == timedelta(hours=1)


async def test_it_shows_the_crisis_screen_again_on_replay_but_raises_one_alert(
    make_client, world: World, db
):
    patient = await make_client("p1@a.test")
    key = checkin_key()
    body = {"instrument": "phq9", "answers": [2, 2, 2, 2, 1, 2, 1, 1, 2]}
    await patient.post("/api/checkins", json=body, headers=key)
    replay = await patient.post("/api/checkins", json=body, headers=key)
    assert replay.status_code == 200 and replay.json()["safety"]["item9"] == 2
    assert await db.scalar(select(func.count()).select_from(SafetyAlert)) == 1


async def test_it_uses_the_clinics_own_crisis_numbers(make_client, world: World, db):
    clinic = world.clinic_a
    own = {"label": {"en": "Clinic crisis line"}, "contact": "+1 555 0100", "kind": "phone"}
    clinic.settings = {"crisis_resources": {"US": [own]}}
    db.add(clinic)
    await db.commit()
    patient = await make_client("p1@a.test")
    response = await patient.post(
        "/api/checkins",
        json={"instrument": "phq9", "answers": [0, 0, 0, 0, 0, 0, 0, 0, 1]},
        headers=checkin_key(),
    )
    assert [r["label"] for r in response.json()["safety"]["resources"]] == ["Clinic crisis line"]


async def test_only_patients_post_check_ins(make_client, world: World):
    clinician = await make_client("doc@a.test")
    response = await clinician.post(
        "/api/checkins", json={"instrument": "mood", "answers": [5]}, headers=checkin_key()
    )
    assert response.status_code == 403


async def test_it_lists_a_patients_check_ins_filtered_by_instrument_and_time(
    make_client, world: World
):
    patient = await make_client("p1@a.test")
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(days=5)
    for day, value in enumerate([3, 5, 7]):
        await patient.post(
            "/api/checkins",
            json={
                "instrument": "mood",
                "answers": [value],
                "taken_at": (base + timedelta(days=day)).isoformat(),
            },
            headers=checkin_key(),
        )
    await patient.post(
        "/api/checkins", json={"instrument": "gad7", "answers": [0] * 7}, headers=checkin_key()
    )
    since = (base + timedelta(days=1)).isoformat()
    rows = (
        await patient.get(
            f"/api/patients/{world.patient_a1.id}/checkins",
            params={"instrument": "mood", "since": since},
        )
    ).json()
    assert [r["score"] for r in rows] == [5, 7]
    everything = (await patient.get(f"/api/patients/{world.patient_a1.id}/checkins")).json()
    assert [r["instrument"] for r in everything] == ["mood", "mood", "mood", "gad7"]


async def test_a_new_key_per_check_in_stores_each(make_client, world: World, db):
    patient = await make_client("p1@a.test")
    for _ in range(3):
        await patient.post(
            "/api/checkins",
            json={"instrument": "mood", "answers": [5]},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
    assert await count_checkins(db, world.patient_a1.id) == 3


async def test_a_stored_check_in_reads_back_exactly_as_it_was_acknowledged(
    make_client, world: World
):
    """On SQLite new check-ins take the one-statement write path; what it stores must read back alike."""
    patient = await make_client("p1@a.test")
    taken = (datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=123456)
    posted = await patient.post(
        "/api/checkins",
        json={
            "instrument": "gad7",
            "answers": [1, 2, 0, 3, 1, 0, 2],
            "taken_at": taken.isoformat(),
            "note": "slept badly",
        },
        headers=checkin_key(),
    )
    listed = (await patient.get(f"/api/patients/{world.patient_a1.id}/checkins")).json()
    assert posted.status_code == 201
    assert listed == [posted.json()]
    assert (posted.json()["score"], posted.json()["band"]) == (9, "mild")


async def test_a_check_in_on_a_session_due_for_refresh_is_stored_and_extends_the_session(
    make_client, world: World, db
):
    patient = await make_client("p1@a.test")
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    await db.execute(update(AuthSession).values(last_seen_at=two_hours_ago))
    await db.commit()
    response = await patient.post(
        "/api/checkins", json={"instrument": "mood", "answers": [7]}, headers=checkin_key()
    )
    assert response.status_code == 201
    db.expire_all()
    last_seen = await db.scalar(select(AuthSession.last_seen_at))
    assert last_seen > two_hours_ago + timedelta(hours=1)


async def test_a_check_in_needs_a_live_session(make_client, world: World, db):
    patient = await make_client("p1@a.test")
    await db.execute(
        update(AuthSession).values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
    )
    await db.commit()
    expired = await patient.post(
        "/api/checkins", json={"instrument": "mood", "answers": [7]}, headers=checkin_key()
    )
    patient.cookies.delete("afterglow_session")
    # The CSRF token belonged to the session that is gone: fetch one as the app does on a 403.
    await patient.get("/api/health")
    anonymous = await patient.post(
        "/api/checkins", json={"instrument": "mood", "answers": [7]}, headers=checkin_key()
    )
    assert (expired.status_code, anonymous.status_code) == (401, 401)
    assert await count_checkins(db, world.patient_a1.id) == 0
