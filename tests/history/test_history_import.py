"""Importing a patient's earlier records: all or nothing, idempotent, errors by index and field."""

import asyncio
import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from afterglow.alerts.models import SafetyAlert
from afterglow.audit.models import AuditEvent
from afterglow.checkins.models import CheckIn
from afterglow.cli import main
from afterglow.infusions.models import ClinicalEvent, Infusion
from conftest import World

NOW = datetime.now(UTC).replace(microsecond=0)


def history(days_ago: int = 400) -> dict:
    start = NOW - timedelta(days=days_ago)
    return {
        "checkins": [
            {
                "instrument": "phq9",
                "answers": [3, 3, 2, 2, 2, 2, 2, 1, 0],
                "taken_at": (start - timedelta(days=3)).isoformat(),
            },
            {
                "instrument": "mood",
                "answers": [3],
                "taken_at": (start + timedelta(days=1)).isoformat(),
            },
            {
                "instrument": "phq9",
                "answers": [1, 1, 1, 0, 1, 0, 0, 0, 0],
                "taken_at": (start + timedelta(days=7)).isoformat(),
            },
        ],
        "infusions": [
            {
                "given_at": (start + timedelta(days=d)).isoformat(),
                "route": "iv",
                "kind": "induction",
                "dose_mg_per_kg": 0.5,
            }
            for d in (0, 2, 4)
        ],
        "events": [{"kind": "medication_change", "at": (start + timedelta(days=20)).isoformat()}],
    }


async def count(db, model) -> int:
    return await db.scalar(select(func.count()).select_from(model))


async def test_it_imports_checkins_of_any_age_with_infusions_and_events(
    make_client, world: World, db
):
    clinician = await make_client("doc@a.test")
    response = await clinician.post(f"/api/patients/{world.patient_a1.id}/history", json=history())
    assert response.status_code == 200, response.text
    assert response.json() == {
        "checkins": {"added": 3, "already_present": 0},
        "infusions": {"added": 3, "already_present": 0},
        "events": {"added": 1, "already_present": 0},
        "safety_alerts_raised": 0,
    }
    listed = (
        await clinician.get(
            f"/api/patients/{world.patient_a1.id}/checkins", params={"instrument": "phq9"}
        )
    ).json()
    assert [(c["score"], c["band"]) for c in listed] == [(17, "moderately_severe"), (4, "minimal")]
    assert len((await clinician.get(f"/api/patients/{world.patient_a1.id}/infusions")).json()) == 3
    audit = (
        await db.execute(select(AuditEvent).where(AuditEvent.action == "history.import"))
    ).scalar_one()
    assert audit.detail == {"checkins": 3, "infusions": 3, "events": 1}


async def test_importing_the_same_records_again_adds_nothing(make_client, world: World, db):
    clinician = await make_client("doc@a.test")
    records = history()
    await clinician.post(f"/api/patients/{world.patient_a1.id}/history", json=records)
    again = await clinician.post(f"/api/patients/{world.patient_a1.id}/history", json=records)
    assert again.json() == {
        "checkins": {"added": 0, "already_present": 3},
        "infusions": {"added": 0, "already_present": 3},
        "events": {"added": 0, "already_present": 1},
        "safety_alerts_raised": 0,
    }
    assert (
        await count(db, CheckIn),
        await count(db, Infusion),
        await count(db, ClinicalEvent),
    ) == (3, 3, 1)


async def test_one_bad_record_stores_nothing_and_every_problem_is_named(
    make_client, world: World, db
):
    clinician = await make_client("doc@a.test")
    records = history()
    records["checkins"][1]["answers"] = [11]
    records["checkins"][2]["taken_at"] = (NOW + timedelta(days=2)).isoformat()
    records["events"][0]["at"] = "2025-01-01T10:00:00"
    response = await clinician.post(f"/api/patients/{world.patient_a1.id}/history", json=records)
    assert response.status_code == 400
    assert {e["key"] for e in response.json()["extra"]} == {
        "checkins[1].answers[0]",
        "checkins[2].taken_at",
        "events[0].at",
    }
    assert "nothing was imported" in response.json()["detail"]
    assert (
        await count(db, CheckIn),
        await count(db, Infusion),
        await count(db, ClinicalEvent),
    ) == (0, 0, 0)


