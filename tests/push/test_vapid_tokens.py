"""VAPID tokens are signed once per push service and reused until they near expiry (RFC 8292).

Every message goes through the real sender to the loopback push service, which checks each token's
signature and records the headers it came with; the sender's clock is moved, not the wall clock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from afterglow.push.delivery import Device, Outcome, PushSender
from afterglow.push.vapid import load_vapid
from afterglow.settings import Settings
from conftest import Clock
from fake_push_service import BrowserDevice, FakePushService, Received

START = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
SUBJECT = "mailto:push-operations@clinic.example.org"
PAYLOAD = b'{"kind":"daily_mood","title":"How is your mood today?"}'


@pytest.fixture
def vapid_settings(tmp_path: Path) -> Settings:
    # The sender needs only the VAPID key (made in the data folder) and the subject: no database.
    return Settings(
        data_dir=tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}",
        secret_key="test-secret-key-for-vapid-tokens",
        vapid_subject=SUBJECT,
    )


@pytest.fixture
async def other_push_service() -> AsyncIterator[FakePushService]:
    """A second push service on loopback: same host, another port, so another origin."""
    service = await FakePushService().start()
    yield service
    await service.stop()


def device(browser: BrowserDevice, subscription_id: int) -> Device:
    keys = browser.subscription()["keys"]
    return Device(subscription_id, browser.endpoint, keys["p256dh"], keys["auth"])


async def send(sender: PushSender, target: Device) -> None:
    result = await sender.send(target, PAYLOAD, ttl=3600, topic="mood", urgency="normal")
    assert result.outcome is Outcome.DELIVERED, result


def expiry(message: Received) -> datetime:
    return datetime.fromtimestamp(message.vapid_claims["exp"], UTC)


async def test_one_vapid_token_serves_every_message_to_one_push_service_until_it_nears_expiry(
    vapid_settings: Settings, push_service: FakePushService
) -> None:
    phone = device(push_service.device("phone"), 1)
    tablet = device(push_service.device("tablet"), 2)
    clock = Clock(START)
    async with PushSender(load_vapid(vapid_settings), clock=clock) as sender:
        await send(sender, phone)
        await send(sender, tablet)
        first, second = push_service.received
        assert first.headers["authorization"] == second.headers["authorization"]
        assert first.vapid_claims["aud"] == push_service.base_url
        assert first.vapid_claims["sub"] == SUBJECT
        expires = expiry(first)
        assert START < expires <= START + timedelta(hours=24)

        # Two hours before it expires the token is still good for another message.
        clock.set(expires - timedelta(hours=2))
        await send(sender, phone)
        assert push_service.received[-1].headers["authorization"] == first.headers["authorization"]

        # Half an hour before, it is too close: the next message carries a newly signed token,
        # which the push service verified before accepting it.
        clock.set(expires - timedelta(minutes=30))
        await send(sender, phone)
        renewed = push_service.received[-1]
        assert renewed.headers["authorization"] != first.headers["authorization"]
        assert renewed.vapid_claims["aud"] == push_service.base_url
        assert clock.now < expiry(renewed) <= clock.now + timedelta(hours=24)

        await send(sender, tablet)
        latest = push_service.received[-1]
        assert latest.headers["authorization"] == renewed.headers["authorization"]


async def test_each_push_service_gets_a_token_for_its_own_origin(
    vapid_settings: Settings,
    push_service: FakePushService,
    other_push_service: FakePushService,
) -> None:
    assert push_service.base_url != other_push_service.base_url
    phone = device(push_service.device("phone"), 1)
    laptop = device(other_push_service.device("laptop"), 2)
    async with PushSender(load_vapid(vapid_settings), clock=Clock(START)) as sender:
        await send(sender, phone)
        await send(sender, laptop)
        await send(sender, phone)

    to_phone = push_service.received
    [to_laptop] = other_push_service.received
    assert [m.vapid_claims["aud"] for m in to_phone] == [push_service.base_url] * 2
    assert to_laptop.vapid_claims["aud"] == other_push_service.base_url
    assert to_phone[0].headers["authorization"] == to_phone[1].headers["authorization"]
    assert to_laptop.headers["authorization"] != to_phone[0].headers["authorization"]
    assert to_laptop.vapid_key == to_phone[0].vapid_key  # one identity, two audiences
