"""Turning notifications on and off per device, through the API."""

from __future__ import annotations

import base64

from sqlalchemy import select

from afterglow.push.models import PushSubscription
from afterglow.push.vapid import load_vapid
from afterglow.settings import Settings
from conftest import World, add_device
from fake_push_service import FakePushService, b64url


async def test_anyone_can_read_the_vapid_key_and_it_survives_a_restart(
    client, settings: Settings
) -> None:
    response = await client.get("/api/push/key")
    assert response.status_code == 200
    key = response.json()["public_key"]
    point = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    assert len(point) == 65 and point[0] == 4  # an uncompressed P-256 point
    assert load_vapid(settings).public_key == key  # read back from the data folder


async def test_a_patient_turns_notifications_on_for_two_devices_and_off_for_one(
    make_client, world: World, push_service: FakePushService
) -> None:
    patient = await make_client("p1@a.test")
    phone = await patient.post(
        "/api/push/subscriptions", json=push_service.device("phone").subscription("Pixel")
    )
    tablet = await patient.post(
        "/api/push/subscriptions", json=push_service.device("tablet").subscription("iPad")
    )
    assert phone.status_code == tablet.status_code == 201
    listed = (await patient.get("/api/push/subscriptions")).json()
    assert [d["device_label"] for d in listed] == ["Pixel", "iPad"]
    assert (await patient.get("/api/me/reminders")).json()["push_devices"] == 2

    gone = await patient.delete(f"/api/push/subscriptions/{phone.json()['id']}")
    assert gone.status_code == 204
    listed = (await patient.get("/api/push/subscriptions")).json()
    assert [d["device_label"] for d in listed] == ["iPad"]


