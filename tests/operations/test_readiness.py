"""`/api/ready` depends on the reminder tick only where it runs, so a dead worker never takes
web instances out of service; the tick's staleness shows in the metrics instead."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from datetime import timedelta

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.app import create_app
from afterglow.clock import utcnow
from afterglow.health import TICK_STALLED_AFTER
from afterglow.reminders.models import ReminderPlan
from afterglow.reminders.service import reminder_plan
from afterglow.settings import Settings
from afterglow.worker import ReminderTick
from conftest import Clock, World, add_urgent_alert

TOKEN = "synthetic-metrics-token-0123456789"


async def ready_and_metrics(settings: Settings) -> tuple[httpx.Response, str]:
    app = create_app(dataclasses.replace(settings, metrics_token=TOKEN))
    async with (
        app.lifespan(),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver.local"
        ) as client,
    ):
        ready = await client.get("/api/ready")
        metrics = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    await app.state.engine.dispose()
    return ready, metrics.text


async def test_ready_on_an_instance_with_the_scheduler_off_ignores_a_dead_tick(
    db: AsyncSession, world: World, settings: Settings
) -> None:
    # No tick has run anywhere for hours: a reminder and an escalation are long overdue.
    now = utcnow()
    await reminder_plan(db, world.patient_a1, now)
    await db.execute(
        update(ReminderPlan)
        .where(col(ReminderPlan.patient_id) == world.patient_a1.id)
        .values(next_fire_at=now - timedelta(hours=3))
    )
    await db.commit()
    await add_urgent_alert(db, world, now - timedelta(hours=5), now - timedelta(hours=4))
    ready, metrics = await ready_and_metrics(dataclasses.replace(settings, scheduler=False))
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready"}
    # The operator learns of the dead worker from the backlog, on any instance.
    backlog = {
        line.split("{")[1].split("}")[0]: float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("afterglow_tick_backlog_age_seconds{")
    }
    assert backlog['work="reminder_plans"'] >= 3 * 3600
    assert backlog['work="alert_escalations"'] >= 4 * 3600


async def test_ready_on_an_instance_that_runs_the_tick_reports_it(settings: Settings) -> None:
    ready, _ = await ready_and_metrics(
        dataclasses.replace(settings, scheduler=True, tick_seconds=3600)
    )
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "reminder_tick": "running"}


async def test_a_tick_that_finished_nothing_for_minutes_is_stalled_until_one_finishes(
    world: World, make_tick: Callable[[Clock], ReminderTick]
) -> None:
    clock = Clock(utcnow())
    tick = make_tick(clock)
    assert not tick.stalled(clock.now, TICK_STALLED_AFTER)
    clock.set(clock.now + TICK_STALLED_AFTER + timedelta(seconds=1))
    assert tick.stalled(clock.now, TICK_STALLED_AFTER)
    await tick()
    assert not tick.stalled(clock.now, TICK_STALLED_AFTER)


async def test_an_instance_that_stops_leaves_none_of_its_jobs_running(settings: Settings) -> None:
    app = create_app(dataclasses.replace(settings, scheduler=True, tick_seconds=3600))
    before = asyncio.all_tasks()
    async with app.lifespan():
        # The three jobs start at once; stop while their first runs are still in the database.
        for _ in range(3):
            await asyncio.sleep(0)
        started = asyncio.all_tasks() - before
        assert [task for task in started if not task.done()], "no job run was going"
    still_running = [task for task in started if not task.done()]
    await app.state.engine.dispose()
    assert still_running == []
