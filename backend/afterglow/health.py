"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

import msgspec
from litestar import Controller, Response, get
from litestar.status_codes import HTTP_503_SERVICE_UNAVAILABLE
from sqlalchemy import text

from afterglow.accounts.auth import PUBLIC
from afterglow.http import Engine


class Status(msgspec.Struct):
    status: str


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
        summary="The database answers",
        description="503 while the database cannot be reached: use it for readiness.",
    )
    async def ready(self, db_engine: Engine) -> Response[Status]:
        try:
            async with db_engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:
            return Response(
                Status("database unreachable"), status_code=HTTP_503_SERVICE_UNAVAILABLE
            )
        return Response(Status("ready"))