async def test_a_wrongly_typed_field_is_named_with_its_index(make_client, world: World):
    clinician = await make_client("doc@a.test")
    records = history()
    records["infusions"][1]["route"] = "iv-drip"
    response = await clinician.post(f"/api/patients/{world.patient_a1.id}/history", json=records)
    assert response.status_code == 400
    assert "infusions[1].route" in response.text


async def test_a_different_record_at_the_same_time_is_refused_not_overwritten(
    make_client, world: World, db
):
    clinician = await make_client("doc@a.test")
    records = history()
    await clinician.post(f"/api/patients/{world.patient_a1.id}/history", json=records)
    records["checkins"][0]["answers"] = [0] * 9
    records["infusions"][0]["dose_mg_per_kg"] = 0.75
    response = await clinician.post(f"/api/patients/{world.patient_a1.id}/history", json=records)
    assert response.status_code == 400
    assert {e["key"] for e in response.json()["extra"]} == {"checkins[0]", "infusions[0]"}
    scores = (
        (await db.execute(select(CheckIn.score).where(CheckIn.instrument == "phq9")))
        .scalars()
        .all()
    )
    assert sorted(scores) == [4, 17]


async def test_a_recent_imported_item_9_raises_an_alert_but_an_old_one_does_not(
    make_client, world: World, db
):
    """Reading pinned here: item 9 answered within the PHQ-9's own 14-day recall window is still current."""
    clinician = await make_client("doc@a.test")
    records = {
        "checkins": [
            {
                "instrument": "phq9",
                "answers": [2, 2, 2, 2, 1, 1, 1, 1, 1],
                "taken_at": (NOW - timedelta(days=3)).isoformat(),
            },
            {
                "instrument": "phq9",
                "answers": [2, 2, 2, 2, 1, 1, 1, 1, 2],
                "taken_at": (NOW - timedelta(days=200)).isoformat(),
            },
        ]
    }
    response = await clinician.post(f"/api/patients/{world.patient_a1.id}/history", json=records)
    assert response.json()["safety_alerts_raised"] == 1
    alert = (await db.execute(select(SafetyAlert))).scalar_one()
    assert (alert.item9, alert.status) == (1, "open")


async def test_only_the_patients_clinicians_import(make_client, world: World):
    for email, status in (("doc@b.test", 404), ("p1@a.test", 403), ("admin@a.test", 403)):
        client = await make_client(email)
        response = await client.post(f"/api/patients/{world.patient_a1.id}/history", json=history())
        assert response.status_code == status, email


async def test_the_command_line_import_does_the_same(
    world: World, settings, db, tmp_path, monkeypatch, capsys
):
    for name, value in {
        "AFTERGLOW_DATA_DIR": str(settings.data_dir),
        "AFTERGLOW_DATABASE_URL": settings.database_url,
    }.items():
        monkeypatch.setenv(name, value)
    path = tmp_path / "history.json"
    path.write_text(json.dumps(history()))
    # The command runs its own event loop, as it does from a shell.
    assert await asyncio.to_thread(main, ["import", str(world.patient_a1.id), str(path)]) == 0
    assert "3 check-ins (0 already there)" in capsys.readouterr().out
    assert await asyncio.to_thread(main, ["import", str(world.patient_a1.id), str(path)]) == 0
    assert "0 check-ins (3 already there)" in capsys.readouterr().out
    audit = (
        (await db.execute(select(AuditEvent).where(AuditEvent.action == "history.import")))
        .scalars()
        .all()
    )
    assert [(a.actor_role, a.actor_user_id) for a in audit] == [
        ("operator", None),
        ("operator", None),
    ]


