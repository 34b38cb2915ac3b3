"""The reminder tick: one APScheduler interval job per process, the database deciding who sends.

Each tick (1) escalates safety alerts whose window ran out, (1b) sends the escalation emails
due (staff with no device, pushes that did not get through), (2) turns due reminder plans into
queued notifications, (3) delivers due notifications; each phase runs whatever the one before
met, and a plan that cannot be worked is set aside without stopping the others. Any number of instances may tick at once:
plans and alerts are taken with `FOR UPDATE SKIP LOCKED`, messages with a lease, and every
notification has a unique send key. It runs inside `afterglow serve` unless
`AFTERGLOW_SCHEDULER=off`, and alone as `afterglow worker`.

A third, `BulkExports` (exports/runner.py), runs the FHIR Bulk Data exports clinicians and
integrations ask for, a few seconds apart at most, claimed through the database like the rest.

A second job beside it, `StaleRelief`, re-derives in small batches the relief that went stale
(a clinic changed its thresholds, a new analysis version, an ongoing episode time has moved on),
so a clinic-wide change never delays a reminder, an escalation or a check-in.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from afterglow.accounts.models import Clinic
from afterglow.alerts.email import send_escalation_emails
from afterglow.alerts.escalation import escalate_due_alerts
from afterglow.clock import utcnow
from afterglow.db import session_maker
from afterglow.exports.runner import BulkExports
from afterglow.mail import Mailer
from afterglow.operations.failures import failure_summary
from afterglow.operations.metrics import TICK_DURATION, TICK_FAILURES, TICK_LAST_SUCCESS
from afterglow.push.delivery import PushSender
from afterglow.push.outbox import (
    CLAIM_BATCH,
    ClaimedMessage,
    deliver_due_messages,
    send_claimed,
)
from afterglow.push.vapid import load_vapid
from afterglow.relief.service import rederive_stale
from afterglow.reminders.service import PLAN_BATCH, plan_due_reminders
from afterglow.settings import Settings

log = logging.getLogger(__name__)

DELIVERY_ROUNDS = 3
# An export asked for starts within this many seconds (or a tick's, if shorter).
EXPORT_POLL_SECONDS = 5.0
REDERIVE_BUDGET = timedelta(seconds=2)


@dataclass
class TickReport:
    planned: int = 0
    escalated: int = 0
    emailed: int = 0  # escalation emails sent or retried
    delivered: int = 0
    set_aside: int = 0  # reminder plans that could not be worked, tried again later
    failed_phases: list[str] = field(default_factory=list)


class ReminderTick:
    """Everything one process needs to tick: the engine, a push sender, a mailer (escalations
    to staff without a device; by default none is set up), and a name for leases."""

    def __init__(
        self,
        engine: AsyncEngine,
        sender: PushSender,
        *,
        clock: Callable[[], datetime] = utcnow,
        owner: str | None = None,
        mailer: Mailer | None = None,
    ) -> None:
        self.engine = engine
        self.sender = sender
        self.mailer = mailer or Mailer.not_set_up()
        self.clock = clock
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._sessions = session_maker(engine)
        self.started_at = clock()
        self.last_run_at: datetime | None = None  # when a tick last finished, whatever it met

    def stalled(self, now: datetime, after: timedelta) -> bool:
        """No tick finished for `after`: the scheduler died or a tick hangs (readiness)."""
        return (self.last_run_at or self.started_at) < now - after

    async def __call__(self) -> TickReport:
        """The three phases, each run whatever the one before met, as a supervisor would.

        A failing phase is logged (no message: it can quote patients) and counted, and the next
        phase runs: escalations go out when planning breaks, reminders when escalation breaks.
        """
        report = TickReport()
        started = time.perf_counter()
        # Safety first: overdue alerts escalate, and their pushes go out before any reminder.
        for phase, work in (
            ("escalation", self._escalate),
            ("escalation email", self._email),
            ("planning", self._plan),
            ("delivery", self._deliver),
        ):
            try:
                await work(report)
            except Exception as error:
                report.failed_phases.append(phase)
                TICK_FAILURES.labels(phase).inc()
                log.error(
                    "reminder tick: %s failed (%s); the other phases ran",
                    phase,
                    failure_summary(error),
                )
        TICK_DURATION.observe(time.perf_counter() - started)
        if not report.failed_phases:
            TICK_LAST_SUCCESS.set_to_current_time()
        self.last_run_at = self.clock()
        return report

    async def _escalate(self, report: TickReport) -> None:
        async with self._sessions() as db, db.begin():
            escalations = await escalate_due_alerts(db, self.clock(), claim_for=self.owner)
        report.escalated = escalations.alerts
        if escalations.claimed:
            await self._send(escalations.claimed)
            report.delivered += len(escalations.claimed)

    async def _email(self, report: TickReport) -> None:
        report.emailed = await send_escalation_emails(
            self.engine, self.mailer, self.owner, clock=self.clock
        )

    async def _plan(self, report: TickReport) -> None:
        """Reminders planned in this tick are sent by it at once, a few batches in flight while
        planning goes on; delivery then takes whatever else is due."""
        sending: set[asyncio.Task[None]] = set()
        try:
            while True:
                async with self._sessions() as db, db.begin():
                    planned = await plan_due_reminders(db, self.clock(), claim_for=self.owner)
                report.planned += planned.plans
                report.set_aside += planned.set_aside
                if planned.claimed:
                    if len(sending) >= DELIVERY_ROUNDS:
                        done, sending = await asyncio.wait(
                            sending, return_when=asyncio.FIRST_COMPLETED
                        )
                        for finished in done:
                            finished.result()
                    sending.add(asyncio.create_task(self._send(planned.claimed)))
                    report.delivered += len(planned.claimed)
                if planned.plans < PLAN_BATCH:
                    break
        finally:
            for failed in await asyncio.gather(*sending, return_exceptions=True):
                if isinstance(failed, BaseException):
                    raise failed

    async def _deliver(self, report: TickReport) -> None:
        """Retries, and messages leased to an instance that died."""
        report.delivered += await self._deliver_all()

    async def _send(self, claimed: list[ClaimedMessage]) -> None:
        await send_claimed(self.engine, self.sender, self.owner, claimed, clock=self.clock)

    async def _deliver_all(self) -> int:
        """Delivery rounds until one finds less than a full batch, a few in flight at once.

        While one round waits on push services, the next claims and encrypts, and another
        records outcomes: the rounds take disjoint messages, as ticks on other instances do.
        """
        delivered = 0
        rounds: set[asyncio.Task[int]] = set()
        draining = False
        try:
            while True:
                while not draining and len(rounds) < DELIVERY_ROUNDS:
                    rounds.add(
                        asyncio.create_task(
                            deliver_due_messages(
                                self.engine, self.sender, self.owner, clock=self.clock
                            )
                        )
                    )
                done, rounds = await asyncio.wait(rounds, return_when=asyncio.FIRST_COMPLETED)
                for finished in done:
                    claimed = finished.result()
                    delivered += claimed
                    draining = draining or claimed < CLAIM_BATCH
                if draining and not rounds:
                    return delivered
        finally:
            # A failed round leaves the others to finish what they claimed before the error
            # propagates; their outcomes are recorded, the failed round's leases run out.
            if rounds:
                await asyncio.gather(*rounds, return_exceptions=True)


class StaleRelief:
    """The background job that re-derives stale relief, clinic by clinic, REDERIVE_BATCH patients
    to a transaction, for at most `budget` a run (the rest waits for the next run; reads
    re-derive what they show meanwhile). Instances share the work (rows are taken with SKIP
    LOCKED on PostgreSQL)."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        clock: Callable[[], datetime] = utcnow,
        budget: timedelta = REDERIVE_BUDGET,
    ) -> None:
        self.clock = clock
        self.budget = budget
        self._sessions = session_maker(engine)

    async def __call__(self) -> int:
        """How many patients were re-derived."""
        stop_at = time.monotonic() + self.budget.total_seconds()
        done = 0
        async with self._sessions() as db:
            clinics = [
                c
                for c in (
                    await db.execute(select(col(Clinic.id)).order_by(col(Clinic.id)))
                ).scalars()
                if c
            ]
            await db.commit()
            for clinic_id in clinics:
                if time.monotonic() >= stop_at:
                    break
                done += await rederive_stale(
                    db, clinic_id, self.clock(), until=stop_at, without_summary=True
                )
        return done


