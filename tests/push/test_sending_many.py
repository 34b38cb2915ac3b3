"""A batch of messages goes out in a bounded number of lanes, each result with its own device.

Every message goes through the real sender to a loopback push service that decrypts it (RFC 8291)
and checks its VAPID token (RFC 8292); this one also counts the requests it holds at once.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from afterglow.push.delivery import Device, Outcome, PushSender, Send
from afterglow.push.vapid import load_vapid
from afterglow.settings import Settings
from fake_push_service import FakePushService, b64url

# Right length and prefix for an uncompressed P-256 point, but not a point on the curve.
OFF_CURVE_KEY = b64url(b"\x04" + b"\x01" * 64)


class CountingPushService(FakePushService):
    """The loopback push service, answering after a while and noting the most requests held."""

    def __init__(self) -> None:
        super().__init__(latency=0.02)
        self.holding = 0
        self.most_held = 0

    async def _push(self, request: web.Request) -> web.Response:
        self.holding += 1
        self.most_held = max(self.most_held, self.holding)
        try:
            return await super()._push(request)
        finally:
            self.holding -= 1


@pytest.fixture
async def counting_service() -> AsyncIterator[CountingPushService]:
    service = CountingPushService()
    await service.start()
    yield service
    await service.stop()


@pytest.fixture
def sender_settings(tmp_path: Path) -> Settings:
    # The sender needs only the VAPID key (made in the data folder): no database.
    return Settings(
        data_dir=tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}",
        secret_key="test-secret-key-for-sending-many",
        vapid_subject="mailto:push-operations@clinic.example.org",
    )


def message(device: Device, number: int) -> Send:
    body = json.dumps({"kind": "daily_mood", "number": number}).encode()
    return Send(device, body, ttl=3600, topic="mood", urgency="normal")


async def test_a_batch_larger_than_the_bound_is_all_delivered_never_more_at_once_than_the_bound(
    sender_settings: Settings, counting_service: CountingPushService
) -> None:
    phones = []
    for number in range(12):
        keys = counting_service.device(f"phone-{number}").subscription()
        phones.append(Device(number, keys["endpoint"], **keys["keys"]))

    async with PushSender(load_vapid(sender_settings), concurrency=3) as sender:
        results = await sender.send_all([message(phone, n) for n, phone in enumerate(phones)])

    assert [r.subscription_id for r in results] == list(range(12))
    assert {r.outcome for r in results} == {Outcome.DELIVERED}
    for number in range(12):
        assert counting_service.payloads(f"phone-{number}") == [
            {"kind": "daily_mood", "number": number}
        ]
    assert counting_service.most_held == 3


async def test_a_device_with_unusable_keys_in_a_batch_fails_alone(
    sender_settings: Settings, push_service: FakePushService
) -> None:
    devices = []
    for number in range(5):
        keys = push_service.device(f"phone-{number}").subscription()["keys"]
        if number == 2:
            keys = {**keys, "p256dh": OFF_CURVE_KEY}
        devices.append(Device(number, f"{push_service.base_url}/push/phone-{number}", **keys))

    async with PushSender(load_vapid(sender_settings), concurrency=2) as sender:
        results = await sender.send_all([message(device, n) for n, device in enumerate(devices)])

    assert [r.outcome for r in results] == [
        Outcome.DELIVERED,
        Outcome.DELIVERED,
        Outcome.UNUSABLE,
        Outcome.DELIVERED,
        Outcome.DELIVERED,
    ]
    assert "ValueError" in (results[2].error or "")
    assert push_service.payloads("phone-2") == []
    assert [len(push_service.payloads(f"phone-{n}")) for n in (0, 1, 3, 4)] == [1, 1, 1, 1]