async def test_an_imported_infusion_from_this_morning_anchors_the_patients_reminders(
    make_client, world: World, db, push_service
):
    from afterglow.reminders.models import ReminderPlan
    from conftest import add_device

    await add_device(db, push_service, world.patient_a1.user_id, "phone", NOW)
    clinician = await make_client("doc@a.test")
    # Only the reminders anchored to infusions: with no infusion, nothing is planned.
    only_infusions = {"daily_mood_at": None, "weekly_phq9": None, "weekly_gad7": None}
    await clinician.put(f"/api/patients/{world.patient_a1.id}/reminders", json=only_infusions)
    await db.commit()
    plan = await db.get(ReminderPlan, world.patient_a1.id, populate_existing=True)
    assert plan is not None and plan.next_fire_at is None
    given_at = NOW - timedelta(minutes=30)
    response = await clinician.post(
        f"/api/patients/{world.patient_a1.id}/history",
        json={
            "checkins": [],
            "infusions": [{"given_at": given_at.isoformat(), "route": "iv", "kind": "induction"}],
            "events": [],
        },
    )
    assert response.status_code == 200, response.text
    await db.commit()
    plan = await db.get(ReminderPlan, world.patient_a1.id, populate_existing=True)
    # The side-effect check 2 h after it (or when quiet hours end) is now due next.
    assert plan is not None and plan.next_fire_at is not None
    assert given_at + timedelta(hours=2) <= plan.next_fire_at <= given_at + timedelta(hours=13)


def records_with_awkward_text() -> dict:
    """A recent item-9 PHQ-9 whose note carries a NUL, an over-long note, and NULs in notes."""
    records = history(days_ago=30)
    records["checkins"][0]["note"] = "from\u0000 the old system"
    records["checkins"][1]["note"] = "long " * 500
    records["checkins"].append(
        {
            "instrument": "phq9",
            "answers": [2, 2, 2, 2, 1, 1, 1, 1, 1],
            "taken_at": (NOW - timedelta(days=1)).isoformat(),
            "note": "said\u0000 item 9",
        }
    )
    records["infusions"][0]["notes"] = "tolerated\u0000 well"
    records["events"][0]["notes"] = "dose\u0000 changed"
    return records


async def stored_notes(db) -> dict[str, list[str | None]]:
    await db.commit()
    checkins = (await db.execute(select(CheckIn.note).order_by(CheckIn.taken_at))).scalars()
    infusions = (await db.execute(select(Infusion.notes).order_by(Infusion.given_at))).scalars()
    events = (await db.execute(select(ClinicalEvent.notes))).scalars()
    return {"checkins": list(checkins), "infusions": list(infusions), "events": list(events)}


async def test_imported_notes_with_a_nul_or_over_long_are_kept_cleaned_and_alerts_raised(
    make_client, world: World, db
):
    clinician = await make_client("doc@a.test")
    response = await clinician.post(
        f"/api/patients/{world.patient_a1.id}/history", json=records_with_awkward_text()
    )
    assert response.status_code == 200, response.text
    assert response.json()["checkins"] == {"added": 4, "already_present": 0}
    assert response.json()["safety_alerts_raised"] == 1
    notes = await stored_notes(db)
    long_note = notes["checkins"][1]
    assert notes["checkins"][0] == "from the old system"
    assert long_note is not None and len(long_note) == 2000 and long_note.endswith("…[cut]")
    assert notes["checkins"][3] == "said item 9"
    assert notes["infusions"][0] == "tolerated well"
    assert notes["events"] == ["dose changed"]


async def test_the_command_line_import_cleans_text_the_same_way(
    world: World, settings, db, tmp_path, monkeypatch, capsys
):
    for name, value in {
        "AFTERGLOW_DATA_DIR": str(settings.data_dir),
        "AFTERGLOW_DATABASE_URL": settings.database_url,
    }.items():
        monkeypatch.setenv(name, value)
    path = tmp_path / "history.json"
    path.write_text(json.dumps(records_with_awkward_text()))
    assert await asyncio.to_thread(main, ["import", str(world.patient_a1.id), str(path)]) == 0
    assert "4 check-ins (0 already there)" in capsys.readouterr().out
    notes = await stored_notes(db)
    assert notes["checkins"][0] == "from the old system"
    assert notes["checkins"][1] is not None and notes["checkins"][1].endswith("…[cut]")
    assert notes["events"] == ["dose changed"]
