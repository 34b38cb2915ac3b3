"""`GET /metrics` for Prometheus, answered only with the operator's token, and its wiring."""

from __future__ import annotations

import hmac
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.config.app import AppConfig
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.plugins import InitPluginProtocol
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from afterglow.accounts.auth import PUBLIC
from afterglow.http import AppSettings, Engine
from afterglow.operations.metrics import count_response, read_database_facts, scrape_registry


class MetricsController(Controller):
    # Not in the API document: it is for the operator's Prometheus, not for the apps.
    include_in_schema = False

    @get("/metrics", opt=PUBLIC)
    async def metrics(
        self, request: Request[Any, Any, Any], settings: AppSettings, db_engine: Engine
    ) -> Response[bytes]:
        token = settings.metrics_token
        if token is None:
            # Off unless the operator chose a token: the counts tell how busy a clinic is.
            raise NotFoundException()
        supplied = request.headers.get("authorization", "")
        if not hmac.compare_digest(supplied.encode(), f"Bearer {token}".encode()):
            raise NotAuthorizedException(
                detail="Send the metrics token: Authorization: Bearer <AFTERGLOW_METRICS_TOKEN>.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        facts = await read_database_facts(db_engine, request.app.state.clock.now())
        return Response(generate_latest(scrape_registry(facts)), media_type=CONTENT_TYPE_LATEST)


class OperationsPlugin(InitPluginProtocol):
    """Adds `/metrics` and the request counts to the app."""

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.route_handlers.append(MetricsController)
        app_config.before_send.append(count_response)
        return app_config
