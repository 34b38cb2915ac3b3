"""The triage inbox: one patient of each kind in the issue's order, review, counts, booster windows."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from afterglow.audit.models import AuditEvent
from afterglow.clock import SetClock
from conftest import World, checkin_key

NOW = datetime.now(UTC).replace(microsecond=0)


def day(n: float) -> str:
    return (NOW + timedelta(days=n)).isoformat()


def phq9(total: int, when: str | None, item9: int = 0) -> dict:
    answers = [3] * (total // 3) + ([total % 3] if total % 3 else [])
    answers = answers + [0] * (9 - len(answers))
    if item9:
        answers[8] = item9
    return {"instrument": "phq9", "answers": answers, "taken_at": when}


def gad7(when: str | None = None) -> dict:
    return {"instrument": "gad7", "answers": [1, 1, 2, 1, 0, 1, 1], "taken_at": when}


def mood(score: int, when: str | None = None) -> dict:
    return {"instrument": "mood", "answers": [score], "taken_at": when}


def responding(moods: list[tuple[float, int]], *, relapse: bool = False) -> dict:
    """Induction ending day -24; baseline 20; nadir 5 and PHQ-9s every 4 days so nothing censors."""
    checkins = [phq9(20, day(-36)), phq9(6, day(-21)), phq9(5, day(-17)), phq9(6, day(-13))]
    checkins += (
        [phq9(15, day(-9)), phq9(16, day(-5))] if relapse else [phq9(5, day(-9)), phq9(6, day(-5))]
    )
    checkins += [mood(score, day(d)) for d, score in moods]
    return {
        "infusions": [
            {"given_at": day(d), "route": "iv", "kind": "induction"}
            for d in (-34, -32, -30, -28, -26, -24)
        ],
        "checkins": checkins,
    }


def relapsing_history() -> dict:
    """Three episodes that relapsed (confirmed on day 15 and 19 of each) and a current one
    holding since day -6: enough relapses of the patient's own for a booster window."""
    infusions = [
        {"given_at": day(d), "route": "iv", "kind": "induction"}
        for d in (-110, -108, -106, -104, -102, -100)
    ]
    checkins = [phq9(20, day(-112))]
    for start in (-100, -78, -56):
        checkins += [
            phq9(6, day(start + 3)),
            phq9(5, day(start + 7)),
            phq9(8, day(start + 11)),
            phq9(14, day(start + 15)),
            phq9(16, day(start + 19)),
        ]
        infusions.append(
            {"given_at": day(start + 22), "route": "iv", "kind": "symptom_triggered_booster"}
        )
    checkins += [phq9(6, day(-31)), phq9(5, day(-27)), phq9(8, day(-23)), phq9(14, day(-19))]
    checkins += [phq9(16, day(-15)), phq9(6, day(-3)), phq9(5, day(-1))]
    infusions.append({"given_at": day(-6), "route": "iv", "kind": "symptom_triggered_booster"})
    checkins += [mood(8, day(-d)) for d in range(1, 6)]
    return {"infusions": infusions, "checkins": checkins}


async def add_patient(clinician, name: str) -> int:
    response = await clinician.post("/api/patients", json={"display_name": name, "timezone": "UTC"})
    assert response.status_code == 201, response.text
    return response.json()["patient"]["id"]