async def test_the_same_device_registering_again_is_updated_not_added(
    make_client, world: World, push_service: FakePushService
) -> None:
    patient = await make_client("p1@a.test")
    device = push_service.device("phone")
    first = await patient.post("/api/push/subscriptions", json=device.subscription("Old name"))
    again = await patient.post("/api/push/subscriptions", json=device.subscription("New name"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert [d["device_label"] for d in (await patient.get("/api/push/subscriptions")).json()] == [
        "New name"
    ]


async def test_a_shared_browser_belongs_to_whoever_signed_in_on_it_last(
    make_client, world: World, push_service: FakePushService, db
) -> None:
    device = push_service.device("family-tablet")
    first = await make_client("p1@a.test")
    second = await make_client("p2@a.test")
    await first.post("/api/push/subscriptions", json=device.subscription())
    moved = await second.post("/api/push/subscriptions", json=device.subscription())
    assert moved.status_code == 201
    assert (await first.get("/api/push/subscriptions")).json() == []
    assert len((await second.get("/api/push/subscriptions")).json()) == 1


async def test_an_endpoint_that_is_not_a_push_service_is_refused(
    make_client, world: World, push_service: FakePushService
) -> None:
    patient = await make_client("p1@a.test")
    body = push_service.device("phone").subscription()
    for endpoint in (
        "http://10.0.0.5/admin",
        "https://internal.example.org/push/1",
        "file:///etc/passwd",
    ):
        response = await patient.post(
            "/api/push/subscriptions", json={**body, "endpoint": endpoint}
        )
        assert response.status_code == 400, endpoint
        assert "endpoint" in response.json()["detail"]


async def test_keys_that_are_not_a_browsers_are_refused_with_the_field_named(
    make_client, world: World, push_service: FakePushService
) -> None:
    patient = await make_client("p1@a.test")
    body = push_service.device("phone").subscription()
    short_auth = {**body, "keys": {**body["keys"], "auth": "c2hvcnQ"}}
    response = await patient.post("/api/push/subscriptions", json=short_auth)
    assert response.status_code == 400 and "keys.auth" in response.json()["detail"]
    bad_point = {**body, "keys": {**body["keys"], "p256dh": "A" * 87}}
    response = await patient.post("/api/push/subscriptions", json=bad_point)
    assert response.status_code == 400 and "keys.p256dh" in response.json()["detail"]


async def test_nobody_can_remove_another_users_device(
    make_client, world: World, push_service: FakePushService, db
) -> None:
    await add_device(db, push_service, world.patient_a1.user_id, "phone", world.clinic_a.created_at)
    device_id = (await db.execute(select(PushSubscription.id))).scalar_one()
    other = await make_client("p2@a.test")
    clinician = await make_client("doc@a.test")
    assert (await other.delete(f"/api/push/subscriptions/{device_id}")).status_code == 404
    assert (await clinician.delete(f"/api/push/subscriptions/{device_id}")).status_code == 404
    owner = await make_client("p1@a.test")
    assert len((await owner.get("/api/push/subscriptions")).json()) == 1


async def test_signed_out_visitors_cannot_register_devices(
    client, world: World, push_service: FakePushService
) -> None:
    response = await client.post(
        "/api/push/subscriptions", json=push_service.device("phone").subscription()
    )
    assert response.status_code == 401


async def test_a_key_that_is_not_a_point_on_the_curve_is_refused_at_registration(
    make_client, world: World, push_service: FakePushService
) -> None:
    patient = await make_client("p1@a.test")
    body = push_service.device("phone").subscription()
    off_curve = b64url(b"\x04" + b"\x01" * 64)
    response = await patient.post(
        "/api/push/subscriptions", json={**body, "keys": {**body["keys"], "p256dh": off_curve}}
    )
    assert response.status_code == 400
    assert "keys.p256dh" in response.json()["detail"]
    assert "curve" in response.json()["detail"]
    assert (await patient.get("/api/push/subscriptions")).json() == []


async def test_an_auth_secret_of_the_wrong_size_or_encoding_is_refused_at_registration(
    make_client, world: World, push_service: FakePushService
) -> None:
    patient = await make_client("p1@a.test")
    body = push_service.device("phone").subscription()
    for auth in (b64url(b"x" * 15), b64url(b"x" * 17), b64url(b"x" * 32), "A"):
        response = await patient.post(
            "/api/push/subscriptions", json={**body, "keys": {**body["keys"], "auth": auth}}
        )
        assert response.status_code == 400, auth
        assert "keys.auth" in response.json()["detail"], auth


async def test_an_endpoint_a_push_client_could_not_post_to_is_refused_at_registration(
    make_client, world: World, push_service: FakePushService
) -> None:
    patient = await make_client("p1@a.test")
    body = push_service.device("phone").subscription()
    host = push_service.base_url.removeprefix("http://")
    for endpoint in (
        f"http://user:secret@{host}/push/phone",
        f"http://user@{host}/push/phone",
        f"http://{host.split(':')[0]}:99999/push/phone",
        f"http://{host.split(':')[0]}:port/push/phone",
        "http://[::1/push/phone",
        f"http://{host}/push/ph one",
        f"http://{host}/push/phone\n",
    ):
        response = await patient.post(
            "/api/push/subscriptions", json={**body, "endpoint": endpoint}
        )
        assert response.status_code == 400, endpoint
        assert "endpoint" in response.json()["detail"], endpoint
    assert (await patient.get("/api/push/subscriptions")).json() == []


async def test_keys_are_stored_as_the_browser_gives_them_whether_padded_or_not(
    make_client, world: World, push_service: FakePushService, db
) -> None:
    patient = await make_client("p1@a.test")
    body = push_service.device("phone").subscription()
    padded = {k: v + "=" * (-len(v) % 4) for k, v in body["keys"].items()}
    response = await patient.post("/api/push/subscriptions", json={**body, "keys": padded})
    assert response.status_code == 201
    device = (await db.execute(select(PushSubscription))).scalar_one()
    assert (device.p256dh, device.auth) == (body["keys"]["p256dh"], body["keys"]["auth"])
