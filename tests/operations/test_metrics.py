"""`/metrics` for the operator's Prometheus: closed without the token, the series after real work.

Each test runs the app (SQLite and PostgreSQL) and reads the scrape the way Prometheus parses it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
from litestar import Litestar
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncSession

from afterglow.app import create_app
from afterglow.clock import utcnow
from afterglow.settings import Settings
from afterglow.worker import ReminderTick
from conftest import ClientFactory, Clock, World, add_device, add_urgent_alert, checkin_key
from fake_push_service import FakePushService

TOKEN = "synthetic-metrics-token-0123456789"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(dataclasses.replace(settings, metrics_token=TOKEN))


async def scrape(client: httpx.AsyncClient) -> Samples:
    response = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


async def test_metrics_are_not_served_unless_the_operator_sets_a_token(
    settings: Settings,
) -> None:
    app = create_app(settings)  # AFTERGLOW_METRICS_TOKEN unset
    async with (
        app.lifespan(),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver.local"
        ) as client,
    ):
        response = await client.get("/metrics", headers={"Authorization": "Bearer anything"})
    await app.state.engine.dispose()
    assert response.status_code == 404


async def test_metrics_refuse_a_scrape_without_the_token(client: httpx.AsyncClient) -> None:
    anonymous = await client.get("/metrics")
    wrong = await client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
    assert (anonymous.status_code, wrong.status_code) == (401, 401)
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert "afterglow_" not in anonymous.text + wrong.text


async def test_metrics_are_not_in_the_api_document(client: httpx.AsyncClient) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    assert "/metrics" not in document["paths"]


async def test_metrics_answer_with_the_series_after_a_checkin_and_a_tick(
    db: AsyncSession,
    world: World,
    make_client: ClientFactory,
    push_service: FakePushService,
    make_tick: Callable[[Clock], ReminderTick],
) -> None:
    operator = await make_client()
    before = await scrape(operator)
    patient = await make_client("p1@a.test")
    stored = await patient.post(
        "/api/checkins", json={"instrument": "mood", "answers": [6]}, headers=checkin_key()
    )
    assert stored.status_code == 201, stored.text
    now = utcnow()
    await add_device(db, push_service, world.clinician_a.id, "doc-phone", now)
    await add_urgent_alert(db, world, now - timedelta(hours=2), now - timedelta(minutes=1))
    overdue = await scrape(operator)
    await make_tick(Clock(now))()
    after = await scrape(operator)

    checkins = "afterglow_checkins_stored_total"
    assert value(after, checkins) == (value(before, checkins) or 0) + 1
    post_checkin = {"method": "POST", "route": "/api/checkins", "status": "2xx"}
    assert (value(after, "afterglow_http_requests_total", **post_checkin) or 0) >= 1
    # What the database holds, the same from every instance.
    assert value(after, "afterglow_open_alerts", level="urgent") == 1
    assert value(after, "afterglow_open_alerts", level="warning") == 0
    oldest = value(after, "afterglow_open_alert_oldest_age_seconds", level="urgent")
    assert oldest is not None and oldest >= 2 * 3600
    assert value(after, "afterglow_notifications", purpose="escalation", status="sent") == 1
    # Before the tick the overdue escalation shows as backlog; after it, none is left.
    backlog = "afterglow_tick_backlog_age_seconds"
    assert (value(overdue, backlog, work="alert_escalations") or 0) >= 60
    assert value(after, backlog, work="alert_escalations") == 0
    # What this process's tick did.
    ticks = "afterglow_tick_duration_seconds_count"
    assert value(after, ticks) == (value(before, ticks) or 0) + 1
    for phase in ("escalation", "planning", "delivery"):
        assert value(after, "afterglow_tick_failures_total", phase=phase) is not None
    age = value(after, "afterglow_tick_last_success_age_seconds")
    assert age is not None and age >= 0
