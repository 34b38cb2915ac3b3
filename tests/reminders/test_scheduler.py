"""The tick runs by itself inside the app, and as `afterglow worker`, unless switched off."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from afterglow.app import create_app
from afterglow.clock import utcnow
from afterglow.settings import Settings
from conftest import World, add_device, add_urgent_alert
from fake_push_service import FakePushService


async def overdue_alert(db: AsyncSession, world: World) -> None:
    """An urgent item-9 alert whose acknowledgement window ran out a minute ago."""
    now = utcnow()
    await add_urgent_alert(db, world, now - timedelta(hours=2), now - timedelta(minutes=1))


async def wait_for(condition, seconds: float = 15.0) -> bool:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds / 0.1)):
        if condition():
            return True
        await asyncio.sleep(0.1)
    return False


async def test_the_app_ticks_on_its_own_when_the_scheduler_is_on(
    db: AsyncSession, world: World, settings: Settings, push_service: FakePushService
) -> None:
    await add_device(db, push_service, world.clinician_a.id, "doc-phone", utcnow())
    await overdue_alert(db, world)
    app = create_app(dataclasses.replace(settings, scheduler=True, tick_seconds=0.2))
    async with app.lifespan():
        escalated = await wait_for(lambda: len(push_service.received) == 1)
    await app.state.engine.dispose()
    assert escalated
    assert push_service.received[0].payload["kind"] == "alert_escalation"


async def test_no_tick_runs_in_the_app_when_the_scheduler_is_off(
    db: AsyncSession, world: World, settings: Settings, push_service: FakePushService
) -> None:
    await add_device(db, push_service, world.clinician_a.id, "doc-phone", utcnow())
    await overdue_alert(db, world)
    app = create_app(dataclasses.replace(settings, scheduler=False, tick_seconds=0.2))
    async with app.lifespan():
        await asyncio.sleep(1.0)
    await app.state.engine.dispose()
    assert push_service.received == []


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_afterglow_worker_ticks_without_serving_http(
    db: AsyncSession, world: World, settings: Settings, push_service: FakePushService
) -> None:
    await add_device(db, push_service, world.clinician_a.id, "doc-phone", utcnow())
    await overdue_alert(db, world)
    env = {
        **os.environ,
        "AFTERGLOW_DATA_DIR": str(settings.data_dir),
        "AFTERGLOW_DATABASE_URL": settings.database_url,
        "AFTERGLOW_TICK_SECONDS": "0.2",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "afterglow.cli", "worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        delivered = await wait_for(lambda: len(push_service.received) == 1, seconds=30)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=10)[0].decode()
    assert delivered, output
    assert "reminder tick every 0.2 s" in output
