"""The integration journal over HTTP: the patient's own words, private unless they share an
entry, stored once per version however often the phone's outbox sends it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from afterglow.audit.models import AuditEvent
from afterglow.journal.models import JournalEntry
from afterglow.journal.schemas import JournalEntryWrite
from afterglow.journal.service import shared_entries, write_entry
from conftest import ClientFactory, World

CUT_MARKER = "…[cut]"


def a_day_after(**changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "stood_out": "The colours, and feeling far from my worries.",
        "day_after": "Tired but lighter.",
        "carry_forward": "Call my sister this week.",
        "text": None,
    }
    entry.update(changes)
    return entry


async def write(
    client: httpx.AsyncClient, key: str, body: dict[str, Any], status: int
) -> dict[str, Any]:
    response = await client.put(f"/api/me/journal/{key}", json=body)
    assert response.status_code == status, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def rows(db: AsyncSession) -> list[JournalEntry]:
    await db.rollback()  # a new snapshot: see what the app committed since
    found = await db.scalars(
        select(JournalEntry)
        .order_by(JournalEntry.id)  # type: ignore[arg-type]
        .execution_options(populate_existing=True)
    )
    return list(found)


async def timeline_journal(clinician: httpx.AsyncClient, patient_id: int | None) -> list[Any]:
    response = await clinician.get(f"/api/patients/{patient_id}/timeline")
    assert response.status_code == 200, response.text
    journal: list[Any] = response.json()["journal"]
    return journal


async def audit_actions(db: AsyncSession, patient_id: int | None) -> list[str]:
    await db.rollback()
    found = await db.scalars(
        select(AuditEvent.action).where(AuditEvent.patient_id == patient_id)  # type: ignore[arg-type]
    )
    return list(found)


async def test_an_entry_is_private_by_default_and_readable_by_its_author_alone(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    patient = await make_client("p1@a.test")
    key = str(uuid.uuid4())

    written = await write(patient, key, a_day_after(), 201)

    assert written["shared"] is False and written["shared_at"] is None
    assert written["key"] == key and written["revision"] == 1 and written["edited_at"] is None
    [mine] = (await patient.get("/api/me/journal")).json()
    assert mine["day_after"] == "Tired but lighter." and mine["shared"] is False
    clinician = await make_client("doc@a.test")
    assert await timeline_journal(clinician, world.patient_a1.id) == []
    other_patient = await make_client("p2@a.test")
    assert (await other_patient.get("/api/me/journal")).json() == []


async def test_the_same_version_sent_again_is_stored_once(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    patient = await make_client("p1@a.test")
    key = str(uuid.uuid4())
    body = a_day_after(written_at="2026-11-26T09:30:00-05:00")

    first = await write(patient, key, body, 201)
    again = await write(patient, key, body, 200)
    # The same instant written with another offset is the same version.
    same = await write(patient, key, {**body, "written_at": "2026-11-26T14:30:00Z"}, 200)

    assert first == again == same
    assert [(r.entry_key, r.revision) for r in await rows(db)] == [(key, 1)]
    assert first["written_at"] == "2026-11-26T14:30:00Z"


async def test_a_newer_revision_edits_the_entry_and_says_when(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    patient = await make_client("p1@a.test")
    key = str(uuid.uuid4())
    await write(patient, key, a_day_after(), 201)

    edited = await write(
        patient, key, a_day_after(day_after="Tired, lighter, and hopeful.", revision=2), 200
    )

    assert edited["day_after"] == "Tired, lighter, and hopeful."
    assert edited["revision"] == 2 and edited["edited_at"] is not None
    [row] = await rows(db)
    assert row.day_after == "Tired, lighter, and hopeful." and row.revision == 2


async def test_a_late_replay_of_an_older_version_never_undoes_a_newer_edit(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    patient = await make_client("p1@a.test")
    key = str(uuid.uuid4())
    await write(patient, key, a_day_after(), 201)
    await write(patient, key, a_day_after(text="Added later.", revision=2), 200)

    late = await patient.put(f"/api/me/journal/{key}", json=a_day_after())
    other = await patient.put(
        f"/api/me/journal/{key}", json=a_day_after(text="Another phone.", revision=2)
    )

    assert late.status_code == 409 and other.status_code == 409
    assert "version 3" in late.json()["detail"]
    [row] = await rows(db)
    assert (row.text, row.revision) == ("Added later.", 2)


async def test_sharing_shows_the_entry_on_the_timeline_in_an_audited_read_and_unsharing_hides_it(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    patient_id = world.patient_a1.id
    patient = await make_client("p1@a.test")
    clinician = await make_client("doc@a.test")
    private_key, shared_key = str(uuid.uuid4()), str(uuid.uuid4())
    await write(patient, private_key, a_day_after(stood_out="Only for me."), 201)
    await write(patient, shared_key, a_day_after(), 201)

    shared = await write(patient, shared_key, a_day_after(shared=True, revision=2), 200)
    assert shared["shared"] is True and shared["shared_at"] is not None
    assert shared["edited_at"] is None  # sharing is not an edit
    before = await audit_actions(db, patient_id)
    [seen] = await timeline_journal(clinician, patient_id)

    assert seen["stood_out"] == "The colours, and feeling far from my worries."
    assert seen["carry_forward"] == "Call my sister this week."
    assert "key" not in seen and "Only for me." not in str(seen)
    assert (await audit_actions(db, patient_id))[len(before) :] == ["timeline.read"]

    unshared = await write(patient, shared_key, a_day_after(shared=False, revision=3), 200)
    assert unshared["shared"] is False and unshared["shared_at"] is None
    assert await timeline_journal(clinician, patient_id) == []


async def test_another_clinics_clinician_an_admin_and_other_patients_see_no_entry(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    patient = await make_client("p1@a.test")
    key = str(uuid.uuid4())
    await write(patient, key, a_day_after(shared=True), 201)
    timeline = f"/api/patients/{world.patient_a1.id}/timeline"

    other_clinic = await make_client("doc@b.test")
    admin = await make_client("admin@a.test")
    assert (await other_clinic.get(timeline)).status_code == 404
    assert (await admin.get(timeline)).status_code == 403
    assert (await admin.get("/api/me/journal")).status_code == 403
    assert (await other_clinic.get("/api/me/journal")).status_code == 403
    assert (await other_clinic.put(f"/api/me/journal/{key}", json=a_day_after())).status_code == 403
    assert await audit_actions(db, world.patient_a1.id) == []


async def test_a_patient_can_neither_read_nor_share_nor_change_another_patients_entry(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    owner_id = world.patient_a1.id
    owner = await make_client("p1@a.test")
    key = str(uuid.uuid4())
    await write(owner, key, a_day_after(), 201)

    for email in ("p2@a.test", "p1@b.test"):
        other = await make_client(email)
        taken = await other.put(
            f"/api/me/journal/{key}", json=a_day_after(text="Not mine.", shared=True, revision=9)
        )
        assert taken.status_code == 404, taken.text
        assert "Not mine." not in taken.text and "colours" not in taken.text
        assert (await other.get("/api/me/journal")).json() == []

    [row] = await rows(db)
    assert (row.patient_id, row.text, row.shared_at, row.revision) == (
        owner_id,
        None,
        None,
        1,
    )


async def test_an_entry_with_nothing_written_is_refused_naming_what_to_fix(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    patient = await make_client("p1@a.test")
    empty = {"stood_out": "   ", "day_after": "", "carry_forward": None, "text": "\n"}

    response = await patient.put(f"/api/me/journal/{uuid.uuid4()}", json=empty)

    assert response.status_code == 400
    assert response.json()["extra"][0]["key"] == "text"
    assert "write something" in response.json()["extra"][0]["message"]
    assert await rows(db) == []


async def test_bad_keys_and_times_are_refused_naming_their_field(
    make_client: ClientFactory, world: World
) -> None:
    patient = await make_client("p1@a.test")
    key = str(uuid.uuid4())
    future = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    cases = [
        ("not-a-uuid", a_day_after(), "entry_key"),
        (key, a_day_after(written_at=future), "written_at"),
        (key, a_day_after(written_at="2026-11-26T09:30:00"), "written_at"),
        (key, a_day_after(written_at="0001-01-01T00:00:00Z"), "written_at"),
        (key, a_day_after(revision=0), "revision"),
        (key, a_day_after(mood=7), "mood"),
    ]
    for path_key, body, field in cases:
        response = await patient.put(f"/api/me/journal/{path_key}", json=body)
        assert response.status_code == 400, (field, response.text)
        assert field in response.text, (field, response.text)


async def test_nul_is_stripped_and_over_long_words_are_kept_cut_never_refused(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    patient = await make_client("p1@a.test")
    long_text = "I kept thinking about the ocean. " * 400  # 13,200 characters; 10,000 kept
    long_answer = "x" * 2500  # each prompt keeps 2,000

    written = await write(
        patient,
        str(uuid.uuid4()),
        a_day_after(stood_out=long_answer, day_after="calm\u0000 and slow", text=long_text),
        201,
    )

    [row] = await rows(db)
    assert row.day_after == "calm and slow" == written["day_after"]
    assert row.stood_out is not None and len(row.stood_out) == 2000
    assert row.text is not None and len(row.text) == 10000 and row.text.endswith(CUT_MARKER)
    assert long_text.startswith(row.text.removesuffix(CUT_MARKER))
    assert written["text"] == row.text


async def test_shared_entries_gives_exports_only_what_is_shared_oldest_first(
    world: World, db: AsyncSession
) -> None:
    patient_id = world.patient_a1.id or 0
    now = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)

    async def entry(days_ago: int, words: str, shared: bool) -> None:
        data = JournalEntryWrite(
            text=words, shared=shared, written_at=now - timedelta(days=days_ago)
        )
        await write_entry(db, patient_id, str(uuid.uuid4()), data, now)

    await entry(9, "Shared, early.", True)
    await entry(5, "Private.", False)
    await entry(2, "Shared, recent.", True)
    await write_entry(
        db,
        world.patient_a2.id or 0,
        str(uuid.uuid4()),
        JournalEntryWrite(text="Another patient's.", shared=True),
        now,
    )

    everything = await shared_entries(db, patient_id)
    since = await shared_entries(db, patient_id, since=now - timedelta(days=3))

    assert [e.text for e in everything] == ["Shared, early.", "Shared, recent."]
    assert [e.text for e in since] == ["Shared, recent."]
    assert all(e.shared_at == now for e in everything)
    assert await db.scalar(select(func.count()).select_from(JournalEntry)) == 4