async def _catch_up_logged(job: StaleRelief) -> None:
    try:
        done = await job()
    except Exception as error:
        TICK_FAILURES.labels("relief").inc()
        log.error("stale relief: the run failed (%s); tried again next run", failure_summary(error))
        return
    if done:
        log.info("stale relief: %s patients re-derived", done)


async def _exports_logged(exports: BulkExports) -> None:
    try:
        await exports()
    except Exception as error:
        TICK_FAILURES.labels("exports").inc()
        log.error("bulk exports: the run failed (%s); tried again next run", failure_summary(error))


async def _tick_logged(tick: ReminderTick) -> None:
    report = await tick()
    if report.planned or report.escalated or report.delivered or report.emailed:
        log.info(
            "tick: %s plans worked (%s set aside), %s alerts escalated, %s messages sent or "
            "retried, %s escalation emails",
            report.planned,
            report.set_aside,
            report.escalated,
            report.delivered,
            report.emailed,
        )


# How long stopping waits for a job's cancelled run to unwind (its session to roll back).
STOP_GRACE_SECONDS = 5.0


class Jobs:
    """The scheduler and the runs of its jobs still going, so that stopping cancels them and
    waits for them: APScheduler's `shutdown` only cancels, and a run left unwinding after the
    app disposed of its engine could still hold a connection when the event loop closes."""

    def __init__(self) -> None:
        self.scheduler = AsyncIOScheduler()
        self._running: set[asyncio.Task[Any]] = set()

    def add(self, job: Callable[[Any], Any], target: Any, job_id: str, every: float) -> None:
        async def run(target: Any) -> None:
            task = asyncio.current_task()
            assert task is not None
            self._running.add(task)
            try:
                await job(target)
            finally:
                self._running.discard(task)

        self.scheduler.add_job(
            run,
            "interval",
            args=[target],
            seconds=every,
            max_instances=1,
            coalesce=True,
            next_run_time=utcnow(),
            id=job_id,
        )

    async def stop(self) -> None:
        self.scheduler.shutdown(wait=False)
        running = list(self._running)
        for task in running:
            task.cancel()
        if running:
            _, stuck = await asyncio.wait(running, timeout=STOP_GRACE_SECONDS)
            if stuck:
                log.error(
                    "scheduler: %s job runs did not stop within %s s",
                    len(stuck),
                    STOP_GRACE_SECONDS,
                )


