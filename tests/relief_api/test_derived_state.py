"""Derived state stays true: clinic-wide changes, time alone, and what each write re-derives."""

from datetime import UTC, datetime, timedelta
from itertools import product

from litestar import Litestar
from sqlalchemy import select, update
from sqlmodel import col
from test_triage import add_patient, day, phq9, responding

from afterglow.clock import SetClock
from afterglow.db import create_engine, session_maker
from afterglow.relief.facts import ReliefThresholds
from afterglow.relief.models import PatientSummary, ReliefEpisode
from afterglow.relief.outlook import status_now
from afterglow.relief.service import derivation_fingerprint, rederive_stale
from afterglow.relief.summary import status_now_sql
from afterglow.worker import StaleRelief
from conftest import World, checkin_key

# These tests are about what the job derives, not its time budget: on a loaded 2-core machine
# the default 2 s ran out before 28 patients were derived.
UNHURRIED = timedelta(minutes=5)


async def _relapsed_patients(clinician, count: int) -> list[int]:
    """Patients whose last episode relapsed with PHQ-9s of 15 and 16 (relapse needs >= 10)."""
    ids = []
    for n in range(count):
        patient = await add_patient(clinician, f"Synthetic Relapse {n}")
        imported = await clinician.post(
            f"/api/patients/{patient}/history", json=responding([], relapse=True)
        )
        assert imported.status_code == 200, imported.text
        ids.append(patient)
    return ids


async def test_changing_relief_thresholds_shows_on_the_next_read_of_relief_triage_and_the_pooled_estimate(
    make_client, world: World
):
    clinician = await make_client("doc@a.test")
    admin = await make_client("admin@a.test")
    patients = await _relapsed_patients(clinician, 3)
    before = (await clinician.get(f"/api/patients/{patients[0]}/relief")).json()
    assert before["episodes"][-1]["outcome"] == "relapsed"
    pooled_before = (await clinician.get("/api/clinic/relief")).json()
    assert pooled_before["overall"]["km"]["events"] == 3

    settings = (await admin.get("/api/clinic/settings")).json()
    settings["relief"] = {**settings.get("relief", {}), "relapse_min_score": 20}
    saved = await admin.put("/api/clinic/settings", json=settings)
    assert saved.status_code == 200, saved.text

    relief = (await clinician.get(f"/api/patients/{patients[1]}/relief")).json()
    assert relief["thresholds"]["relapse_min_score"] == 20
    assert relief["episodes"][-1]["outcome"] != "relapsed"
    listed = (await clinician.get("/api/clinic/patients", params={"sort": "urgency"})).json()
    statuses = {p["patient_id"]: p["relief_status"] for p in listed["patients"]}
    assert all(statuses[p] != "relapsed" for p in patients), statuses
    pooled = (await clinician.get("/api/clinic/relief")).json()
    assert pooled["overall"]["km"]["events"] == 0
    assert pooled["thresholds"]["relapse_min_score"] == 20


async def test_the_background_job_rederives_a_clinic_after_a_change_in_small_batches(
    make_client, world: World, app: Litestar, settings
):
    clinician = await make_client("doc@a.test")
    patients = await _relapsed_patients(clinician, 3)
    engine = create_engine(settings)
    try:
        async with session_maker(engine)() as db:
            # As a new analysis version would: nothing stored was derived with it.
            await db.execute(update(PatientSummary).values(derived_with="an older analysis"))
            await db.commit()
            now = datetime.now(UTC)
            assert await rederive_stale(db, world.clinic_a.id, now, batch=2, most=2) == 2
            assert await rederive_stale(db, world.clinic_a.id, now, batch=2) == 3  # 5 in clinic A
            assert await rederive_stale(db, world.clinic_a.id, now) == 0
            fresh = derivation_fingerprint(ReliefThresholds())
            stored = (
                await db.execute(
                    select(col(PatientSummary.clinic_id), col(PatientSummary.derived_with))
                )
            ).all()
            assert {f for c, f in stored if c == world.clinic_a.id} == {fresh}
            assert {f for c, f in stored if c == world.clinic_b.id} == {"an older analysis"}
        # The scheduler's stale-relief job does the same for every clinic.
        async with session_maker(engine)() as db:
            await db.execute(update(PatientSummary).values(derived_with=None))
            await db.commit()
        assert await StaleRelief(engine, budget=UNHURRIED)() == 6
        assert await StaleRelief(engine, budget=UNHURRIED)() == 0
    finally:
        await engine.dispose()
    relief = (await clinician.get(f"/api/patients/{patients[0]}/relief")).json()
    assert relief["episodes"][-1]["outcome"] == "relapsed"


