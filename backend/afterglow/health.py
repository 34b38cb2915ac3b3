"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.openapi import ResponseSpec
from litestar.status_codes import HTTP_503_SERVICE_UNAVAILABLE
from sqlalchemy import text

from afterglow.accounts.auth import PUBLIC
from afterglow.http import AppSettings, Engine
from afterglow.worker import ReminderTick

# A tick normally finishes within seconds of starting, every AFTERGLOW_TICK_SECONDS.
TICK_STALLED_AFTER = timedelta(minutes=5)


class Status(msgspec.Struct, omit_defaults=True):
    status: str
    # On an instance that runs the tick: "running" or "stalled"; absent where none runs.
    reminder_tick: str | None = None


class HealthController(Controller):
    path = "/api"
    tags = ["Operations"]

    @get(
        "/health",
        opt=PUBLIC,
        operation_id="health",
        policy="public",
        summary="The process is up",
        description="Touches nothing else: use it for liveness.",
    )
    async def health(self) -> Status:
        return Status("ok")

    @get(
        "/ready",
        opt=PUBLIC,
        operation_id="ready",
        policy="public",
        summary="The database answers, and this instance's reminder tick still runs",
        description=(
            "503 while the database cannot be reached, or, on an instance that runs the reminder "
            "tick, when no tick has finished for several minutes. Instances with "
            "AFTERGLOW_SCHEDULER=off never depend on a tick, so a dead worker does not take "
            "web instances out of service: watch `afterglow_tick_backlog_age_seconds` for that."
        ),
        responses={
            HTTP_503_SERVICE_UNAVAILABLE: ResponseSpec(
                data_container=Status,
                description="Not ready: the database, or this instance's reminder tick.",
            )
        },
    )
    async def ready(
        self, request: Request[Any, Any, Any], db_engine: Engine, settings: AppSettings
    ) -> Response[Status]:
        try:
            async with db_engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:
            return Response(
                Status("database unreachable"), status_code=HTTP_503_SERVICE_UNAVAILABLE
            )
        tick: ReminderTick | None = request.app.state.get("tick")
        if tick is None:
            return Response(Status("ready"))
        stalled_after = max(TICK_STALLED_AFTER, timedelta(seconds=10 * settings.tick_seconds))
        if tick.stalled(request.app.state.clock.now(), stalled_after):
            return Response(
                Status("reminder tick stalled", reminder_tick="stalled"),
                status_code=HTTP_503_SERVICE_UNAVAILABLE,
            )
        return Response(Status("ready", reminder_tick="running"))
