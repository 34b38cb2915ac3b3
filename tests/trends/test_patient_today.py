"""What the patient's app says is true: each message comes from the facts the clinician sees.

`GET /api/patients/{id}/today` (where relief stands, what is due), the chart words of
`GET /api/patients/{id}/trends`, and the Reminders screen's next reminder.
"""

from datetime import UTC, datetime, timedelta

from afterglow.clock import SetClock
from conftest import World, checkin_key

# A Thursday afternoon in New York, where the synthetic patients live.
NOW = datetime(2026, 11, 26, 20, 0, tzinfo=UTC)


def day(n: float) -> str:
    return (NOW + timedelta(days=n)).isoformat()


def phq9(total: int, when: str) -> dict:
    """A PHQ-9 with this total and item 9 at 0."""
    answers = [3] * (total // 3) + ([total % 3] if total % 3 else [])
    return {
        "instrument": "phq9",
        "answers": [*answers, *[0] * (9 - len(answers))],
        "taken_at": when,
    }


def mood(score: int, when: str) -> dict:
    return {"instrument": "mood", "answers": [score], "taken_at": when}


def infusion(when: float, kind: str = "induction") -> dict:
    return {"given_at": day(when), "route": "iv", "kind": kind}


def induction_course(first_day: float) -> list[dict]:
    """Six IV inductions over two and a half weeks: one course (CLINICAL.md §3)."""
    return [infusion(first_day + d) for d in (0, 3, 6, 9, 12, 15)]


async def with_history(make_client, app_clock: SetClock, patient_id: int, infusions, checkins):
    """The clinic's clinician imports this history at NOW; returns them, signed in."""
    app_clock.set(NOW)
    clinician = await make_client("doc@a.test")
    records = {"infusions": infusions, "checkins": checkins}
    imported = await clinician.post(f"/api/patients/{patient_id}/history", json=records)
    assert imported.status_code == 200, imported.text
    return clinician


async def test_a_phq9_from_18_to_7_reads_down_11_points_since_before_treatment_not_no_response(
    make_client, world: World, app_clock: SetClock
):
    patient_id = world.patient_a1.id
    clinician = await with_history(
        make_client,
        app_clock,
        patient_id,
        induction_course(-30),
        [
            phq9(18, day(-31)),
            phq9(9, day(-12)),
            phq9(7, day(-6)),
            *(mood(7, day(-d)) for d in (3, 2, 1)),
        ],
    )
    phone = await make_client("p1@a.test")

    today = (await phone.get(f"/api/patients/{patient_id}/today")).json()
    chart = (
        await phone.get(f"/api/patients/{patient_id}/trends", params={"instrument": "phq9"})
    ).json()

    standing = today["standing"]
    assert (standing["status"], standing["baseline"], standing["lowest"]) == ("holding", 18, 7)
    assert [
        (c["direction"], c["reference"], c["reference_score"], c["score"], c["points"])
        for c in chart["latest_changes"]
    ] == [("better", "baseline", 18, 7, 11)]
    # The clinician's timeline marks the same rule: where the episode first got there.
    timeline = (await clinician.get(f"/api/patients/{patient_id}/timeline")).json()
    assert [(c["score"], c["points"]) for c in timeline["reliable_changes"]["phq9"]] == [(9, 9)]
    assert timeline["status"] == "holding"


async def test_after_a_phq9_the_app_asks_for_none_and_the_next_reminder_is_not_that_phq9(
    make_client, world: World, app_clock: SetClock
):
    saturday = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)  # 10:00 in New York
    app_clock.set(saturday)
    phone = await make_client("p1@a.test")
    schedule = {
        "daily_mood_at": None,
        "weekly_phq9": {"weekday": 6, "at": "12:00"},
        "weekly_gad7": None,
        "infusion_nudges": False,
    }
    before = (await phone.put("/api/me/reminders", json=schedule)).json()["next_reminder"]
    due = (await phone.get(f"/api/patients/{world.patient_a1.id}/today")).json()["due"]
    assert before["kind"] == "weekly_phq9" and before["fire_at"].startswith("2026-11-29")
    assert [(d["instrument"], d["reason"]) for d in due] == [("phq9", "weekly"), ("gad7", "weekly")]

    sent = await phone.post(
        "/api/checkins", json=phq9(6, saturday.isoformat()), headers=checkin_key()
    )
    assert sent.status_code == 201, sent.text

    due = (await phone.get(f"/api/patients/{world.patient_a1.id}/today")).json()["due"]
    after = (await phone.get("/api/me/reminders")).json()["next_reminder"]
    assert [d["instrument"] for d in due] == ["gad7"]
    # Sunday's weekly PHQ-9 is answered by Saturday's: the next one is a week later.
    assert after["kind"] == "weekly_phq9" and after["fire_at"].startswith("2026-12-06")