def start_scheduler(
    tick: ReminderTick, relief: StaleRelief, exports: BulkExports, seconds: float
) -> Jobs:
    """Three interval jobs, the reminder tick, the stale-relief catch-up and the bulk exports; a
    run still going when the next is due is not started twice, and none waits for another."""
    # APScheduler logs every run at INFO; the jobs log what they did when they did something.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    jobs = Jobs()
    jobs.add(_tick_logged, tick, "reminder-tick", seconds)
    jobs.add(_catch_up_logged, relief, "stale-relief", seconds)
    jobs.add(_exports_logged, exports, "bulk-exports", min(seconds, EXPORT_POLL_SECONDS))
    jobs.scheduler.start()
    return jobs


@asynccontextmanager
async def scheduler_lifespan(app: Litestar) -> AsyncIterator[None]:
    """Runs the tick inside the web app unless AFTERGLOW_SCHEDULER=off."""
    settings: Settings = app.state.settings
    if not settings.scheduler:
        yield
        return
    async with PushSender(load_vapid(settings)) as sender:
        tick = ReminderTick(
            app.state.engine,
            sender,
            clock=app.state.clock.now,
            mailer=Mailer.from_settings(settings),
        )
        # Readiness asks it whether ticks still finish (see health.py).
        app.state.tick = tick
        relief = StaleRelief(app.state.engine, clock=app.state.clock.now)
        exports = BulkExports(app.state.engine, clock=app.state.clock.now)
        jobs = start_scheduler(tick, relief, exports, settings.tick_seconds)
        try:
            yield
        finally:
            await jobs.stop()


async def run_worker(settings: Settings, engine: AsyncEngine) -> None:
    """`afterglow worker`: the tick without HTTP, until cancelled."""
    async with PushSender(load_vapid(settings)) as sender:
        jobs = start_scheduler(
            ReminderTick(engine, sender, mailer=Mailer.from_settings(settings)),
            StaleRelief(engine),
            BulkExports(engine),
            settings.tick_seconds,
        )
        try:
            await asyncio.Event().wait()
        finally:
            await jobs.stop()
