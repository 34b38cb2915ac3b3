"""Sending one encrypted message to one device's push service, and what its answer means.

One shared aiohttp session (connections kept open and reused) and a bound on messages in
flight. Each message is encrypted here (RFC 8291 aes128gcm, a new ECDH key per message; the
same bytes `http_ece` makes, at less than half its CPU) and posted as it is: pywebpush's wrapper
would copy the subscription, parse its keys and build its headers anew for every message. The VAPID token (RFC 8292) is signed once per
push-service origin and reused for every message to it until an hour before it expires. How an
answer is judged is a pure function (`outcome_of`), so the rules are tested without a network.
Whatever goes wrong with one device is that device's result, never an exception: one bad device
must not stop the messages of others.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import logging
import os
import struct
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum
from types import TracebackType
from urllib.parse import urlsplit

import aiohttp
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from afterglow.clock import utcnow
from afterglow.push.vapid import VapidIdentity

log = logging.getLogger(__name__)

# How long a VAPID token is valid: well inside RFC 8292's 24 h, as pywebpush itself chooses.
TOKEN_LIFETIME = timedelta(hours=12)
# A token is replaced this long before it expires, so no message leaves with a token that could
# expire on its way (a slow request, a push service whose clock runs ahead).
TOKEN_RENEW_BEFORE = timedelta(hours=1)


class Outcome(StrEnum):
    DELIVERED = "delivered"  # 201/202: the push service has it and will deliver within the TTL
    GONE = "gone"  # 404/410: the device unsubscribed; delete the subscription
    RATE_LIMITED = "rate_limited"  # 429: wait for Retry-After, then try again
    RETRY = "retry"  # 5xx, timeouts, connection errors: back off and try again
    REJECTED = "rejected"  # 400/403/413...: our configuration or payload; retrying won't help
    # Raised before any answer, not a network error: the device's keys or endpoint cannot be
    # used (a key off the curve, credentials in the URL...). Retrying won't help; repeated, it
    # marks the device broken.
    UNUSABLE = "unusable"


@dataclass(frozen=True)
class Device:
    """Where and how to reach one subscribed browser."""

    subscription_id: int
    endpoint: str
    p256dh: str
    auth: str


@dataclass(frozen=True)
class Send:
    """One message to one device."""

    device: Device
    payload: bytes
    ttl: int
    topic: str
    urgency: str


@dataclass(frozen=True)
class DeviceResult:
    subscription_id: int
    outcome: Outcome
    status: int | None = None
    # Seconds the push service asked us to wait (429, sometimes 503).
    retry_after: float | None = None
    error: str | None = None


def outcome_of(status: int) -> Outcome:
    """What a push service's HTTP status means for this message and this subscription."""
    if status in (200, 201, 202):
        return Outcome.DELIVERED
    if status in (404, 410):
        return Outcome.GONE
    if status == 429:
        return Outcome.RATE_LIMITED
    if status >= 500 or status == 408:
        return Outcome.RETRY
    return Outcome.REJECTED


def retry_after_seconds(header: str | None, now: datetime) -> float | None:
    """Retry-After as seconds: either a number of seconds or an HTTP date."""
    if not header:
        return None
    header = header.strip()
    if header.isdigit():
        return float(header)
    try:
        when = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