async def test_a_patient_who_stops_logging_is_no_longer_holding_but_has_no_recent_data(
    make_client, world: World, app_clock: SetClock
):
    patient_id = world.patient_a1.id
    clinician = await with_history(
        make_client,
        app_clock,
        patient_id,
        [infusion(-10)],
        [phq9(20, day(-11)), phq9(6, day(-4)), mood(8, day(-1))],
    )
    phone = await make_client("p1@a.test")
    holding = (await phone.get(f"/api/patients/{patient_id}/today")).json()["standing"]
    assert holding["status"] == "holding"

    app_clock.set(NOW + timedelta(days=4))
    silent = (await phone.get(f"/api/patients/{patient_id}/today")).json()["standing"]

    assert silent["status"] == "no_recent_data"
    assert (silent["silent_days"], silent["silent_about"]) == (5, "mood")
    clinician = await make_client("doc@a.test")  # a new day's sign-in: staff sessions are short
    relief = (await clinician.get(f"/api/patients/{patient_id}/relief")).json()
    assert relief["outlook"]["status"] == "no_recent_data"


async def test_with_daily_mood_off_no_phq9_in_14_days_is_no_recent_data(
    make_client, world: World, app_clock: SetClock
):
    patient_id = world.patient_a1.id
    app_clock.set(NOW)
    phone = await make_client("p1@a.test")
    mood_off = {"daily_mood_at": None, "weekly_phq9": None, "weekly_gad7": None}
    assert (await phone.put("/api/me/reminders", json=mood_off)).status_code == 200
    await with_history(
        make_client,
        app_clock,
        patient_id,
        [infusion(-20)],
        [phq9(20, day(-21)), phq9(6, day(-13)), phq9(5, day(-8))],
    )
    assert (await phone.get(f"/api/patients/{patient_id}/today")).json()["standing"][
        "status"
    ] == "holding"

    app_clock.set(NOW + timedelta(days=7))
    silent = (await phone.get(f"/api/patients/{patient_id}/today")).json()["standing"]

    assert (silent["status"], silent["silent_days"], silent["silent_about"]) == (
        "no_recent_data",
        15,
        "phq9",
    )


async def test_a_symptom_triggered_booster_two_days_after_an_infusion_ends_it_as_a_relapse(
    make_client, world: World, app_clock: SetClock
):
    patient_id = world.patient_a1.id
    clinician = await with_history(
        make_client,
        app_clock,
        patient_id,
        [infusion(-10), infusion(-8, "symptom_triggered_booster")],
        [phq9(20, day(-11)), phq9(6, day(-9)), phq9(7, day(-1))],
    )
    phone = await make_client("p1@a.test")

    for reader in (clinician, phone):
        relief = (await reader.get(f"/api/patients/{patient_id}/relief")).json()
        first, booster = relief["episodes"]
        assert (first["outcome"], first["relapse_reason"]) == ("relapsed", "clinical_action")
        assert first["duration_days"] == 2.0 and first["event"] is True
        assert booster["kind"] == "symptom_triggered_booster" and booster["outcome"] == "ongoing"
    mine = (await phone.get(f"/api/patients/{patient_id}/relief")).json()["outlook"]
    assert mine["window"] is None and mine["explanation"] is None
    today = await phone.get(f"/api/patients/{patient_id}/today")
    assert today.json()["standing"]["days_since_infusion"] == 8
    assert "booster" not in today.text  # no window, no date, not even the word
    assert "window" not in today.json()["standing"] and "explanation" not in today.json()


async def test_a_waning_mood_asks_for_one_phq9_and_not_again_once_it_is_taken(
    make_client, world: World, app_clock: SetClock
):
    patient_id = world.patient_a1.id
    await with_history(
        make_client,
        app_clock,
        patient_id,
        [infusion(-12)],
        [
            phq9(20, day(-13)),
            phq9(6, day(-5)),
            *(mood(9, day(-d)) for d in (9, 8, 7)),
            *(mood(4, day(-d)) for d in (2, 1, 0.1)),
        ],
    )
    phone = await make_client("p1@a.test")
    standing = (await phone.get(f"/api/patients/{patient_id}/today")).json()["standing"]
    assert (standing["status"], standing["cause"]) == ("waning", "mood")

    sent = await phone.post("/api/checkins", json=phq9(8, NOW.isoformat()), headers=checkin_key())
    assert sent.status_code == 201, sent.text
    today = (await phone.get(f"/api/patients/{patient_id}/today")).json()

    assert (today["standing"]["status"], today["standing"]["cause"]) == ("waning", "mood")
    assert "phq9" not in [d["instrument"] for d in today["due"]]


async def test_a_clinician_reads_what_a_patients_app_says_and_other_clinics_cannot(
    make_client, world: World
):
    mine = await make_client("doc@a.test")
    other = await make_client("doc@b.test")
    url = f"/api/patients/{world.patient_a1.id}/today"

    assert (await mine.get(url)).json()["standing"]["status"] == "none"
    assert (await other.get(url)).status_code == 404
    assert (await (await make_client("p2@a.test")).get(url)).status_code == 404
