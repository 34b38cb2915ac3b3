"""Prometheus metrics: what this process did (counters), and what the database holds (read per scrape).

Counters and the tick's histogram live in this process; under `afterglow serve --workers N` each
worker writes them to PROMETHEUS_MULTIPROC_DIR and a scrape of any worker adds them up. Open
alerts, notifications by status and the tick's backlog are read from the database when scraped,
so every instance reports the same truth, including web instances that run no tick.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from litestar.status_codes import HTTP_201_CREATED
from litestar.types import Message, Scope
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from afterglow.alerts.models import SafetyAlert
from afterglow.push.models import PushMessage
from afterglow.reminders.models import ReminderPlan

TICK_PHASES = ("escalation", "planning", "delivery")
ALERT_LEVELS = ("urgent", "warning")
_TICK_LAST_SUCCESS = "afterglow_tick_last_success_timestamp_seconds"
_TICK_AGE = "afterglow_tick_last_success_age_seconds"

REQUESTS = Counter(
    "afterglow_http_requests",
    "HTTP requests answered, by method, route template and status class.",
    ["method", "route", "status"],
)
CHECKINS_STORED = Counter(
    "afterglow_checkins_stored",
    "Check-ins newly stored by this process (replays of a stored one are not counted).",
)
TICK_DURATION = Histogram(
    "afterglow_tick_duration_seconds",
    "How long one reminder tick took, all phases.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0),
)
TICK_FAILURES = Counter(
    "afterglow_tick_failures",
    "Tick phases that failed (the tick's other phases still ran).",
    ["phase"],
)
TICK_LAST_SUCCESS = Gauge(
    _TICK_LAST_SUCCESS,
    "When a tick last finished with every phase working (newest of all processes).",
    multiprocess_mode="max",
)
PLANS_SET_ASIDE = Counter(
    "afterglow_reminder_plans_set_aside",
    "Reminder plans that could not be worked and were set aside to be tried again later.",
)
for _phase in TICK_PHASES:
    TICK_FAILURES.labels(_phase)  # present at 0, so that rate() and alerts see the series


@dataclass
class DatabaseFacts:
    """What the database says at one instant, for one scrape."""

    open_alerts: dict[str, int] = field(default_factory=dict)
    oldest_open_alert_age: dict[str, float] = field(default_factory=dict)
    notifications: dict[tuple[str, str], int] = field(default_factory=dict)
    backlog_age: dict[str, float] = field(default_factory=dict)


async def read_database_facts(engine: AsyncEngine, now: datetime) -> DatabaseFacts:
    """Open alerts by level, notifications by kind and status, and the age of overdue tick work."""
    facts = DatabaseFacts()
    purpose = case(
        (col(PushMessage.kind) == "alert_escalation", "escalation"), else_="reminder"
    ).label("purpose")
    async with engine.connect() as connection:
        for level, count, oldest in await connection.execute(
            select(col(SafetyAlert.level), func.count(), func.min(col(SafetyAlert.created_at)))
            .where(col(SafetyAlert.status) == "open")
            .group_by(col(SafetyAlert.level))
        ):
            facts.open_alerts[level] = count
            facts.oldest_open_alert_age[level] = _age(now, oldest)
        for kind, status, count in await connection.execute(
            select(purpose, col(PushMessage.status), func.count()).group_by(
                purpose, col(PushMessage.status)
            )
        ):
            facts.notifications[(kind, status)] = count
        # Work some tick should already have done: it only grows while no instance ticks.
        overdue = {
            "reminder_plans": select(func.min(col(ReminderPlan.next_fire_at))).where(
                col(ReminderPlan.next_fire_at) <= now
            ),
            "alert_escalations": select(func.min(col(SafetyAlert.escalate_at))).where(
                col(SafetyAlert.status) == "open",
                col(SafetyAlert.escalated_at).is_(None),
                col(SafetyAlert.escalate_at) <= now,
            ),
            "notifications": select(func.min(col(PushMessage.next_attempt_at))).where(
                col(PushMessage.status) == "queued",
                col(PushMessage.next_attempt_at) <= now,
                or_(col(PushMessage.lease_until).is_(None), col(PushMessage.lease_until) < now),
            ),
        }
        for work, query in overdue.items():
            facts.backlog_age[work] = _age(now, await connection.scalar(query))
    return facts


def _age(now: datetime, since: datetime | None) -> float:
    return 0.0 if since is None else max(0.0, (now - since).total_seconds())


class _DatabaseCollector(Collector):
    def __init__(self, facts: DatabaseFacts) -> None:
        self.facts = facts

    def collect(self) -> Iterator[Metric]:
        open_alerts = GaugeMetricFamily(
            "afterglow_open_alerts",
            "Safety alerts not yet acknowledged, by level.",
            labels=["level"],
        )
        oldest = GaugeMetricFamily(
            "afterglow_open_alert_oldest_age_seconds",
            "Age of the oldest unacknowledged safety alert, by level (0 with none open).",
            labels=["level"],
        )
        for level in sorted({*ALERT_LEVELS, *self.facts.open_alerts}):
            open_alerts.add_metric([level], self.facts.open_alerts.get(level, 0))
            oldest.add_metric([level], self.facts.oldest_open_alert_age.get(level, 0.0))
        notifications = GaugeMetricFamily(
            "afterglow_notifications",
            "Push notifications in the outbox by purpose (reminder, escalation) and status "
            "(queued, sent, failed, expired, skipped).",
            labels=["purpose", "status"],
        )
        for (purpose, status), count in sorted(self.facts.notifications.items()):
            notifications.add_metric([purpose, status], count)
        backlog = GaugeMetricFamily(
            "afterglow_tick_backlog_age_seconds",
            "How long the oldest work a tick should already have done has waited, by kind "
            "(0 when none): grows only while no instance ticks. Alert when above a few minutes.",
            labels=["work"],
        )
        for work, age in self.facts.backlog_age.items():
            backlog.add_metric([work], age)
        yield from (open_alerts, oldest, notifications, backlog)


class _ProcessCollector(Collector):
    """This process's metrics (or every worker's, in multiprocess mode), and the tick's age."""

    def __init__(self, multiprocess_dir: str | None) -> None:
        self.multiprocess_dir = multiprocess_dir

    def collect(self) -> Iterator[Metric]:
        source = (
            MultiProcessCollector(None, self.multiprocess_dir).collect()  # type: ignore[no-untyped-call]
            if self.multiprocess_dir
            else REGISTRY.collect()
        )
        newest = 0.0
        for family in source:
            if family.name == _TICK_LAST_SUCCESS:
                newest = max([newest, *(sample.value for sample in family.samples)])
            yield family
        # Only where a tick ever succeeded: a web instance that runs none has no age to report.
        if newest > 0:
            yield GaugeMetricFamily(
                _TICK_AGE,
                "Seconds since a tick last finished with every phase working.",
                value=max(0.0, time.time() - newest),
            )


def scrape_registry(facts: DatabaseFacts) -> CollectorRegistry:
    """A registry for one scrape: the processes' metrics and the database's facts."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_ProcessCollector(os.environ.get("PROMETHEUS_MULTIPROC_DIR")))
    registry.register(_DatabaseCollector(facts))
    return registry


async def count_response(message: Message, scope: Scope) -> None:
    """Count each answer by method, route template and status class, as it starts to go out.

    `async` on purpose: Litestar runs a synchronous hook in a worker thread, once for every
    message of every response.

    A hook on every response the app sends (errors turned into answers included), so the count
    has the status the client saw. A newly stored check-in is the 201 of `POST /api/checkins`
    (a replay answers 200).
    """
    if message["type"] != "http.response.start":
        return
    status = message["status"]
    method = str(scope.get("method"))
    route = scope.get("path_template") or "unmatched"
    REQUESTS.labels(method, route, f"{status // 100}xx").inc()
    if status == HTTP_201_CREATED and method == "POST" and route == "/api/checkins":
        CHECKINS_STORED.inc()
