"""A check-in is never refused for its free text: NUL is stripped and an over-long note is cut
with a marker, so the answers (and an item-9 safety alert) are always stored, on both databases.

The app's outbox gives up for good on a 4xx, so refusing a check-in over its note would lose
the answers with it.
"""

import uuid

from sqlalchemy import func, select

from afterglow.alerts.models import SafetyAlert
from afterglow.checkins.models import CheckIn
from conftest import World, checkin_key

ITEM9_ONE = [2, 2, 2, 2, 1, 2, 1, 1, 1]
ITEM9_TWO = [3, 3, 2, 2, 1, 2, 1, 1, 2]
CUT_MARKER = "…[cut]"


async def stored(db, checkin_id: int) -> CheckIn:
    await db.commit()  # a fresh read: SQLite keeps showing a transaction its first snapshot
    row = await db.get(CheckIn, checkin_id, populate_existing=True)
    assert row is not None
    return row


async def alerts_for(db, checkin_id: int) -> list[SafetyAlert]:
    query = select(SafetyAlert).where(SafetyAlert.checkin_id == checkin_id)
    return list((await db.execute(query)).scalars().all())


async def test_a_phq9_with_a_nul_in_its_note_is_stored_and_raises_its_alert_on_both_databases(
    make_client, world: World, db
):
    patient = await make_client("p1@a.test")
    response = await patient.post(
        "/api/checkins",
        json={"instrument": "phq9", "answers": ITEM9_ONE, "note": "rough\u0000 week"},
        headers=checkin_key(),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["safety"]["item9"] == 1
    assert body["note"] == "rough week"
    row = await stored(db, body["id"])
    assert (row.answers, row.item9, row.note) == (ITEM9_ONE, 1, "rough week")
    assert [(a.item9, a.status) for a in await alerts_for(db, body["id"])] == [(1, "open")]


async def test_an_over_long_note_is_cut_with_a_marker_and_the_answers_kept(
    make_client, world: World, db
):
    patient = await make_client("p1@a.test")
    note = "I could not sleep. " * 200  # 3,800 characters; the note holds 2,000
    response = await patient.post(
        "/api/checkins",
        json={"instrument": "phq9", "answers": ITEM9_TWO, "note": note},
        headers=checkin_key(),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["safety"]["item9"] == 2
    row = await stored(db, body["id"])
    assert row.answers == ITEM9_TWO
    assert row.note is not None and len(row.note) == 2000
    assert row.note.endswith(CUT_MARKER)
    assert note.startswith(row.note.removesuffix(CUT_MARKER))
    assert body["note"] == row.note
    assert [(a.item9, a.level) for a in await alerts_for(db, body["id"])] == [(2, "urgent")]


async def test_a_note_of_exactly_the_limit_is_kept_whole(make_client, world: World, db):
    patient = await make_client("p1@a.test")
    note = "x" * 2000
    response = await patient.post(
        "/api/checkins",
        json={"instrument": "gad7", "answers": [1] * 7, "note": note},
        headers=checkin_key(),
    )
    assert response.status_code == 201, response.text
    assert (await stored(db, response.json()["id"])).note == note


async def test_every_instrument_takes_a_note_with_a_nul_on_both_write_paths(
    make_client, world: World, db
):
    # Mood and side effects take SQLite's lean write path; PHQ-9 and GAD-7 the ordinary one.
    patient = await make_client("p1@a.test")
    bodies = {
        "mood": [6],
        "gad7": [1] * 7,
        "after": [0, 1, 0, 2, 1, 3],
        "phq9": [1] * 9,
    }
    for instrument, answers in bodies.items():
        response = await patient.post(
            "/api/checkins",
            json={"instrument": instrument, "answers": answers, "note": "\u0000dizzy\u0000"},
            headers=checkin_key(),
        )
        assert response.status_code == 201, (instrument, response.text)
        row = await stored(db, response.json()["id"])
        assert (row.answers, row.note) == (answers, "dizzy"), instrument
    listed = (await patient.get(f"/api/patients/{world.patient_a1.id}/checkins")).json()
    assert [c["note"] for c in listed] == ["dizzy"] * 4


async def test_a_note_of_nothing_but_nul_is_no_note(make_client, world: World, db):
    patient = await make_client("p1@a.test")
    response = await patient.post(
        "/api/checkins",
        json={"instrument": "mood", "answers": [4], "note": "\u0000\u0000"},
        headers=checkin_key(),
    )
    assert response.status_code == 201, response.text
    assert (await stored(db, response.json()["id"])).note is None


async def test_a_replayed_check_in_with_a_cleaned_note_is_the_same_check_in(
    make_client, world: World, db
):
    patient = await make_client("p1@a.test")
    key = checkin_key()
    body = {"instrument": "phq9", "answers": ITEM9_ONE, "note": "n\u0000" + "o" * 2500}
    first = await patient.post("/api/checkins", json=body, headers=key)
    replay = await patient.post("/api/checkins", json=body, headers=key)
    assert (first.status_code, replay.status_code) == (201, 200)
    assert replay.json() == first.json()
    assert replay.json()["safety"]["item9"] == 1
    count = select(func.count()).select_from(CheckIn)
    assert await db.scalar(count) == 1
    assert await db.scalar(select(func.count()).select_from(SafetyAlert)) == 1


async def test_a_nul_in_the_instrument_name_is_stripped_like_any_other_text(
    make_client, world: World, db
):
    patient = await make_client("p1@a.test")
    response = await patient.post(
        "/api/checkins",
        json={"instrument": "phq\u00009", "answers": ITEM9_ONE},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status_code == 201, response.text
    assert response.json()["instrument"] == "phq9"
    assert len(await alerts_for(db, response.json()["id"])) == 1


async def test_a_nul_in_the_instrument_filter_lists_the_same_check_ins(make_client, world: World):
    patient = await make_client("p1@a.test")
    await patient.post(
        "/api/checkins", json={"instrument": "mood", "answers": [5]}, headers=checkin_key()
    )
    path = f"/api/patients/{world.patient_a1.id}/checkins"
    plain = await patient.get(path, params={"instrument": "mood"})
    with_nul = await patient.get(path, params={"instrument": "mo\u0000od"})
    assert with_nul.status_code == 200, with_nul.text
    assert with_nul.json() == plain.json() and len(plain.json()) == 1