async def inbox(clinician, **params) -> dict:
    response = await clinician.get("/api/clinic/patients", params={"sort": "urgency", **params})
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_inbox_orders_alerts_relapsed_waning_unreviewed_silent_then_the_rest(
    make_client, world: World, app_clock: SetClock
):
    clinician = await make_client("doc@a.test")
    steady = [(d, 8) for d in range(-22, -4)]
    names = ("Relapsed", "Waning", "Unreviewed", "Silent", "Holding", "No Infusion")
    ids = {name: await add_patient(clinician, f"Synthetic {name}") for name in names}
    relapsed = responding([*steady, (-4, 7)], relapse=True)
    histories = {
        "Relapsed": {**relapsed, "checkins": relapsed["checkins"][:-1]},  # silent since day -5
        "Waning": responding([*steady, (-2, 3), (-1, 4), (-0.1, 3)]),
        "Unreviewed": responding([*steady, (-1, 8), (-0.2, 8)]),
        "Silent": responding(steady),
        "Holding": responding([*steady, (-1, 8), (-0.1, 9)]),
        "No Infusion": {"checkins": [mood(7, day(-0.05))]},
    }
    for name, history in histories.items():
        imported = await clinician.post(f"/api/patients/{ids[name]}/history", json=history)
        assert imported.status_code == 200, imported.text
    for name in ("Silent", "Holding"):
        assert (await clinician.post(f"/api/patients/{ids[name]}/review")).status_code == 200
    # Patient A1 answers item 9 with 2 (an urgent alert, 1 hour to escalation); two hours later
    # A2 answers it with 1 (4 hours): A1's alert is overdue, A2's is not.
    patient_a1, patient_a2 = await make_client("p1@a.test"), await make_client("p2@a.test")
    app_clock.set(NOW)
    first = await patient_a1.post(
        "/api/checkins", json=phq9(12, None, item9=2), headers=checkin_key()
    )
    assert first.status_code == 201, first.text
    app_clock.advance(timedelta(hours=2))
    second = await patient_a2.post(
        "/api/checkins", json=phq9(9, None, item9=1), headers=checkin_key()
    )
    assert second.status_code == 201, second.text

    listed = await inbox(clinician)

    order = [(p["patient_id"], p["triage_group"], p["relief_status"]) for p in listed["patients"]]
    assert order == [
        (world.patient_a1.id, "alert", "none"),
        (world.patient_a2.id, "alert", "none"),
        (ids["Relapsed"], "relapsed", "relapsed"),
        (ids["Waning"], "waning", "waning"),
        (ids["Unreviewed"], "unreviewed", "holding"),
        (ids["Silent"], "silent", "no_recent_data"),
        (ids["Holding"], "other", "holding"),
        (ids["No Infusion"], "other", "none"),
    ]
    rows = {p["patient_id"]: p for p in listed["patients"]}
    overdue, waiting = rows[world.patient_a1.id], rows[world.patient_a2.id]
    assert overdue["alert_overdue"] is True and waiting["alert_overdue"] is False
    assert datetime.fromisoformat(waiting["alert_escalates_at"]) == NOW + timedelta(hours=6)
    assert datetime.fromisoformat(overdue["alert_escalates_at"]) == NOW + timedelta(hours=1)
    # Relapsed keeps its status however long the silence, with the silence beside it.
    assert rows[ids["Relapsed"]]["no_checkin_for_3_days"] is True
    assert rows[ids["Relapsed"]]["days_since_checkin"] > 4
    assert rows[ids["Relapsed"]]["change_from_baseline"] == -4
    assert [p["score"] for p in rows[ids["Relapsed"]]["phq9_90_days"]] == [20, 6, 5, 6, 15, 16]
    assert 23 < rows[ids["Holding"]]["days_since_infusion"] < 25
    assert rows[ids["No Infusion"]]["days_since_infusion"] is None
    assert listed["total"] == 8
    # Alerts (2), relapsed, waning and unreviewed; the silent and the holding were reviewed.
    assert listed["needs_attention"] == 5


async def test_review_empties_the_count_and_a_new_phq9_or_gad7_raises_it_again(
    make_client, world: World, db
):
    clinician = await make_client("doc@a.test")
    for patient_id in (world.patient_a1.id, world.patient_a2.id):
        history = responding([(d, 8) for d in range(-22, 0)])
        await clinician.post(f"/api/patients/{patient_id}/history", json=history)
    assert (await inbox(clinician))["needs_attention"] == 2

    first = await clinician.post(f"/api/patients/{world.patient_a1.id}/review")
    again = await clinician.post(f"/api/patients/{world.patient_a1.id}/review")
    await clinician.post(f"/api/patients/{world.patient_a2.id}/review")

    assert first.status_code == 200, first.text
    assert first.json()["awaiting_review"] is False
    assert again.json() == first.json()  # nothing more changes the second time
    listed = await inbox(clinician)
    assert listed["needs_attention"] == 0
    assert {p["triage_group"] for p in listed["patients"]} == {"other"}
    patient = await make_client("p1@a.test")
    await patient.post("/api/checkins", json=mood(3), headers=checkin_key())
    assert (await inbox(clinician))["needs_attention"] == 0  # a mood is not a new score
    await patient.post("/api/checkins", json=phq9(7, None), headers=checkin_key())
    after = await inbox(clinician)
    assert after["needs_attention"] == 1
    assert after["patients"][0]["patient_id"] == world.patient_a1.id
    assert after["patients"][0]["awaiting_review"] is True
    await clinician.post(f"/api/patients/{world.patient_a1.id}/review")
    assert (await inbox(clinician))["needs_attention"] == 0
    await (await make_client("p2@a.test")).post("/api/checkins", json=gad7(), headers=checkin_key())
    assert (await inbox(clinician, attention="true"))["patients"][0]["patient_id"] == (
        world.patient_a2.id
    )
    # An imported GAD-7 is new to review too.
    await clinician.post(f"/api/patients/{world.patient_a2.id}/review")
    await clinician.post(
        f"/api/patients/{world.patient_a1.id}/history", json={"checkins": [gad7(day(-0.5))]}
    )
    assert (await inbox(clinician))["needs_attention"] == 1
    audit = (
        await db.execute(
            select(AuditEvent.actor_user_id, AuditEvent.patient_id).where(
                AuditEvent.action == "patient.review"
            )
        )
    ).all()
    assert audit.count((world.clinician_a.id, world.patient_a1.id)) == 3
    assert audit.count((world.clinician_a.id, world.patient_a2.id)) == 2


