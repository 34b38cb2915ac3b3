"""The history import reads Afterglow's CSV layout (`Content-Type: text/csv`) and the fields it
used to lack (drug, blood pressures, lot number, dissociation notes, entered in error); every
problem is named by the row and column a clinician finds in the spreadsheet."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from afterglow.checkins.models import CheckIn
from afterglow.cli import main
from afterglow.history.csv_format import COLUMNS, csv_text
from afterglow.infusions.models import Infusion
from conftest import ClientFactory, World

NOW = datetime.now(UTC).replace(microsecond=0)
CSV = {"Content-Type": "text/csv"}


def when(days_ago: int) -> str:
    return (NOW - timedelta(days=days_ago)).isoformat()


def csv_of(*rows: dict[str, str]) -> bytes:
    return csv_text(rows, header=True).encode()


def infusion_row(**cells: str) -> dict[str, str]:
    return {"record": "infusion", "at": when(30), "route": "iv", "kind": "induction", **cells}


async def test_each_bad_cell_is_named_by_its_row_and_column_and_nothing_is_stored(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    doc = await make_client("doc@a.test")
    body = csv_of(
        {"record": "checkin", "at": when(40), "instrument": "phq9", "answer_1": "4"},
        infusion_row(dose_mg_per_kg="half"),
        infusion_row(at=when(29), route="iv-drip"),
        {"record": "event", "at": "2026-01-01T10:00:00", "kind": "medication_change"},
        {"record": "checkin", "at": when(20), "instrument": "mood", "answer_1": "5", "route": "iv"},
        infusion_row(at=when(28), bp_systolic_before="80", bp_diastolic_before="120"),
    )

    response = await doc.post(
        f"/api/patients/{world.patient_a1.id}/history", content=body, headers=CSV
    )

    assert response.status_code == 400, response.text
    keys = {problem["key"] for problem in response.json()["extra"]}
    assert {"row 3: dose_mg_per_kg", "row 4: route", "row 6: route"} <= keys
    assert "nothing was imported" in response.json()["detail"]
    assert await db.scalar(select(func.count()).select_from(CheckIn)) == 0

    # Cells that are each fine, and records the import then refuses, by row and column too.
    body = csv_of(
        {"record": "checkin", "at": when(40), "instrument": "phq9", "answer_1": "4"},
        {"record": "event", "at": "2026-01-01T10:00:00", "kind": "medication_change"},
        infusion_row(at=when(28), bp_systolic_before="80", bp_diastolic_before="120"),
    )
    response = await doc.post(
        f"/api/patients/{world.patient_a1.id}/history", content=body, headers=CSV
    )
    assert response.status_code == 400, response.text
    assert {problem["key"] for problem in response.json()["extra"]} == {
        "row 2: answer_1",
        "row 3: at",
        "row 4: bp_systolic_before",
    }


async def test_a_file_that_is_not_one_patients_csv_is_refused_by_name(
    make_client: ClientFactory, world: World
) -> None:
    doc = await make_client("doc@a.test")
    url = f"/api/patients/{world.patient_a1.id}/history"
    unknown = b"record,at,colour\r\ncheckin,2026-01-01T00:00:00Z,red\r\n"
    assert "'colour' is not a column" in (await doc.post(url, content=unknown, headers=CSV)).text
    two = csv_of(
        {"record": "event", "patient_id": "7", "at": when(3), "kind": "medication_change"},
        {"record": "event", "patient_id": "8", "at": when(2), "kind": "medication_change"},
    )
    response = await doc.post(url, content=two, headers=CSV)
    assert response.status_code == 400 and "2 patients" in response.text
    latin = "record,at,notes\r\nabout,2026-01-01T00:00:00Z,caf\xe9\r\n".encode("latin-1")
    assert "UTF-8" in (await doc.post(url, content=latin, headers=CSV)).text


async def test_the_infusion_fields_the_import_lacked_are_stored(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    doc = await make_client("doc@a.test")
    records = {
        "infusions": [
            {
                "given_at": when(10),
                "route": "iv",
                "kind": "induction",
                "drug": "racemic_ketamine",
                "dose_mg_per_kg": 0.5,
                "bp_systolic_before": 130,
                "bp_diastolic_before": 85,
                "lot_number": "L-7",
                "dissociation_notes": "mild",
            },
            {
                "given_at": when(9),
                "route": "intranasal",
                "kind": "scheduled_booster",
                "drug": "esketamine",
                "dose_mg": 84,
                "entered_in_error": {"at": when(8), "reason": "duplicate"},
            },
        ]
    }
    url = f"/api/patients/{world.patient_a1.id}/history"
    assert (await doc.post(url, json=records)).status_code == 200
    listed = (
        await doc.get(
            f"/api/patients/{world.patient_a1.id}/infusions",
            params={"include_entered_in_error": "true"},
        )
    ).json()
    assert [(i["bp_systolic_before"], i["lot_number"], i["drug"]) for i in listed] == [
        (130, "L-7", "racemic_ketamine"),
        (None, None, "esketamine"),
    ]
    assert listed[1]["entered_in_error"]["reason"] == "duplicate"
    # Only the live infusion counts: the relief analysis and the workspace's list see one.
    live = (await doc.get(f"/api/patients/{world.patient_a1.id}/infusions")).json()
    assert len(live) == 1
    again = await doc.post(url, json=records)
    assert again.json()["infusions"] == {"added": 0, "already_present": 2}
    records["infusions"][1]["route"] = "iv"
    swapped = await doc.post(url, json=records)
    assert swapped.status_code == 400
    assert {p["key"] for p in swapped.json()["extra"]} == {"infusions[1].route"}
    assert await db.scalar(select(func.count()).select_from(Infusion)) == 2


async def test_the_command_line_imports_a_csv_too(
    world: World, settings, db: AsyncSession, tmp_path, monkeypatch, capsys
) -> None:
    for name, value in {
        "AFTERGLOW_DATA_DIR": str(settings.data_dir),
        "AFTERGLOW_DATABASE_URL": settings.database_url,
    }.items():
        monkeypatch.setenv(name, value)
    path = tmp_path / "history.csv"
    path.write_bytes(
        csv_of(
            {"record": "about", "at": when(0), "notes": "from another export"},
            {"record": "checkin", "at": when(5), "instrument": "mood", "answer_1": "0"},
            infusion_row(notes="line one\nline two, with a comma"),
        )
    )
    assert await asyncio.to_thread(main, ["import", str(world.patient_a1.id), str(path)]) == 0
    assert "1 check-ins (0 already there), 1 infusions" in capsys.readouterr().out
    stored = (await db.execute(select(Infusion.notes))).scalar_one()
    assert stored == "line one\nline two, with a comma"
    assert (await db.execute(select(CheckIn.answers))).scalar_one() == [0]


def test_the_layout_names_each_column_once() -> None:
    assert len(COLUMNS) == len(set(COLUMNS))
    assert COLUMNS[:5] == ("record", "patient_id", "record_number", "timezone", "at")
