"""A patient's record as CSV comes back whole through the history import: into a new patient the
same check-ins (every answer, zeros too), infusions (blood pressures, lot, drug, entered in
error), events, notes (commas, quotes, line breaks, text a spreadsheet would run) and the same
relief; back into the same patient, nothing new."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import httpx
from export_support import NOW
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.audit.models import AuditEvent
from afterglow.clock import SetClock
from conftest import ClientFactory, World, checkin_key

AWKWARD = 'Felt "floaty", then fine;\nslept 9h, no nausea\r\nsecond line'
FORMULA = '=HYPERLINK("http://example.invalid","click")'
CSV_HEADERS = {"Content-Type": "text/csv"}


def at(days_ago: float, hour: int = 9) -> str:
    moment = (NOW - timedelta(days=days_ago)).replace(hour=hour, minute=30, second=0)
    return moment.isoformat()


def earlier_records() -> dict[str, Any]:
    """Three months of a synthetic patient, some of it awkward on purpose."""
    phq9 = [
        (80, [3, 3, 2, 2, 2, 2, 2, 1, 0, 2]),
        (70, [1, 1, 1, 0, 1, 0, 0, 0, 0]),
        (60, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        (50, [2, 2, 2, 2, 2, 2, 1, 1, 0, 1]),
        (40, [2, 2, 2, 2, 2, 2, 2, 1, 1, 1]),
        (30, [0, 1, 0, 0, 0, 0, 0, 0, 0]),
    ]
    return {
        "checkins": [
            *(
                {"instrument": "phq9", "answers": answers, "taken_at": at(days)}
                for days, answers in phq9
            ),
            {"instrument": "gad7", "answers": [0] * 7, "taken_at": at(60, 10), "note": AWKWARD},
            {"instrument": "mood", "answers": [0], "taken_at": at(59, 21), "note": FORMULA},
            {"instrument": "mood", "answers": [10], "taken_at": at(58, 21), "note": "'quoted"},
            {
                "instrument": "after",
                "answers": [0, 1, 0, 0, 2, 0],
                "taken_at": at(77, 13),
                "note": "- dizzy, briefly",
            },
        ],
        "infusions": [
            {
                "given_at": at(78 - day, 11),
                "route": "iv",
                "kind": "induction",
                "drug": "racemic_ketamine",
                "dose_mg_per_kg": 0.5,
                "dose_mg": 35.5,
                "bp_systolic_before": 128,
                "bp_diastolic_before": 82,
                "bp_systolic_40min": 141,
                "bp_diastolic_40min": 90,
                "bp_systolic_discharge": 124,
                "bp_diastolic_discharge": 80,
                "lot_number": "LOT-0042,B",
                "dissociation_notes": 'Mild, "pleasant"\nresolved by 60 min',
                "notes": AWKWARD,
            }
            for day in (0, 2, 4)
        ]
        + [
            {
                "given_at": at(45, 11),
                "route": "intranasal",
                "kind": "scheduled_booster",
                "drug": "esketamine",
                "dose_mg": 56,
                "entered_in_error": {"at": at(45, 15), "reason": "Wrong patient, re-entered"},
            },
            {"given_at": at(44, 11), "route": "im", "kind": "scheduled_booster", "dose_mg": 0.0001},
        ],
        "events": [
            {"kind": "medication_change", "at": at(35, 16), "notes": "Sertraline 50 mg, to 100 mg"},
            {
                "kind": "hospitalisation",
                "at": at(36, 2),
                "entered_in_error": {"at": at(36, 8)},
            },
        ],
    }


async def new_patient(doc: httpx.AsyncClient, name: str = "Synthetic Copy") -> int:
    made = await doc.post(
        "/api/patients", json={"display_name": name, "timezone": "America/New_York"}
    )
    assert made.status_code == 201, made.text
    return int(made.json()["patient"]["id"])


async def record_of(doc: httpx.AsyncClient, patient_id: int) -> dict[str, Any]:
    """What a clinician sees of a patient, without what only says which row it is."""
    base = f"/api/patients/{patient_id}"
    checkins = (await doc.get(f"{base}/checkins", params={"limit": 500})).json()
    infusions = (
        await doc.get(f"{base}/infusions", params={"include_entered_in_error": "true"})
    ).json()
    events = (await doc.get(f"{base}/events", params={"include_entered_in_error": "true"})).json()
    relief = (await doc.get(f"{base}/relief")).json()

    def without(record: dict[str, Any], *names: str) -> dict[str, Any]:
        return {k: v for k, v in record.items() if k not in names}

    ids = ("id", "patient_id", "received_at", "safety", "created_at", "updated_at")
    staff = ("recorded_by", "recorded_by_name", "updated_by", "updated_by_name")
    return {
        "checkins": sorted(
            (without(c, *ids) for c in checkins), key=lambda c: (c["taken_at"], c["instrument"])
        ),
        "infusions": [
            {
                **without(i, *ids, *staff, "entered_in_error"),
                "entered_in_error": i["entered_in_error"]
                and without(i["entered_in_error"], "by", "by_name"),
            }
            for i in infusions
        ],
        "events": [
            {
                **without(e, *ids, *staff, "entered_in_error"),
                "entered_in_error": e["entered_in_error"]
                and without(e["entered_in_error"], "by", "by_name"),
            }
            for e in events
        ],
        "episodes": [
            without(e, "infusion_ids", "baseline_phq9_id", "points") for e in relief["episodes"]
        ],
        "points": [[without(p, "phq9_id") for p in e["points"]] for e in relief["episodes"]],
    }


def rows_of(body: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body, newline="")))


async def test_a_patients_csv_imported_into_a_new_patient_is_the_same_record(
    make_client: ClientFactory, world: World, app_clock: SetClock
) -> None:
    # One moment for both reads: the current episode runs until now.
    app_clock.set(NOW + timedelta(hours=1))
    doc = await make_client("doc@a.test")
    original = world.patient_a1.id or 0
    imported = await doc.post(f"/api/patients/{original}/history", json=earlier_records())
    assert imported.status_code == 200, imported.text
    exported = await doc.get(f"/api/patients/{original}/export.csv")
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("text/csv")
    copy = await new_patient(doc)

    result = await doc.post(
        f"/api/patients/{copy}/history", content=exported.content, headers=CSV_HEADERS
    )

    assert result.status_code == 200, result.text
    assert result.json()["checkins"] == {"added": 10, "already_present": 0}
    assert result.json()["infusions"] == {"added": 5, "already_present": 0}
    assert result.json()["events"] == {"added": 2, "already_present": 0}
    before, after = await record_of(doc, original), await record_of(doc, copy)
    assert after == before
    assert len(before["episodes"]) >= 2
    # The copy's own export says the same, row for row, but for whose it is.
    again = (await doc.get(f"/api/patients/{copy}/export.csv")).text
    strip = [{**r, "patient_id": ""} for r in rows_of(exported.text) if r["record"] != "about"]
    assert [{**r, "patient_id": ""} for r in rows_of(again) if r["record"] != "about"] == strip


async def test_importing_a_patients_own_export_back_adds_nothing(
    make_client: ClientFactory, world: World
) -> None:
    doc = await make_client("doc@a.test")
    patient = await make_client("p1@a.test")
    original = world.patient_a1.id or 0
    assert (
        await doc.post(f"/api/patients/{original}/history", json=earlier_records())
    ).status_code == 200
    sent = await patient.post(
        "/api/checkins", json={"instrument": "mood", "answers": [4]}, headers=checkin_key()
    )
    assert sent.status_code in (200, 201)
    exported = await doc.get(f"/api/patients/{original}/export.csv")

    again = await doc.post(
        f"/api/patients/{original}/history", content=exported.content, headers=CSV_HEADERS
    )

    assert again.status_code == 200, again.text
    assert again.json()["checkins"] == {"added": 0, "already_present": 11}
    assert again.json()["infusions"] == {"added": 0, "already_present": 5}
    assert again.json()["events"] == {"added": 0, "already_present": 2}


async def test_the_csv_keeps_zeros_offsets_and_awkward_text_in_their_cells(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    doc = await make_client("doc@a.test")
    original = world.patient_a1.id or 0
    records = earlier_records()
    records["checkins"].append(
        {"instrument": "pain", "answers": [0], "taken_at": at(57, 21), "note": "nul\x00 inside"}
    )
    enabled = await doc.patch(f"/api/patients/{original}", json={"pain_enabled": True})
    assert enabled.status_code == 200
    assert (await doc.post(f"/api/patients/{original}/history", json=records)).status_code == 200

    body = (await doc.get(f"/api/patients/{original}/export.csv")).text

    rows = rows_of(body)
    about = rows[0]
    assert about["record"] == "about"
    assert "PHQ-9 and GAD-7 developed by Drs. Robert L. Spitzer" in about["notes"]
    zero = next(r for r in rows if r["record"] == "checkin" and r["score"] == "0")
    assert [zero[f"answer_{n}"] for n in range(1, 11)] == ["0"] * 10
    assert zero["at"].endswith(("-05:00", "-04:00"))  # the patient's zone, New York
    gad7 = next(r for r in rows if r.get("instrument") == "gad7")
    assert gad7["notes"] == AWKWARD and gad7["answer_8"] == ""
    mood = [r for r in rows if r.get("instrument") == "mood"]
    assert [m["notes"] for m in mood] == ["'" + FORMULA, "''quoted"]
    pain = next(r for r in rows if r.get("instrument") == "pain")
    assert (pain["answer_1"], pain["score"], pain["notes"]) == ("0", "0", "nul inside")
    after = next(r for r in rows if r.get("instrument") == "after")
    assert after["notes"] == "'- dizzy, briefly"
    struck = next(r for r in rows if r["record"] == "infusion" and r["entered_in_error_at"])
    assert struck["entered_in_error_reason"] == "Wrong patient, re-entered"
    assert struck["drug"] == "esketamine" and struck["dose_mg"] == "56.0"
    assert "\x00" not in body
    assert {r["record"] for r in rows} == {"about", "checkin", "infusion", "event", "episode"}
    audited = (
        await db.execute(select(AuditEvent).where(col(AuditEvent.action) == "export.csv"))
    ).scalar_one()
    assert audited.patient_id == original


async def test_the_clinic_csv_holds_every_patient_of_the_clinic_and_no_other(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    doc = await make_client("doc@a.test")
    for patient in (world.patient_a1, world.patient_a2, world.patient_b1):
        imported = await (
            doc if patient is not world.patient_b1 else await make_client("doc@b.test")
        ).post(f"/api/patients/{patient.id}/history", json=earlier_records())
        assert imported.status_code == 200, imported.text

    response = await doc.get("/api/clinic/export.csv")

    assert response.status_code == 200
    rows = rows_of(response.text)
    assert {r["patient_id"] for r in rows if r["record"] != "about"} == {
        str(world.patient_a1.id),
        str(world.patient_a2.id),
    }
    audited = set(
        (
            await db.execute(
                select(col(AuditEvent.patient_id)).where(col(AuditEvent.action) == "export.csv")
            )
        ).scalars()
    )
    assert audited == {world.patient_a1.id, world.patient_a2.id}


async def test_only_the_clinics_clinicians_export_csv(
    make_client: ClientFactory, world: World
) -> None:
    patient_csv = f"/api/patients/{world.patient_a1.id}/export.csv"
    for email, patient_status, clinic_status in (
        ("admin@a.test", 403, 403),
        ("p1@a.test", 403, 403),
        ("doc@b.test", 404, 200),
    ):
        client = await make_client(email)
        assert (await client.get(patient_csv)).status_code == patient_status, email
        clinic = await client.get("/api/clinic/export.csv")
        assert clinic.status_code == clinic_status, email
    # Clinic B's clinician gets clinic B's file: nothing of clinic A.
    assert "Patient A1" not in clinic.text and f"\r\n{world.patient_a1.id}," not in clinic.text


async def test_the_csv_holds_the_journal_entries_the_patient_shares_and_no_private_one(
    make_client: ClientFactory, world: World
) -> None:
    doc = await make_client("doc@a.test")
    patient = await make_client("p1@a.test")
    for key, text, shared in (
        ("0b6f2d1e-6a58-4f3e-9d4b-2f1c0a9e8d71", "Shared, with a comma, and\na new line", True),
        ("7c3e9a40-1f2b-4d6c-8e5a-9b0d1c2e3f45", "Private thoughts", False),
    ):
        written = await patient.put(
            f"/api/me/journal/{key}",
            json={"text": text, "stood_out": "=1+1", "shared": shared},
        )
        assert written.status_code == 201, written.text
    original = world.patient_a1.id or 0

    body = (await doc.get(f"/api/patients/{original}/export.csv")).text

    (journal,) = [r for r in rows_of(body) if r["record"] == "journal"]
    assert journal["notes"] == "Shared, with a comma, and\na new line"
    assert journal["journal_stood_out"] == "'=1+1"
    assert "Private thoughts" not in body
    # The import reads the clinic's records back; a patient's journal is theirs to write.
    copy = await new_patient(doc)
    result = await doc.post(f"/api/patients/{copy}/history", content=body, headers=CSV_HEADERS)
    assert result.status_code == 200, result.text