class PushSender:
    """Sends Web Push messages over one aiohttp session, at most `concurrency` at a time.

    Use as an async context manager (or call `close()`). A push service that answered 429 is left
    alone until its Retry-After has passed: messages for it meanwhile come back RATE_LIMITED
    without a request. `clock` dates the VAPID tokens (their `exp`, and when to sign anew).
    """

    def __init__(
        self,
        vapid: VapidIdentity,
        *,
        concurrency: int = 200,
        timeout_seconds: float = 10.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.vapid = vapid
        self.timeout_seconds = timeout_seconds
        self.clock = clock
        self._concurrency = concurrency
        self._slots = asyncio.Semaphore(concurrency)
        self._session: aiohttp.ClientSession | None = None
        self._resting_until: dict[str, float] = {}
        # Per push-service origin: the Authorization header, and when to stop using it.
        self._tokens: dict[str, tuple[str, datetime]] = {}

    async def __aenter__(self) -> PushSender:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def authorization(self, origin: str) -> str:
        """The VAPID Authorization header for `origin`, signed anew only when it nears expiry."""
        now = self.clock()
        cached = self._tokens.get(origin)
        if cached is not None and now < cached[1]:
            return cached[0]
        expires_at = now + TOKEN_LIFETIME
        # Signing is synchronous: concurrent sends to one origin cannot both miss the cache.
        header = self.vapid.authorization(origin, expires_at)
        self._tokens[origin] = (header, expires_at - TOKEN_RENEW_BEFORE)
        return header

    def _shared_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._concurrency),
                # Push services set no cookies worth keeping; a jar costs time on every request.
                cookie_jar=aiohttp.DummyCookieJar(),
                timeout=aiohttp.ClientTimeout(total=self.timeout_seconds),
            )
        return self._session

    async def send_all(self, sends: Sequence[Send]) -> list[DeviceResult]:
        """Send each message, in as many lanes as may be in flight; results in the same order.

        A lane takes the next message when its last one is answered: a batch of thousands costs
        as many tasks as lanes, not one task (and one wait on the bound) per message.
        """
        results: list[DeviceResult | None] = [None] * len(sends)
        waiting = iter(enumerate(sends))

        async def lane() -> None:
            for index, s in waiting:
                results[index] = await self.send(
                    s.device, s.payload, ttl=s.ttl, topic=s.topic, urgency=s.urgency
                )

        await asyncio.gather(*(lane() for _ in range(min(len(sends), self._concurrency))))
        return [result for result in results if result is not None]

    async def send(
        self, device: Device, payload: bytes, *, ttl: int, topic: str, urgency: str
    ) -> DeviceResult:
        """Send one message to one device; never raises (but for cancellation)."""
        try:
            return await self._send(device, payload, ttl=ttl, topic=topic, urgency=urgency)
        except Exception as error:
            return _unusable(device, error)

    async def _send(
        self, device: Device, payload: bytes, *, ttl: int, topic: str, urgency: str
    ) -> DeviceResult:
        origin = _origin(device.endpoint)
        resting = self._resting_until.get(origin)
        if resting is not None:
            wait = resting - time.monotonic()
            if wait > 0:
                return DeviceResult(device.subscription_id, Outcome.RATE_LIMITED, 429, wait)
            del self._resting_until[origin]
        async with self._slots:
            result = await self._post(
                device, origin, payload, ttl=ttl, topic=topic, urgency=urgency
            )
        if result.outcome is Outcome.RATE_LIMITED:
            self._resting_until[origin] = time.monotonic() + (result.retry_after or 60.0)
        return result

    async def _post(
        self, device: Device, origin: str, payload: bytes, *, ttl: int, topic: str, urgency: str
    ) -> DeviceResult:
        headers = {
            "TTL": str(ttl),
            "Content-Encoding": "aes128gcm",
            "Topic": topic,
            "Urgency": urgency,
            "Authorization": self.authorization(origin),
        }
        # Before any request: keys that cannot be used raise here, this device's result.
        body = encrypt(payload, device)
        try:
            # A push service does not redirect; following one would send our token elsewhere.
            async with self._shared_session().post(
                device.endpoint, data=body, headers=headers, allow_redirects=False
            ) as response:
                # Read to the end, so that the connection can carry the next message.
                await response.read()
                status = response.status
                if status in (200, 201, 202):
                    return DeviceResult(device.subscription_id, Outcome.DELIVERED, status)
                # The body is not kept: a push service may echo the request in it.
                reason = f"Push failed: {status} {response.reason or ''}".strip()
                retry_after = response.headers.get("Retry-After")
        except aiohttp.InvalidURL as error:
            return _unusable(device, error)
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            return DeviceResult(
                device.subscription_id,
                Outcome.RETRY,
                error=f"{type(error).__name__}: {error}"[:300] or "timeout",
            )
        outcome = outcome_of(status)
        if outcome is Outcome.REJECTED:
            log.error(
                "push service %s refused a message with %s: check the VAPID key and subject "
                "(AFTERGLOW_VAPID_PRIVATE_KEY, AFTERGLOW_VAPID_SUBJECT)",
                origin,
                status,
            )
        return DeviceResult(
            device.subscription_id,
            outcome,
            status,
            retry_after_seconds(retry_after, datetime.now(UTC)),
            reason[:300],
        )