async def test_search_filter_and_paging_stay_in_the_clinic(make_client, world: World):
    clinician = await make_client("doc@a.test")
    for number in range(3):
        await add_patient(clinician, f"Synthetic Search {number}")
    waning = await add_patient(clinician, "Synthetic Waning")
    steady = [(d, 8) for d in range(-22, -4)]
    await clinician.post(
        f"/api/patients/{waning}/history",
        json=responding([*steady, (-2, 3), (-1, 4), (-0.1, 3)]),
    )

    found = await inbox(clinician, q="search", sort="name", limit=2, offset=1)
    waning_only = await inbox(clinician, status="waning")
    attention = await inbox(clinician, attention="true")

    assert found["total"] == 3
    assert [p["display_name"] for p in found["patients"]] == [
        "Synthetic Search 1",
        "Synthetic Search 2",
    ]
    assert [p["patient_id"] for p in waning_only["patients"]] == [waning]
    assert waning_only["total"] == 1 and waning_only["needs_attention"] == 1
    assert [p["patient_id"] for p in attention["patients"]] == [waning]
    assert (await inbox(clinician))["total"] == 6
    other = await make_client("doc@b.test")
    theirs = await inbox(other)
    assert [p["display_name"] for p in theirs["patients"]] == ["Patient B1"]
    assert theirs["needs_attention"] == 0
    assert (await inbox(other, q="synthetic"))["total"] == 0
    refused = await other.post(f"/api/patients/{waning}/review")
    assert refused.status_code == 404
    patient = await make_client("p1@a.test")
    assert (await patient.post(f"/api/patients/{world.patient_a1.id}/review")).status_code == 403
    bad = await clinician.get("/api/clinic/patients", params={"status": "sad"})
    assert bad.status_code == 400 and "status" in bad.text


async def test_the_row_shows_the_booster_window_the_relief_view_shows(make_client, world: World):
    clinician = await make_client("doc@a.test")
    own = world.patient_a1.id
    imported = await clinician.post(f"/api/patients/{own}/history", json=relapsing_history())
    assert imported.status_code == 200, imported.text
    # A second patient with no relapse of their own: their window comes from the clinic's.
    pooled = world.patient_a2.id
    recent_course = {
        "infusions": [
            {"given_at": day(d), "route": "iv", "kind": "induction"}
            for d in (-16, -14, -12, -10, -8, -6)
        ],
        "checkins": [phq9(20, day(-18)), phq9(6, day(-3)), phq9(5, day(-1))],
    }
    await clinician.post(f"/api/patients/{pooled}/history", json=recent_course)

    rows = {p["patient_id"]: p for p in (await inbox(clinician))["patients"]}

    for patient_id, source in ((own, "own"), (pooled, "clinic")):
        relief = (await clinician.get(f"/api/patients/{patient_id}/relief")).json()
        window = relief["outlook"]["window"]
        assert window is not None, relief["outlook"]["explanation"]
        assert window["source"] == source
        shown = rows[patient_id]["booster_window"]
        assert shown is not None
        assert (shown["start_on"], shown["end_on"], shown["source"]) == (
            window["start_on"],
            window["end_on"],
            source,
        )
        assert abs(shown["end_day"] - window["end_day"]) < 0.1