async def test_a_patient_whose_first_derivation_fails_still_appears_in_triage_first(
    make_client, world: World, db
):
    from sqlalchemy import text

    postgres = db.get_bind().dialect.name == "postgresql"
    # The database refuses every derived summary (a stale placeholder has no fingerprint).
    statements = (
        [
            "CREATE FUNCTION refuse_summary() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'summary refused'; END $$",
            "CREATE TRIGGER refuse_summary BEFORE INSERT OR UPDATE ON patient_summary "
            "FOR EACH ROW WHEN (NEW.derived_with IS NOT NULL) EXECUTE FUNCTION refuse_summary()",
        ]
        if postgres
        else [
            f"CREATE TRIGGER refuse_summary_{event} BEFORE {event} ON patient_summary "
            "FOR EACH ROW WHEN NEW.derived_with IS NOT NULL "
            "BEGIN SELECT RAISE(ABORT, 'summary refused'); END"
            for event in ("INSERT", "UPDATE")
        ]
    )
    for statement in statements:
        await db.execute(text(statement))
    await db.commit()
    clinician = await make_client("doc@a.test")
    try:
        new = await add_patient(clinician, "Synthetic Newcomer")
    finally:
        drops = (
            ["DROP TRIGGER refuse_summary ON patient_summary", "DROP FUNCTION refuse_summary()"]
            if postgres
            else ["DROP TRIGGER refuse_summary_INSERT", "DROP TRIGGER refuse_summary_UPDATE"]
        )
        for statement in drops:
            await db.execute(text(statement))
        await db.commit()
    listed = (await clinician.get("/api/clinic/patients", params={"sort": "urgency"})).json()
    # Derived again on this read (it was stale), and listed like anyone else.
    assert new in [p["patient_id"] for p in listed["patients"]]
    assert listed["total"] == 3


async def test_acknowledging_an_alert_lowers_the_count_without_rederiving_episodes(
    make_client, world: World, settings
):
    clinician = await make_client("doc@a.test")
    await clinician.post(f"/api/patients/{world.patient_a1.id}/history", json=responding([(-1, 7)]))
    patient = await make_client("p1@a.test")
    sent = await patient.post(
        "/api/checkins", json=phq9(6, day(0), item9=1) | {"taken_at": None}, headers=checkin_key()
    )
    assert sent.status_code == 201
    engine = create_engine(settings)
    try:
        async with session_maker(engine)() as db:
            episode_rows = set(
                (
                    await db.execute(
                        select(col(ReliefEpisode.id)).where(
                            col(ReliefEpisode.patient_id) == world.patient_a1.id
                        )
                    )
                ).scalars()
            )
        alerts = (await clinician.get("/api/alerts")).json()
        alert = next(a for a in alerts if a["patient_id"] == world.patient_a1.id)
        acked = await clinician.post(
            f"/api/alerts/{alert['id']}/ack", json={"note": "Called; safe, plan agreed."}
        )
        assert acked.status_code in (200, 201), acked.text
        async with session_maker(engine)() as db:
            after = set(
                (
                    await db.execute(
                        select(col(ReliefEpisode.id)).where(
                            col(ReliefEpisode.patient_id) == world.patient_a1.id
                        )
                    )
                ).scalars()
            )
            summary = await db.get(PatientSummary, world.patient_a1.id)
            assert summary is not None and summary.open_alerts == 0
    finally:
        await engine.dispose()
    assert after == episode_rows and episode_rows


async def test_routes_read_the_apps_clock(make_client, world: World, app_clock: SetClock):
    app_clock.set(datetime(2026, 12, 24, 9, 30, tzinfo=UTC))
    clinician = await make_client("doc@a.test")
    relief = (await clinician.get(f"/api/patients/{world.patient_a1.id}/relief")).json()
    assert relief["generated_at"].startswith("2026-12-24T09:30:00")
    app_clock.advance(timedelta(hours=3))
    pooled = (await clinician.get("/api/clinic/relief")).json()
    assert pooled["generated_at"].startswith("2026-12-24T12:30:00")


async def test_the_sql_status_rule_agrees_with_the_python_one(world: World, db):
    now = datetime(2026, 11, 29, 12, tzinfo=UTC)
    stale_afters = [None, now - timedelta(hours=1), now, now + timedelta(hours=1)]
    statuses = ["none", "holding", "waning", "relapsed", "no_response", "unassessed"]
    for status, stale_after in product(statuses, stale_afters):
        await db.execute(
            update(PatientSummary)
            .where(col(PatientSummary.patient_id) == world.patient_a1.id)
            .values(relief_status=status, stale_after=stale_after)
        )
        in_sql = await db.scalar(
            select(status_now_sql(now)).where(col(PatientSummary.patient_id) == world.patient_a1.id)
        )
        assert in_sql == status_now(status, stale_after, now), (status, stale_after)  # type: ignore[arg-type]
    await db.rollback()


