"""The push side of the browser tests: a loopback push service and the real reminder tick.

Playwright's sync API keeps an event loop in the test's thread, so the fake push service
(tests/fake_push_service.py) and the tick run on their own loop in a background thread. The tick
opens the e2e server's database and VAPID key (same data folder), as `afterglow worker` would.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from datetime import datetime
from typing import Any, TypeVar

from afterglow.db import create_engine
from afterglow.mail import Mailer
from afterglow.push.delivery import PushSender
from afterglow.push.vapid import load_vapid
from afterglow.settings import Settings
from afterglow.worker import ReminderTick, TickReport
from fake_push_service import BrowserDevice, FakePushService, Received

T = TypeVar("T")


class LoopbackPush:
    """A push service on 127.0.0.1 and reminder ticks, on an event loop of their own."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="e2e-push-loop", daemon=True
        )
        self._thread.start()
        self.service = self._run(FakePushService().start())

    def _run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout=60)

    def device(self, name: str) -> BrowserDevice:
        """A phone's side of a subscription: its endpoint is `/push/<name>` on this service."""
        return self.service.device(name)

    def received(self, device: BrowserDevice) -> list[tuple[Received, bytes]]:
        """What the service accepted for this device: decrypted and parsed, and the plaintext."""
        return [
            (message, message.plaintext)
            for message in self.service.received
            if message.device == device.name
        ]

    def tick(self, server_env: dict[str, str], at: datetime) -> TickReport:
        """One real reminder tick on the server's database at `at`, signing with its VAPID key."""
        return self._run(_tick_once(Settings.from_env(server_env), at))

    def close(self) -> None:
        self._run(self.service.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()


async def _tick_once(settings: Settings, at: datetime) -> TickReport:
    engine = create_engine(settings)
    try:
        async with PushSender(load_vapid(settings)) as sender:
            # Escalation emails go where the environment's AFTERGLOW_SMTP_* say (none: not sent).
            mailer = Mailer.from_settings(settings)
            return await ReminderTick(engine, sender, clock=lambda: at, mailer=mailer)()
    finally:
        await engine.dispose()