def encrypt(
    payload: bytes,
    device: Device,
    *,
    private_key: ec.EllipticCurvePrivateKey | None = None,
    salt: bytes | None = None,
) -> bytes:
    """The message body for one device: RFC 8291 aes128gcm, with a new ECDH key of our own.

    Byte for byte what `http_ece.encrypt(..., version="aes128gcm")` makes of the same key and
    salt (tests/push/test_encryption.py), without its per-call objects: one ECDH, one public
    key encoding, each HKDF as the two HMACs it is, a one-shot AES-GCM per record. That
    library's own bookkeeping cost as much CPU as the elliptic-curve work, the one cost that
    must be paid per message. `private_key` and `salt` are new for every message unless a test
    gives them.
    """
    private_key = private_key or ec.generate_private_key(ec.SECP256R1())
    salt = os.urandom(16) if salt is None else salt
    receiver = _b64url_decode(device.p256dh)
    sender = private_key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    shared = private_key.exchange(
        ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), receiver)
    )
    # RFC 8291 §3.4: the auth secret and both public keys go into the input keying material.
    ikm = _hkdf(_b64url_decode(device.auth), shared, b"WebPush: info\x00" + receiver + sender, 32)
    # RFC 8188 §2.2: the content key and nonce, from one extract over the message's salt.
    prk = hmac.digest(salt, ikm, "sha256")
    aead = AESGCM(hmac.digest(prk, b"Content-Encoding: aes128gcm\x00\x01", "sha256")[:16])
    nonce = hmac.digest(prk, b"Content-Encoding: nonce\x00\x01", "sha256")[:12]
    records = []
    chunk = RECORD_SIZE - 17  # a delimiter octet and the 16-octet tag per record
    for number, start in enumerate(range(0, len(payload), chunk)):
        last = start + chunk >= len(payload)
        record = payload[start : start + chunk] + (b"\x02" if last else b"\x01")
        records.append(aead.encrypt(_record_nonce(nonce, number), record, None))
    header = salt + struct.pack("!LB", RECORD_SIZE, len(sender)) + sender
    return header + b"".join(records)


RECORD_SIZE = 4096


def _hkdf(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    """HKDF-SHA256 (RFC 5869) of at most one hash length: extract, then one expand block."""
    return hmac.digest(hmac.digest(salt, ikm, "sha256"), info + b"\x01", "sha256")[:length]


def _record_nonce(nonce: bytes, number: int) -> bytes:
    """RFC 8188 §2.3: the record's sequence number XORed into the nonce's last eight octets."""
    if not number:
        return nonce
    (mask,) = struct.unpack("!Q", nonce[4:])
    return nonce[:4] + struct.pack("!Q", number ^ mask)


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _origin(endpoint: str) -> str:
    """scheme://host[:port] of a push endpoint: the VAPID `aud`, and what a 429 rests."""
    parts = urlsplit(endpoint)
    if "@" in parts.netloc:
        # A push service never gives credentials in an endpoint; they must not reach a token.
        raise ValueError("the push endpoint carries credentials")
    return f"{parts.scheme}://{parts.netloc}"


def _unusable(device: Device, error: Exception) -> DeviceResult:
    log.warning(
        "push device %s could not be sent to (%s)",
        device.subscription_id,
        type(error).__name__,
        exc_info=error,
    )
    detail = _without_endpoint(f"{type(error).__name__}: {error}", device.endpoint)
    return DeviceResult(
        device.subscription_id,
        Outcome.UNUSABLE,
        error=f"device {device.subscription_id} could not be sent to: {detail}"[:300],
    )


def _without_endpoint(text: str, endpoint: str) -> str:
    """The error text without the endpoint, nor any credentials it carries, to keep on record."""
    text = text.replace(endpoint, "<endpoint>")
    try:
        parts = urlsplit(endpoint)
        secrets = [parts.password, parts.username]
    except ValueError:
        secrets = []
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