async def test_holding_turns_no_recent_data_with_time_alone_in_triage_and_the_relief_view(
    make_client, world: World, app_clock: SetClock
):
    clinician = await make_client("doc@a.test")
    holding = await add_patient(clinician, "Synthetic Quiet")
    steady = [(d, 8) for d in range(-22, 0)]
    imported = await clinician.post(f"/api/patients/{holding}/history", json=responding(steady))
    assert imported.status_code == 200

    async def seen() -> tuple[str, str, list[int]]:
        clinician = await make_client("doc@a.test")  # sessions follow the app's clock too
        listed = (await clinician.get("/api/clinic/patients")).json()
        row = next(p for p in listed["patients"] if p["patient_id"] == holding)
        quiet = (
            await clinician.get("/api/clinic/patients", params={"status": "no_recent_data"})
        ).json()
        relief = (await clinician.get(f"/api/patients/{holding}/relief")).json()
        return (
            row["relief_status"],
            relief["outlook"]["status"],
            [p["patient_id"] for p in quiet["patients"]],
        )

    assert await seen() == ("holding", "holding", [])
    app_clock.advance(timedelta(days=4))  # the last mood was yesterday; now 3 local days ago
    assert await seen() == ("no_recent_data", "no_recent_data", [holding])


async def test_concurrent_phq9s_for_one_patient_leave_one_stored_copy_of_each_episode(
    make_client, world: World, settings
):
    import asyncio

    clinician = await make_client("doc@a.test")
    await clinician.post(f"/api/patients/{world.patient_a1.id}/history", json=responding([(-1, 7)]))
    phones = [await make_client("p1@a.test") for _ in range(4)]
    sent = await asyncio.gather(
        *(
            phone.post(
                "/api/checkins",
                json=phq9(6 + n, day(-0.01 * (n + 1))),
                headers=checkin_key(),
            )
            for n, phone in enumerate(phones)
        )
    )
    assert [r.status_code for r in sent] == [201] * 4
    relief = (await clinician.get(f"/api/patients/{world.patient_a1.id}/relief")).json()
    engine = create_engine(settings)
    try:
        async with session_maker(engine)() as db:
            stored = (
                await db.execute(
                    select(col(ReliefEpisode.start)).where(
                        col(ReliefEpisode.patient_id) == world.patient_a1.id
                    )
                )
            ).all()
    finally:
        await engine.dispose()
    assert len(stored) == len(relief["episodes"]) == len({s for (s,) in stored})
    assert relief["episodes"][-1]["points"][-1]["score"] in range(6, 10)


async def test_a_check_in_and_its_safety_alert_are_stored_even_when_deriving_fails(
    make_client, world: World, db
):
    from sqlalchemy import text

    from afterglow.alerts.models import SafetyAlert

    refused = world.patient_a1.id
    postgres = db.get_bind().dialect.name == "postgresql"
    statements = (
        [
            "CREATE FUNCTION refuse_summary() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'summary refused'; END $$",
            "CREATE TRIGGER refuse_summary BEFORE UPDATE ON patient_summary FOR EACH ROW "
            f"WHEN (NEW.patient_id = {refused} AND NEW.derived_with IS NOT NULL) "
            "EXECUTE FUNCTION refuse_summary()",
        ]
        if postgres
        else [
            "CREATE TRIGGER refuse_summary BEFORE UPDATE ON patient_summary FOR EACH ROW "
            f"WHEN NEW.patient_id = {refused} AND NEW.derived_with IS NOT NULL "
            "BEGIN SELECT RAISE(ABORT, 'summary refused'); END"
        ]
    )
    for statement in statements:
        await db.execute(text(statement))
    await db.commit()
    try:
        patient = await make_client("p1@a.test")
        sent = await patient.post(
            "/api/checkins",
            json=phq9(14, day(0), item9=2) | {"taken_at": None},
            headers=checkin_key(),
        )
        assert sent.status_code == 201, sent.text
        assert sent.json()["safety"]["item9"] == 2
        alerts = (
            await db.execute(
                select(col(SafetyAlert.item9)).where(col(SafetyAlert.patient_id) == refused)
            )
        ).all()
        assert alerts == [(2,)]
        summary = await db.get(PatientSummary, refused, populate_existing=True)
        assert summary is not None and summary.derived_with is None  # stale: derived again later
    finally:
        await db.rollback()
        await db.execute(
            text("DROP TRIGGER refuse_summary" + (" ON patient_summary" if postgres else ""))
        )
        if postgres:
            await db.execute(text("DROP FUNCTION refuse_summary()"))
        await db.commit()
    clinician = await make_client("doc@a.test")
    listed = (await clinician.get("/api/clinic/patients")).json()
    row = next(p for p in listed["patients"] if p["patient_id"] == refused)
    assert row["open_safety_alerts"] == 1 and row["latest_phq9"]["score"] == 16


