"""A push service on loopback for the tests, and browser-side subscriptions that can read it.

Each `BrowserDevice` holds the private key and auth secret a browser would keep; the service
decrypts every message (aes128gcm, RFC 8291) with them and checks the VAPID signature (RFC 8292),
so a test asserts the plaintext a phone would show, not merely that a request was made.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import http_ece
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class BrowserDevice:
    """The browser side of one push subscription."""

    name: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth_secret: bytes = field(default_factory=lambda: os.urandom(16))

    def subscription(self, label: str | None = None) -> dict[str, Any]:
        """What `PushSubscription.toJSON()` gives, plus a device label: the body to register."""
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": self.endpoint,
            "keys": {"p256dh": b64url(point), "auth": b64url(self.auth_secret)},
            "device_label": label or self.name,
        }


@dataclass
class Received:
    """One message the service accepted, decrypted."""

    device: str
    payload: dict[str, Any]
    headers: dict[str, str]  # names in lower case
    vapid_claims: dict[str, Any]
    vapid_key: str
    # The decrypted bytes as they are: what a phone's browser hands its service worker.
    plaintext: bytes


class FakePushService:
    """An aiohttp push service on 127.0.0.1.

    `answer(device, *statuses)` makes the next requests for that device get those statuses
    (with `retry_after` for 429/503); after them it accepts (201). `latency` delays every answer.
    """

    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency
        self.received: list[Received] = []
        self.refused: list[tuple[str, int]] = []
        self.devices: dict[str, BrowserDevice] = {}
        self._scripts: dict[str, deque[tuple[int, str | None]]] = {}
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def start(self) -> FakePushService:
        app = web.Application()
        app.router.add_post("/push/{device}", self._push)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def device(self, name: str) -> BrowserDevice:
        device = BrowserDevice(name, f"{self.base_url}/push/{name}")
        self.devices[name] = device
        return device

    def answer(self, device: str, *statuses: int, retry_after: str | None = None) -> None:
        script = self._scripts.setdefault(device, deque())
        script.extend((status, retry_after) for status in statuses)

    def payloads(self, device: str | None = None) -> list[dict[str, Any]]:
        return [r.payload for r in self.received if device is None or r.device == device]

    async def _push(self, request: web.Request) -> web.Response:
        name = request.match_info["device"]
        body = await request.read()
        if self.latency:
            await asyncio.sleep(self.latency)
        script = self._scripts.get(name)
        if script:
            status, retry_after = script.popleft()
            self.refused.append((name, status))
            headers = {"Retry-After": retry_after} if retry_after else {}
            return web.Response(status=status, headers=headers, text="scripted answer")
        device = self.devices.get(name)
        if device is None:
            return web.Response(status=404, text="no such subscription")
        authorization = request.headers.get("Authorization", "")
        if not Vapid02.verify(authorization):
            return web.Response(status=403, text="bad VAPID signature")
        token = dict(part.split("=", 1) for part in authorization.split(" ", 1)[1].split(","))
        claims = json.loads(b64url_decode(token["t"].split(".")[1]))
        plaintext = http_ece.decrypt(
            body,
            private_key=device.private_key,
            auth_secret=device.auth_secret,
            version="aes128gcm",
        )
        headers = {key.lower(): value for key, value in request.headers.items()}
        self.received.append(
            Received(name, json.loads(plaintext), headers, claims, token["k"], plaintext)
        )
        return web.Response(status=201)
