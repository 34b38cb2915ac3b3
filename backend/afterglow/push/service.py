"""Registering and removing a user's push devices."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.accounts.models import User
from afterglow.accounts.viewer import Viewer
from afterglow.audit.service import record_audit, record_operator_audit
from afterglow.errors import NotFound, conflict, invalid
from afterglow.push.models import PushSubscription
from afterglow.push.outbox import Notification, queue_notifications
from afterglow.push.schemas import SubscriptionIn
from afterglow.reminders.service import devices_changed


def checked_endpoint(endpoint: str, allowed_hosts: tuple[str, ...]) -> str:
    """A push service URL: https, on a known push service's host (see AFTERGLOW_PUSH_HOSTS).

    The server will POST to this URL, so an arbitrary one would let a user aim it at internal
    services. Plain http is accepted only for loopback hosts listed explicitly (tests, local dev).
    Anything a push client would refuse at send time (credentials, a bad port) is refused here.
    """
    if any(ch.isspace() or not ch.isprintable() for ch in endpoint):
        raise invalid("endpoint", "a push endpoint has no spaces or control characters")
    try:
        parts = urlsplit(endpoint)
        parts.port  # noqa: B018 - reading it is what checks it
    except ValueError:
        raise invalid(
            "endpoint", "not a URL; send the endpoint the browser's pushManager.subscribe() gave"
        ) from None
    if "@" in parts.netloc:
        raise invalid("endpoint", "a push endpoint carries no user name or password (user:pass@)")
    host = (parts.hostname or "").lower()
    listed = any(host == h or host.endswith("." + h) for h in allowed_hosts)
    if not listed:
        raise invalid(
            "endpoint",
            f"{host or endpoint!r} is not a known push service; "
            "send the endpoint the browser's pushManager.subscribe() gave",
        )
    if parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(host)):
        return endpoint
    raise invalid("endpoint", "a push endpoint must be an https URL")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def checked_p256dh(value: str) -> str:
    """The browser's public key: an uncompressed point on P-256, as base64url without padding.

    A key off the curve cannot be encrypted to: every message to the device would fail.
    """
    raw = _key_bytes("keys.p256dh", value, 65)
    if raw[0] != 4:
        raise invalid("keys.p256dh", "must be an uncompressed P-256 point (its first byte 0x04)")
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError:
        raise invalid("keys.p256dh", "is not a point on the P-256 curve") from None
    return _base64url(raw)


def checked_auth(value: str) -> str:
    """The browser's auth secret: 16 bytes, as base64url without padding."""
    return _base64url(_key_bytes("keys.auth", value, 16))


def _key_bytes(field: str, value: str, length: int) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise invalid(field, "is not base64url, as PushSubscription.toJSON() gives it") from None
    if len(raw) != length:
        raise invalid(field, f"must decode to {length} bytes, not {len(raw)}")
    return raw


def _base64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass(frozen=True)
class Registration:
    device: PushSubscription
    created: bool  # new to this user
    moved_from_user_id: int | None  # the user it belonged to until now, if another


async def register_device(
    db: AsyncSession,
    viewer: Viewer,
    data: SubscriptionIn,
    allowed_hosts: tuple[str, ...],
    now: datetime,
) -> Registration:
    """Turn notifications on for the signed-in user's device; audit it when it changes hands.

    A device moving to another account stops notifying its previous user (a clinician's safety
    escalations included), so who took it is recorded; in the previous user's clinic too, when
    that is another clinic, without naming who took it.
    """
    registration = await subscribe_device(db, viewer.user_id, data, allowed_hosts, now)
    previous = registration.moved_from_user_id
    if previous is not None:
        target = f"push_subscription:{registration.device.id}"
        detail = {"from_user_id": previous}
        record_audit(
            db,
            viewer,
            "push.device.move",
            patient_id=viewer.patient_id,
            target=target,
            detail=detail,
        )
        previous_clinic = await db.scalar(
            select(col(User.clinic_id)).where(col(User.id) == previous)
        )
        if previous_clinic is not None and previous_clinic != viewer.clinic_id:
            record_operator_audit(
                db,
                previous_clinic,
                "push.device.move",
                detail=detail,
                actor_role="system",
            )
        await db.flush()
    return registration


async def subscribe_device(
    db: AsyncSession,
    user_id: int,
    data: SubscriptionIn,
    allowed_hosts: tuple[str, ...],
    now: datetime,
) -> Registration:
    """Register a device for the user (unaudited: a signed-in user's goes by `register_device`).

    The same endpoint again updates its keys and label, and repairs it if it was broken. An
    endpoint registered by someone else moves to this user: a browser's subscription belongs
    to whoever signed in on it last.
    """
    endpoint = checked_endpoint(data.endpoint, allowed_hosts)
    p256dh = checked_p256dh(data.keys.p256dh)
    auth = checked_auth(data.keys.auth)
    label = data.device_label.strip() or "This device"
    existing = await db.scalar(
        select(PushSubscription).where(col(PushSubscription.endpoint) == endpoint)
    )
    if existing is not None:
        previous_user = existing.user_id
        existing.user_id, existing.p256dh, existing.auth = user_id, p256dh, auth
        existing.device_label = label
        existing.failure_count, existing.broken_at = 0, None
        await db.flush()
        if previous_user == user_id:
            return Registration(existing, False, None)
        await devices_changed(db, previous_user, now)
        await devices_changed(db, user_id, now)
        return Registration(existing, True, previous_user)
    device = PushSubscription(
        user_id=user_id,
        endpoint=endpoint,
        p256dh=p256dh,
        auth=auth,
        device_label=label,
        created_at=now,
    )
    db.add(device)
    await db.flush()
    await devices_changed(db, user_id, now)
    return Registration(device, True, None)


async def user_devices(db: AsyncSession, user_id: int) -> list[PushSubscription]:
    rows = await db.execute(
        select(PushSubscription)
        .where(col(PushSubscription.user_id) == user_id)
        .order_by(col(PushSubscription.created_at), col(PushSubscription.id))
    )
    return list(rows.scalars())


async def unsubscribe_device(
    db: AsyncSession, user_id: int, subscription_id: int, now: datetime
) -> None:
    device = await db.get(PushSubscription, subscription_id)
    if device is None or device.user_id != user_id:
        raise NotFound(f"No device {subscription_id} of yours.")
    await db.delete(device)
    await db.flush()
    await devices_changed(db, user_id, now)


TEST_NOTIFICATION_LIFETIME = timedelta(minutes=30)


async def queue_test_notification(db: AsyncSession, viewer: Viewer, now: datetime) -> int:
    """A notification to every working device of a staff member, so that they can see alerts
    will reach them; sent by the next tick like any other. Returns how many devices it goes to.
    """
    devices = [d for d in await user_devices(db, viewer.user_id) if d.broken_at is None]
    if not devices:
        raise conflict(
            "None of your devices has notifications on: turn them on for this device first."
        )
    await queue_notifications(
        db,
        [
            Notification(
                recipient_user_id=viewer.user_id,
                patient_id=None,
                kind="test",
                send_key=f"test-{uuid.uuid4().hex}",
                payload={
                    "title": "Afterglow test notification",
                    "body": "Safety alerts will reach this device.",
                    "url": "/clinic/#/notifications",
                    "kind": "test",
                    "tag": "afterglow-test",
                    "lang": "en",
                },
                topic="test",
                urgency="normal",
                fire_at=now,
                expires_at=now + TEST_NOTIFICATION_LIFETIME,
            )
        ],
    )
    record_audit(db, viewer, "push.test", detail={"count": len(devices)})
    return len(devices)
