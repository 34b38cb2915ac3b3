"""The crisis screen over the API: with the patient's profile (`GET /api/me`, which the app keeps
for when it is offline, clinic phone included) and with an item-9 check-in; the phone's time zone
(`X-Time-Zone`) adds the emergency number of the country it is in."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import col

from afterglow.accounts.models import Patient
from conftest import ClientFactory, World, checkin_key

ITEM9 = {"instrument": "phq9", "answers": [1, 1, 1, 1, 1, 1, 1, 1, 1]}


async def test_the_profile_carries_the_crisis_screen_and_clinic_phone_before_any_crisis(
    make_client: ClientFactory, world: World
) -> None:
    admin = await make_client("admin@a.test")
    current = (await admin.get("/api/clinic/settings")).json()
    saved = await admin.put(
        "/api/clinic/settings", json={**current, "clinic_phone": "555 010 0199"}
    )
    assert saved.status_code == 200, saved.text
    patient = await make_client("p2@a.test")  # Europe/London

    crisis = (await patient.get("/api/me")).json()["crisis"]
    staff = (await admin.get("/api/me")).json()

    assert crisis["clinic_phone"]["contact"] == "555 010 0199"
    assert (crisis["lang"], crisis["country"], crisis["here"]) == ("en", "GB", None)
    assert [r["contact"] for r in crisis["resources"]] == ["116 123", "111", "999"]
    assert crisis["title"] == "Please reach out now"
    assert crisis["offline_note"].startswith("You are offline")
    assert crisis["continue_label"] == "Continue"
    assert staff["crisis"] is None


async def test_a_phone_abroad_puts_the_emergency_number_where_it_is_first(
    make_client: ClientFactory, world: World
) -> None:
    patient = await make_client("p2@a.test")  # Europe/London, phone in New York
    abroad = {"X-Time-Zone": "America/New_York"}

    profile = (await patient.get("/api/me", headers=abroad)).json()["crisis"]
    checkin = await patient.post("/api/checkins", json=ITEM9, headers={**checkin_key(), **abroad})
    at_home = (await patient.get("/api/me", headers={"X-Time-Zone": "Europe/London"})).json()

    safety = checkin.json()["safety"]
    for screen in (profile, safety):
        assert screen["here"] == "US"
        assert [(r["label"], r["contact"]) for r in screen["resources"]] == [
            ("Where you are now: call 911 in an emergency", "911"),
            ("Samaritans: call 116 123, free, day or night", "116 123"),
            ("NHS 111: call 111, then choose option 2 for mental health", "111"),
            ("Immediate danger: call 999", "999"),
        ]
        assert screen["not_emergency_care"].endswith("call 911 now.")
    assert safety["item9"] == 1
    assert at_home["crisis"]["here"] is None
    assert [r["contact"] for r in at_home["crisis"]["resources"]] == ["116 123", "111", "999"]


async def test_a_time_zone_that_names_nothing_never_costs_a_check_in(
    make_client: ClientFactory, world: World
) -> None:
    patient = await make_client("p1@a.test")
    for zone in ("America", "Mars/Olympus", "x" * 500, ""):
        checkin = await patient.post(
            "/api/checkins", json=ITEM9, headers={**checkin_key(), "X-Time-Zone": zone}
        )
        assert checkin.status_code == 201, (zone, checkin.text)
        assert checkin.json()["safety"]["here"] is None
        assert checkin.json()["safety"]["resources"][0]["contact"] == "988"


async def test_the_country_set_for_the_patient_wins_over_their_time_zone(
    make_client: ClientFactory, world: World, db
) -> None:
    await db.execute(
        update(Patient).where(col(Patient.id) == world.patient_a1.id).values(country="MX")
    )
    await db.commit()
    patient = await make_client("p1@a.test")  # America/New_York

    crisis = (await patient.get("/api/me", headers={"X-Time-Zone": "America/New_York"})).json()

    assert crisis["crisis"]["country"] == "MX"
    assert crisis["crisis"]["here"] == "US"
    # 911 answers in both: no second line saying the same.
    assert [r["contact"] for r in crisis["crisis"]["resources"]] == ["800 911 2000", "911"]
