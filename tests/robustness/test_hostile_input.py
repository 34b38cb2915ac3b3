"""No input is a 500: malformed bodies, folder names for zones, ids and offsets past what a
database column holds, times at the edge of the calendar. Each is a 400 that names the field."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute

from conftest import World, checkin_key

BIG = [2**31, 2**63, 2**70]
EDGE_TIMES = ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"]
MOOD = {"instrument": "mood", "answers": [5]}
SCHEDULE = {"daily_mood_at": "09:00", "weekly_phq9": None, "weekly_gad7": None}


def assert_names_field(response: httpx.Response, field: str) -> None:
    assert response.status_code == 400, (response.status_code, response.text)
    body = response.json()
    keys = [str(e.get("key")) for e in body.get("extra") or [] if isinstance(e, dict)]
    assert any(key.endswith(field) for key in keys) or field in body["detail"], body


async def test_a_cors_preflight_on_a_guarded_route_answers_like_any_other(make_client, world):
    client = await make_client()
    response = await client.options(
        "/api/staff",
        headers={"Origin": "https://elsewhere.test", "Access-Control-Request-Method": "GET"},
    )
    assert response.status_code == 204, response.text
    assert "OPTIONS" in response.headers["allow"]


def _concrete(path: str) -> str:
    path = re.sub(r"\{[a-z_]+:int\}", "1", path)
    return re.sub(r"\{[a-z_]+(:[a-z]+)?\}", "x", path)


async def test_a_cors_preflight_is_not_a_500_on_any_route(
    make_client, world, running_app: Litestar
):
    signed_out = await make_client()
    patient = await make_client("p1@a.test")
    paths = [_concrete(r.path) for r in running_app.routes if isinstance(r, HTTPRoute)]
    for client in (signed_out, patient):
        for path in paths:
            response = await client.options(
                path,
                headers={
                    "Origin": "https://elsewhere.test",
                    "Access-Control-Request-Method": "PUT",
                },
            )
            assert response.status_code < 500, (path, response.status_code)


@pytest.mark.parametrize(
    "body",
    [
        b'{"email": "\xff\xfe@a.test", "password": "x"}',
        b'{"email": "p1@a.test", "password": "\xc3\x28"}',
    ],
)
async def test_invalid_utf8_on_sign_in_is_a_400_naming_the_body(client, body: bytes):
    response = await client.post(
        "/api/auth/login", content=body, headers={"content-type": "application/json"}
    )
    assert_names_field(response, "body")


async def test_very_deeply_nested_json_on_sign_in_is_a_400_naming_the_body(client):
    nested = b"[" * 100_000 + b"]" * 100_000
    response = await client.post(
        "/api/auth/login",
        content=b'{"email": ' + nested + b', "password": "x"}',
        headers={"content-type": "application/json"},
    )
    assert_names_field(response, "body")


async def test_any_json_body_that_cannot_be_decoded_is_a_400(make_client, world: World):
    patient = await make_client("p1@a.test")
    for body in (b'{"instrument": "\xff"}', b"[" * 100_000):
        response = await patient.post(
            "/api/checkins",
            content=body,
            headers={"content-type": "application/json", **checkin_key()},
        )
        assert_names_field(response, "body")


@pytest.mark.parametrize("zone", ["America", "Europe", "posix/Europe/London", "../etc"])
async def test_a_time_zone_that_names_a_folder_is_a_400_naming_the_field(
    make_client, world: World, zone: str
):
    clinician = await make_client("doc@a.test")
    patient = await make_client("p1@a.test")
    pid = world.patient_a1.id
    answers = [
        await clinician.post("/api/patients", json={"display_name": "Synth", "timezone": zone}),
        await clinician.patch(f"/api/patients/{pid}", json={"timezone": zone}),
        await clinician.put(f"/api/patients/{pid}/reminders", json={**SCHEDULE, "timezone": zone}),
        await patient.put("/api/me/reminders", json={**SCHEDULE, "timezone": zone}),
    ]
    for response in answers:
        assert_names_field(response, "timezone")


@pytest.mark.parametrize("big", BIG)
async def test_path_ids_beyond_what_the_database_holds_are_a_400_naming_the_id(
    make_client, world: World, big: int
):
    clinician = await make_client("doc@a.test")
    admin = await make_client("admin@a.test")
    pid = world.patient_a1.id
    calls: list[tuple[httpx.AsyncClient, str, str, Any, str]] = [
        (clinician, "GET", f"/api/patients/{big}", None, "patient_id"),
        (clinician, "PATCH", f"/api/patients/{big}", {"display_name": "X"}, "patient_id"),
        (clinician, "POST", f"/api/patients/{big}/enrollment", None, "patient_id"),
        (clinician, "GET", f"/api/patients/{big}/checkins", None, "patient_id"),
        (clinician, "POST", f"/api/patients/{big}/history", {}, "patient_id"),
        (clinician, "GET", f"/api/patients/{big}/infusions", None, "patient_id"),
        (clinician, "PATCH", f"/api/patients/{pid}/infusions/{big}", {}, "infusion_id"),
        (
            clinician,
            "POST",
            f"/api/patients/{pid}/infusions/{big}/entered-in-error",
            {},
            "infusion_id",
        ),
        (clinician, "PATCH", f"/api/patients/{pid}/events/{big}", {}, "event_id"),
        (clinician, "POST", f"/api/patients/{pid}/events/{big}/entered-in-error", {}, "event_id"),
        (clinician, "GET", f"/api/patients/{big}/relief", None, "patient_id"),
        (clinician, "GET", f"/api/patients/{big}/trends?instrument=phq9", None, "patient_id"),
        (clinician, "GET", f"/api/patients/{big}/reminders", None, "patient_id"),
        (clinician, "GET", f"/api/patients/{big}/reminders/sends", None, "patient_id"),
        (clinician, "PUT", f"/api/patients/{big}/reminders", SCHEDULE, "patient_id"),
        (clinician, "GET", f"/api/alerts/{big}", None, "alert_id"),
        (clinician, "POST", f"/api/alerts/{big}/ack", {"note": "called"}, "alert_id"),
        (admin, "PATCH", f"/api/staff/{big}", {"is_active": False}, "user_id"),
    ]
    for client, method, url, body, field in calls:
        response = await client.request(method, url, json=body)
        assert_names_field(response, field)


@pytest.mark.parametrize("big", BIG)
async def test_a_huge_id_on_push_device_deletion_is_a_400_naming_the_id(
    make_client, world: World, big: int
):
    patient = await make_client("p1@a.test")
    response = await patient.delete(f"/api/push/subscriptions/{big}")
    assert_names_field(response, "subscription_id")


@pytest.mark.parametrize("big", BIG)
async def test_query_and_body_ids_beyond_what_the_database_holds_are_a_400(
    make_client, world: World, big: int
):
    clinician = await make_client("doc@a.test")
    admin = await make_client("admin@a.test")
    assert_names_field(await clinician.get(f"/api/alerts?patient_id={big}"), "patient_id")
    assert_names_field(await admin.get(f"/api/audit?patient_id={big}"), "patient_id")
    assert_names_field(await admin.get(f"/api/audit?actor_user_id={big}"), "actor_user_id")
    settings = (await admin.get("/api/clinic/settings")).json()
    response = await admin.put("/api/clinic/settings", json={**settings, "on_call_user_id": big})
    assert_names_field(response, "on_call_user_id")


@pytest.mark.parametrize("big", BIG)
async def test_huge_offsets_are_a_400_naming_the_offset(make_client, world: World, big: int):
    clinician = await make_client("doc@a.test")
    admin = await make_client("admin@a.test")
    pid = world.patient_a1.id
    for client, url in [
        (clinician, "/api/patients"),
        (clinician, "/api/alerts"),
        (clinician, "/api/clinic/patients"),
        (clinician, f"/api/patients/{pid}/reminders/sends"),
        (admin, "/api/audit"),
    ]:
        assert_names_field(await client.get(url, params={"offset": big}), "offset")


@pytest.mark.parametrize("when", EDGE_TIMES)
async def test_times_at_the_edge_of_the_calendar_are_a_400_naming_the_field(
    make_client, world: World, when: str
):
    clinician = await make_client("doc@a.test")
    patient = await make_client("p1@a.test")
    admin = await make_client("admin@a.test")
    pid = world.patient_a1.id
    infusion = {"route": "iv", "kind": "induction"}
    created = await clinician.post(
        f"/api/patients/{pid}/infusions", json={**infusion, "given_at": "2026-11-20T10:00:00Z"}
    )
    assert created.status_code == 201, created.text
    infusion_id = created.json()["id"]
    checkin = await patient.post(
        "/api/checkins", json={**MOOD, "taken_at": when}, headers=checkin_key()
    )
    assert_names_field(checkin, "taken_at")
    assert_names_field(
        await clinician.post(f"/api/patients/{pid}/infusions", json={**infusion, "given_at": when}),
        "given_at",
    )
    assert_names_field(
        await clinician.patch(
            f"/api/patients/{pid}/infusions/{infusion_id}", json={"given_at": when}
        ),
        "given_at",
    )
    assert_names_field(
        await clinician.post(
            f"/api/patients/{pid}/events", json={"kind": "medication_change", "occurred_at": when}
        ),
        "occurred_at",
    )
    history = {
        "checkins": [{**MOOD, "taken_at": when}],
        "infusions": [{**infusion, "given_at": when}],
        "events": [{"kind": "medication_change", "at": when}],
    }
    assert_names_field(
        await clinician.post(f"/api/patients/{pid}/history", json=history), "taken_at"
    )
    for field in ("since", "until"):
        for client, url in [
            (clinician, f"/api/patients/{pid}/checkins"),
            (clinician, f"/api/patients/{pid}/trends?instrument=phq9"),
            (admin, "/api/audit"),
        ]:
            assert_names_field(await client.get(url, params={field: when}), field)