async def test_one_patient_who_cannot_be_derived_does_not_hold_back_the_rest_of_the_clinic(
    make_client, world: World, db, settings
):
    from sqlalchemy import text

    clinician = await make_client("doc@a.test")
    added = [await add_patient(clinician, f"Synthetic Batch {n}") for n in range(26)]
    refused = added[0]
    postgres = db.get_bind().dialect.name == "postgresql"
    statements = (
        [
            "CREATE FUNCTION refuse_one() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'refused'; END $$",
            "CREATE TRIGGER refuse_one BEFORE UPDATE ON patient_summary FOR EACH ROW "
            f"WHEN (NEW.patient_id = {refused} AND NEW.derived_with IS NOT NULL) "
            "EXECUTE FUNCTION refuse_one()",
        ]
        if postgres
        else [
            "CREATE TRIGGER refuse_one BEFORE UPDATE ON patient_summary FOR EACH ROW "
            f"WHEN NEW.patient_id = {refused} AND NEW.derived_with IS NOT NULL "
            "BEGIN SELECT RAISE(ABORT, 'refused'); END"
        ]
    )
    await db.execute(update(PatientSummary).values(derived_with="an older analysis"))
    for statement in statements:
        await db.execute(text(statement))
    await db.commit()
    engine = create_engine(settings)
    try:
        # More stale patients than one batch, the first of them failing every time: one run
        # of the job still derives every other one (28 in clinic A and B's 1, not 26).
        assert await StaleRelief(engine, budget=UNHURRIED)() == 29 - 1
    finally:
        await engine.dispose()
        drops = ["DROP TRIGGER refuse_one" + (" ON patient_summary" if postgres else "")]
        if postgres:
            drops.append("DROP FUNCTION refuse_one()")
        for statement in drops:
            await db.execute(text(statement))
        await db.commit()


async def test_a_fall_in_mood_after_a_booster_shows_as_waning_until_its_nadir_window_closes(
    make_client, world: World, app_clock: SetClock
):
    # Relief by mood after a booster, gone by the first PHQ-9 (16 from 20: no response). The
    # clinician sees the fall as waning while a later PHQ-9 could still show a response, then
    # what the PHQ-9s say (docs/clinical-rules.md §4, the reading chosen for issue 14).
    start = datetime.now(UTC).replace(microsecond=0)
    app_clock.set(start)
    clinician = await make_client("doc@a.test")
    patient = world.patient_a1.id
    await clinician.patch(f"/api/patients/{patient}", json={"timezone": "UTC"})
    booster = start - timedelta(days=6)
    moods = [(1, 8), (2, 8), (3, 8), (4, 5), (5, 5)]
    history = {
        "infusions": [
            {"given_at": booster.isoformat(), "route": "iv", "kind": "scheduled_booster"}
        ],
        "checkins": [
            phq9(20, (booster - timedelta(days=2)).isoformat()),
            phq9(16, (start - timedelta(hours=6)).isoformat()),
            *(
                {
                    "instrument": "mood",
                    "answers": [score],
                    "taken_at": (booster + timedelta(days=d)).isoformat(),
                }
                for d, score in moods
            ),
        ],
    }
    imported = await clinician.post(f"/api/patients/{patient}/history", json=history)
    assert imported.status_code == 200, imported.text

    seen: dict[int, str] = {}
    for days_since in range(7, 16):
        # An hour before the day ends: the window closes 14 days after the booster, to the hour.
        app_clock.set(booster + timedelta(days=days_since, hours=-1))
        phone = await make_client("p1@a.test")
        logged = await phone.post(
            "/api/checkins", json={"instrument": "mood", "answers": [5]}, headers=checkin_key()
        )
        assert logged.status_code == 201, logged.text
        staff = await make_client("doc@a.test")
        listed = (await staff.get("/api/clinic/patients")).json()["patients"]
        seen[days_since] = next(p for p in listed if p["patient_id"] == patient)["relief_status"]
        if days_since == 14:
            relief = (await staff.get(f"/api/patients/{patient}/relief")).json()
            assert relief["episodes"][-1]["outcome"] == "no_response"
            assert relief["outlook"]["status"] == "waning"
    assert seen == {day: "waning" for day in range(7, 15)} | {15: "no_response"}
