"""The triage list: most urgent first, kept current by the writes that change it."""

from datetime import UTC, datetime, timedelta

from conftest import World, checkin_key

NOW = datetime.now(UTC).replace(microsecond=0)


def day(n: float) -> str:
    return (NOW + timedelta(days=n)).isoformat()


def phq9(total: int, when: str, item9: int = 0) -> dict:
    answers = [3] * (total // 3) + ([total % 3] if total % 3 else [])
    answers = answers + [0] * (9 - len(answers))
    if item9:
        answers[8] = item9
    return {"instrument": "phq9", "answers": answers, "taken_at": when}


def responding(moods: list[tuple[float, int]], *, relapse: bool = False) -> dict:
    """Induction ending day -24; baseline 20; nadir 5 and PHQ-9s every 4 days so nothing censors."""
    checkins = [phq9(20, day(-36)), phq9(6, day(-21)), phq9(5, day(-17)), phq9(6, day(-13))]
    checkins += (
        [phq9(15, day(-9)), phq9(16, day(-5))] if relapse else [phq9(5, day(-9)), phq9(6, day(-5))]
    )
    checkins += [
        {"instrument": "mood", "answers": [score], "taken_at": day(d)} for d, score in moods
    ]
    return {
        "infusions": [
            {"given_at": day(d), "route": "iv", "kind": "induction"}
            for d in (-34, -32, -30, -28, -26, -24)
        ],
        "checkins": checkins,
    }


async def add_patient(clinician, name: str) -> int:
    response = await clinician.post("/api/patients", json={"display_name": name, "timezone": "UTC"})
    return response.json()["patient"]["id"]


async def test_the_list_puts_alerts_then_relapse_then_waning_then_silence_before_holding(
    make_client, world: World
):
    clinician = await make_client("doc@a.test")
    steady = [(d, 8) for d in range(-22, -4)]
    waning = add_patient(clinician, "Synthetic Waning")
    silent = add_patient(clinician, "Synthetic Silent")
    holding = add_patient(clinician, "Synthetic Holding")
    waning, silent, holding = await waning, await silent, await holding
    await clinician.post(
        f"/api/patients/{world.patient_a2.id}/history", json=responding(steady, relapse=True)
    )
    await clinician.post(
        f"/api/patients/{waning}/history", json=responding([*steady, (-2, 3), (-1, 4), (-0.1, 3)])
    )
    await clinician.post(f"/api/patients/{silent}/history", json=responding(steady))
    await clinician.post(
        f"/api/patients/{holding}/history", json=responding([*steady, (-1, 8), (-0.1, 9)])
    )
    patient = await make_client("p1@a.test")
    alert = await patient.post(
        "/api/checkins", json=phq9(12, day(0), item9=1) | {"taken_at": None}, headers=checkin_key()
    )
    assert alert.status_code == 201

    listed = (await clinician.get("/api/clinic/patients", params={"sort": "urgency"})).json()
    order = [(p["patient_id"], p["relief_status"]) for p in listed["patients"]]
    assert order[:5] == [
        (world.patient_a1.id, "none"),
        (world.patient_a2.id, "relapsed"),
        (waning, "waning"),
        (silent, "no_recent_data"),  # holding when last heard from, 5 days ago
        (holding, "holding"),
    ]
    assert listed["total"] == 5
    rows = {p["patient_id"]: p for p in listed["patients"]}
    assert rows[world.patient_a1.id]["open_safety_alerts"] == 1
    assert (
        rows[silent]["no_checkin_for_3_days"] is True
        and rows[holding]["no_checkin_for_3_days"] is False
    )
    assert rows[world.patient_a2.id]["latest_phq9"]["score"] == 16
    assert rows[world.patient_a2.id]["change_from_baseline"] == -4
    assert 23 < rows[holding]["days_since_infusion"] < 25


async def test_a_mood_check_in_turns_holding_into_waning_at_once(make_client, world: World):
    clinician = await make_client("doc@a.test")
    await clinician.patch(f"/api/patients/{world.patient_a1.id}", json={"timezone": "UTC"})
    steady = [(d, 8) for d in range(-22, -1)]
    await clinician.post(
        f"/api/patients/{world.patient_a1.id}/history", json=responding([*steady, (-1, 4)])
    )
    before = (await clinician.get("/api/clinic/patients")).json()["patients"]
    assert {p["patient_id"]: p["relief_status"] for p in before}[world.patient_a1.id] == "holding"
    patient = await make_client("p1@a.test")
    response = await patient.post(
        "/api/checkins", json={"instrument": "mood", "answers": [3]}, headers=checkin_key()
    )
    assert response.status_code == 201
    after = {
        p["patient_id"]: p for p in (await clinician.get("/api/clinic/patients")).json()["patients"]
    }
    assert after[world.patient_a1.id]["relief_status"] == "waning"
    assert after[world.patient_a1.id]["last_checkin_at"] == response.json()["taken_at"]


async def test_acknowledging_the_alert_moves_the_patient_down(make_client, world: World):
    patient = await make_client("p2@a.test")
    await patient.post(
        "/api/checkins", json=phq9(12, day(0), item9=1) | {"taken_at": None}, headers=checkin_key()
    )
    clinician = await make_client("doc@a.test")
    first = (await clinician.get("/api/clinic/patients")).json()["patients"][0]
    assert (first["patient_id"], first["open_safety_alerts"]) == (world.patient_a2.id, 1)
    alert_id = (await clinician.get("/api/alerts")).json()[0]["id"]
    await clinician.post(f"/api/alerts/{alert_id}/ack", json={"note": "Called, safe."})
    rows = {
        p["patient_id"]: p for p in (await clinician.get("/api/clinic/patients")).json()["patients"]
    }
    assert rows[world.patient_a2.id]["open_safety_alerts"] == 0


async def test_the_list_pages_filters_and_stays_in_the_clinic(make_client, world: World):
    clinician = await make_client("doc@a.test")
    page = (
        await clinician.get(
            "/api/clinic/patients", params={"limit": 1, "offset": 1, "sort": "name"}
        )
    ).json()
    assert (page["total"], [p["display_name"] for p in page["patients"]]) == (2, ["Patient A2"])
    found = (await clinician.get("/api/clinic/patients", params={"q": "a1"})).json()
    assert [p["display_name"] for p in found["patients"]] == ["Patient A1"]
    other = (await (await make_client("doc@b.test")).get("/api/clinic/patients")).json()
    assert [p["display_name"] for p in other["patients"]] == ["Patient B1"]
    assert (await (await make_client("p1@a.test")).get("/api/clinic/patients")).status_code == 403
