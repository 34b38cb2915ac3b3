"""The simulated clinic: synthetic patients and their clinic driving the real app in virtual time.

One settable clock stands for the app's routes and the reminder tick. Patients enrol through
the real enrollment link, check in through the real check-in API, and their infusions are
recorded by a clinician through the real API; the real tick plans and sends reminders, and its
pushes go to an in-process push service (`PhoneSink`) that hands each notification to the
simulated phone it is addressed to. Time moves from one thing to do to the next (a reminder due,
an answer, a visit), in steps of STEP. Triage is sampled after every change, by the same rule
the clinician's triage list shows (`relief.outlook.status_now`).

Everything random is drawn from seeded streams keyed by what is drawn (cohort.stream), and
nothing reads the real time: the outcomes of a seed are the same on every run.
"""

from __future__ import annotations

import base64
import heapq
import itertools
import json
import math
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import httpx
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from litestar import Litestar
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from afterglow.accounts.service import create_clinic_with_admin
from afterglow.app import create_app
from afterglow.clock import SetClock
from afterglow.db import create_engine, migrate_async, session_maker
from afterglow.push.delivery import DeviceResult, Outcome, PushSender, Send
from afterglow.push.vapid import load_vapid
from afterglow.relief.facts import ReliefThresholds
from afterglow.relief.models import PatientSummary
from afterglow.relief.outlook import ReliefStatus, status_now
from afterglow.reminders.adaptive import ADAPTIVE_KINDS
from afterglow.reminders.models import ReminderPlan
from afterglow.settings import Settings
from afterglow.simulation.cohort import (
    VISIT_AT,
    ClinicPolicy,
    SimPatient,
    draw_cohort,
    stream,
)
from afterglow.simulation.course import (
    LatentCourse,
    TrueRelapse,
    answers,
    draw_episode,
    start_episode,
    wobble,
)
from afterglow.simulation.measure import (
    DetectionMeasure,
    PatientRecord,
    RelapseRecord,
    correlation,
    detection_measure,
)
from afterglow.simulation.sources import Adherence
from afterglow.worker import ReminderTick, StaleRelief

SIM_PUSH_HOST = "push.simulated.invalid"
PUBLIC_URL = "http://clinic.simulated.invalid"
PASSWORD = "simulated-patient-password"  # noqa: S105 - synthetic accounts of a throwaway database
# Time moves in steps of this much: what falls due inside one is done at its end.
STEP = timedelta(minutes=15)
# A scheduled booster comes this long after the infusion before (CLINICAL.md §4's windows are
# the clinician's; the simulated clinic keeps to one rhythm).
BOOSTER_EVERY = timedelta(days=28)
# A symptom-triggered booster is given at the first clinic morning at least this long after
# triage showed the relapse.
BOOKING_DELAY = timedelta(days=1)
# A patient whose relapse the clinic has not seen after this long calls the clinic themselves.
PATIENT_CALLS_AFTER = timedelta(days=21)
# The median minutes between a reminder and its answer.
ANSWER_DELAY_MINUTES = 20.0
STALE_RELIEF_BUDGET = timedelta(seconds=120)
START = datetime(2027, 1, 4, tzinfo=UTC)
_KEYS = uuid.uuid5(
    uuid.NAMESPACE_URL, PUBLIC_URL
)  # a Monday; a year from it crosses both clock changes


@dataclass(frozen=True)
class SimulationConfig:
    patients: int = 40
    days: int = 120
    seed: int = 7
    adherence: Adherence = "high"
    adaptive: bool = True
    policy: ClinicPolicy = "mixed"
    start: datetime = START

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=self.days)

    def describe(self) -> str:
        return (
            f"{self.patients} patients x {self.days} days from {self.start:%Y-%m-%d}, seed "
            f"{self.seed}, {self.adherence}-adherence clinic, boosters {self.policy}, adaptive "
            f"check-ins {'on' if self.adaptive else 'off'}"
        )


@dataclass(frozen=True)
class SimulationResult:
    """What happened, without row ids or running times: equal for equal configs."""

    config: SimulationConfig
    patients: tuple[PatientRecord, ...]
    prompts: dict[str, int]  # notifications received by kind
    asked: dict[str, int]  # reminders per instrument the phones received
    answered: dict[str, int]  # ... and answered
    mood_phq9: tuple[tuple[int, int], ...]  # same local day: daily mood, PHQ-9 total
    weekly_mood_phq9: tuple[tuple[float, int], ...]  # mean mood of the 7 days before, PHQ-9
    infusions: int
    checkins: int

    def measure(self) -> DetectionMeasure:
        return detection_measure(self.patients)

    def outcomes(self) -> dict[str, Any]:
        """Everything that happened, as plain data (for comparing two runs)."""
        plain: dict[str, Any] = json.loads(json.dumps(asdict(self), default=str))
        return plain

    def answer_rate(self, instrument: str) -> float | None:
        asked = self.asked.get(instrument, 0)
        return self.answered.get(instrument, 0) / asked if asked else None

    def describe(self) -> list[str]:
        def rate(instrument: str) -> str:
            value = self.answer_rate(instrument)
            return "n/a" if value is None else f"{value:.0%}"

        def r(value: float | None) -> str:
            return "n/a" if value is None else f"{value:+.2f}"

        return [
            f"infusions: {self.infusions}, check-ins: {self.checkins}, notifications: "
            + ", ".join(f"{kind} {count}" for kind, count in sorted(self.prompts.items())),
            f"answered: daily mood {rate('mood')}, PHQ-9 {rate('phq9')}, GAD-7 {rate('gad7')}",
            f"mood to PHQ-9 (same day): r = {r(correlation(self.mood_phq9))}; "
            f"7-day mean mood to PHQ-9: r = {r(correlation(self.weekly_mood_phq9))}",
        ]


@dataclass(frozen=True)
class RunStats:
    steps: int
    ticks: int
    seconds: float


class PhoneSink(PushSender):
    """The push service of the simulation: every message reaches its phone at once. It keeps
    them (endpoint, payload) for the clinic loop to hand to the phones."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(load_vapid(settings))
        self.inbox: list[tuple[str, dict[str, Any]]] = []

    async def send_all(self, sends: Sequence[Send]) -> list[DeviceResult]:
        results = []
        for send in sends:
            self.inbox.append((send.device.endpoint, json.loads(send.payload)))
            results.append(DeviceResult(send.device.subscription_id, Outcome.DELIVERED, 201))
        return results


@dataclass
class Phone:
    """One simulated patient with their phone: the app signed in, and what it received."""

    patient: SimPatient
    course: LatentCourse
    wobble: list[float]
    client: httpx.AsyncClient | None = None
    email: str = ""
    server_id: int | None = None
    endpoint: str = ""
    episodes: int = 0  # episodes started so far (0: none, 1: the induction course...)
    given: list[datetime] = field(default_factory=list)
    relapses: list[TrueRelapse] = field(default_factory=list)
    booked: datetime | None = None  # the next infusion the clinic has booked
    booked_kind: str = ""
    statuses: list[tuple[datetime, str]] = field(default_factory=list)
    received: list[tuple[datetime, str]] = field(default_factory=list)
    moods: dict[date, int] = field(default_factory=dict)


@dataclass(order=True)
class _Event:
    at: datetime
    order: int
    kind: str = field(compare=False)
    phone: Phone = field(compare=False)
    detail: str = field(compare=False, default="")


class SimulatedClinic:
    def __init__(self, config: SimulationConfig, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        self.clock = SetClock(config.start)
        self.limits = ReliefThresholds()
        self.phones = [
            Phone(
                p, LatentCourse([(config.start, p.baseline)]), wobble(config.seed, p, config.days)
            )
            for p in draw_cohort(
                config.seed,
                config.patients,
                config.days,
                config.start,
                config.adherence,
                config.policy,
            )
        ]
        self.by_endpoint: dict[str, Phone] = {}
        self.by_server_id: dict[int, Phone] = {}
        self._events: list[_Event] = []
        self._order = itertools.count()
        self.asked: Counter[str] = Counter()
        self.answered: Counter[str] = Counter()
        self.mood_phq9: list[tuple[int, int]] = []
        self.weekly_mood_phq9: list[tuple[float, int]] = []
        self.checkins = 0
        self.steps = 0
        self.ticks = 0
        self.clinic_id = 0
        self._device_keys = _device_keys()
        self._checkin_numbers = itertools.count()
        self.app: Litestar | None = None
        self._clinician: httpx.AsyncClient | None = None

    # --- running -------------------------------------------------------------------------

    async def run(
        self, progress: Callable[[str], None] | None = None
    ) -> tuple[SimulationResult, RunStats]:
        started = time.perf_counter()
        app = create_app(self.settings, clock=self.clock)
        engine = create_engine(self.settings)
        sink = PhoneSink(self.settings)
        tick = ReminderTick(engine, sink, clock=self.clock.now, owner="simulation")
        stale = StaleRelief(engine, clock=self.clock.now, budget=STALE_RELIEF_BUDGET)
        try:
            async with app.lifespan():
                self.app = app
                await self._open_clinic(engine)
                for phone in self.phones:
                    enrol_at = phone.patient.induction[0] - timedelta(hours=1)
                    self._at(enrol_at, "enrol", phone)
                await self._loop(engine, tick, sink, stale, progress)
        finally:
            for phone in self.phones:
                if phone.client is not None:
                    await phone.client.aclose()
            if self._clinician is not None:
                await self._clinician.aclose()
            await sink.close()
            await engine.dispose()
        stats = RunStats(self.steps, self.ticks, time.perf_counter() - started)
        return self._result(), stats

    async def _loop(
        self,
        engine: AsyncEngine,
        tick: ReminderTick,
        sink: PhoneSink,
        stale: StaleRelief,
        progress: Callable[[str], None] | None,
    ) -> None:
        end = self.config.end
        next_day = self.config.start + timedelta(days=1)
        sessions = session_maker(engine)
        while True:
            due = await self._next_reminder(sessions)
            candidates = [end, next_day]
            if due is not None:
                candidates.append(due)
            if self._events:
                candidates.append(self._events[0].at)
            now = max(_step_up(min(candidates), self.config.start), self.clock.now())
            if now >= end:
                break
            self.clock.set(now)
            self.steps += 1
            changed = False
            while self._events and self._events[0].at <= now:
                event = heapq.heappop(self._events)
                await self._do(event, now)
                changed = True
            if due is not None and due <= now:
                await tick()
                self.ticks += 1
                self._deliver(sink, now)
            if now >= next_day:
                await stale()
                next_day += timedelta(days=1)
                changed = True
                if progress is not None:
                    progress(f"day {(now - self.config.start).days} of {self.config.days}")
            if changed:
                await self._sample(sessions, now)

    async def _next_reminder(self, sessions: Any) -> datetime | None:
        """When the tick has something to do next: the earliest plan due."""
        async with sessions() as db:
            due: datetime | None = await db.scalar(select(func.min(col(ReminderPlan.next_fire_at))))
        return due.astimezone(UTC) if due is not None else None

    def _at(self, moment: datetime, kind: str, phone: Phone, detail: str = "") -> None:
        heapq.heappush(self._events, _Event(moment, next(self._order), kind, phone, detail))

    async def _do(self, event: _Event, now: datetime) -> None:
        phone = event.phone
        if event.kind == "enrol":
            await self._enrol(phone, now)
        elif event.kind == "visit":
            await self._visit(phone, now, event.detail)
        elif event.kind == "answer":
            await self._answer(phone, event.detail, now)
        elif event.kind == "zone":
            await self._move(phone, event.detail)

    # --- the clinic ------------------------------------------------------------------------

    async def _open_clinic(self, engine: AsyncEngine) -> None:
        async with session_maker(engine)() as db:
            clinic, _ = await create_clinic_with_admin(
                db,
                self.clock.now(),
                clinic_name="Simulated Clinic",
                email="admin@clinic.simulated.invalid",
                display_name="Simulated admin",
                password=PASSWORD,
            )
            await db.commit()
            assert clinic.id is not None
            self.clinic_id = clinic.id
        admin = await self._client()
        await self._sign_in(admin, "admin@clinic.simulated.invalid")
        settings = (await admin.get("/api/clinic/settings")).json()
        saved = await admin.put(
            "/api/clinic/settings", json={**settings, "adaptive_checkins": self.config.adaptive}
        )
        _ok(saved)
        invited = await admin.post(
            "/api/staff",
            json={
                "email": "clinician@clinic.simulated.invalid",
                "display_name": "Simulated clinician",
            },
        )
        _ok(invited)
        await admin.aclose()
        self._clinician = await self._client()
        await self._accept(self._clinician, _token(invited.json()["invite"]["url"]), None)

    async def _enrol(self, phone: Phone, now: datetime) -> None:
        patient = phone.patient
        created = await self._as_clinician(
            "post",
            "/api/patients",
            {"display_name": patient.label, "timezone": patient.timezone},
        )
        phone.server_id = int(created["patient"]["id"])
        self.by_server_id[phone.server_id] = phone
        phone.email = f"patient{patient.number:03d}@simulated.invalid"
        phone.client = await self._client()
        await self._accept(phone.client, _token(created["enrollment"]["url"]), phone.email)
        phone.endpoint = f"https://{SIM_PUSH_HOST}/phone/{patient.number}"
        self.by_endpoint[phone.endpoint] = phone
        await self._as_patient(
            phone,
            "post",
            "/api/push/subscriptions",
            {"endpoint": phone.endpoint, "keys": self._device_keys, "device_label": "Phone"},
        )
        for index, given_at in enumerate(patient.induction):
            self._at(given_at, "visit", phone, "induction" if index else "induction-first")
        for trip in patient.trips:
            self._at(trip.leave, "zone", phone, trip.timezone)
            self._at(trip.back, "zone", phone, patient.timezone)

    async def _visit(self, phone: Phone, now: datetime, kind: str) -> None:
        """A PHQ-9 in the waiting room, then the infusion, recorded by the clinician. The
        induction course's episode is laid at its first infusion; a booster's at the booster."""
        patient = phone.patient
        induction = kind in ("induction", "induction-first")
        if not induction and phone.booked != now:
            return  # this booking was moved to an earlier day
        await self._checkin(phone, "phq9", now - timedelta(minutes=20), key="visit")
        await self._as_clinician(
            "post",
            f"/api/patients/{phone.server_id}/infusions",
            {
                "given_at": now.isoformat(),
                "route": "iv",
                "kind": "induction" if induction else kind,
            },
        )
        phone.given.append(now)
        phone.booked, phone.booked_kind = None, ""
        if kind == "induction":
            if now != patient.induction[-1]:
                return
        else:
            last = patient.induction[-1] if kind == "induction-first" else now
            draw = draw_episode(self.config.seed, patient, phone.episodes)
            relapse = start_episode(
                phone.course, patient, draw, phone.episodes, now, last, self.limits
            )
            phone.episodes += 1
            if relapse is not None:
                phone.relapses.append(relapse)
            if kind == "induction-first":
                return
        if patient.induction_responder and patient.policy == "scheduled":
            self._book(phone, now + BOOSTER_EVERY, "scheduled_booster")

    def _book(self, phone: Phone, earliest: datetime, kind: str) -> None:
        """The first clinic morning (10:00 at home, a weekday, not while away) from `earliest`."""
        patient = phone.patient
        tz = ZoneInfo(patient.timezone)
        day = earliest.astimezone(tz).date()
        while True:
            at = datetime.combine(day, VISIT_AT, tz).astimezone(UTC)
            if at >= earliest and day.weekday() < 5 and patient.zone_at(at) == patient.timezone:
                break
            day += timedelta(days=1)
        if at >= self.config.end or (phone.booked is not None and phone.booked <= at):
            return
        phone.booked, phone.booked_kind = at, kind
        self._at(at, "visit", phone, kind)

    def _decide(self, phone: Phone, now: datetime) -> None:
        """The clinic books a symptom-triggered booster once triage shows the relapse; a patient
        whose relapse went unseen calls the clinic after PATIENT_CALLS_AFTER."""
        if not phone.patient.induction_responder or not phone.given:
            return
        if phone.booked_kind == "symptom_triggered_booster" and phone.booked is not None:
            return
        status = phone.statuses[-1][1] if phone.statuses else None
        last = phone.given[-1]
        unseen = [
            r for r in phone.relapses if r.started_at == last and r.at + PATIENT_CALLS_AFTER <= now
        ]
        if status == "relapsed" or unseen:
            self._book(phone, now + BOOKING_DELAY, "symptom_triggered_booster")

    # --- the phones ------------------------------------------------------------------------

    def _deliver(self, sink: PhoneSink, now: datetime) -> None:
        for endpoint, payload in sink.inbox:
            phone = self.by_endpoint.get(endpoint)
            if phone is not None:
                self._receive(phone, payload, now)
        sink.inbox.clear()

    def _receive(self, phone: Phone, payload: dict[str, Any], now: datetime) -> None:
        kind = str(payload.get("kind"))
        phone.received.append((now, kind))
        instrument = str(payload.get("url", "")).rsplit("/", 1)[-1]
        if instrument not in ("mood", "phq9", "gad7"):
            return
        self.asked[instrument] += 1
        patient = phone.patient
        zone = ZoneInfo(patient.zone_at(now))
        local_day = now.astimezone(zone).date()
        rng = stream(self.config.seed, patient.number, "answer", kind, local_day.isoformat())
        rate = patient.answers_mood if instrument == "mood" else patient.answers_questionnaire
        if patient.is_away(now) or rng.random() >= rate:
            return
        delay = timedelta(minutes=ANSWER_DELAY_MINUTES * math.exp(rng.gauss(0.0, 0.9)))
        midnight = datetime.combine(local_day + timedelta(days=1), dt_time(0, 0), zone)
        at = min(now + delay, midnight.astimezone(UTC) - STEP)
        if at > now:
            self._at(at, "answer", phone, instrument)

    async def _answer(self, phone: Phone, instrument: str, now: datetime) -> None:
        self.answered[instrument] += 1
        await self._checkin(phone, instrument, now, key="reminder")

    async def _checkin(self, phone: Phone, instrument: str, taken_at: datetime, key: str) -> None:
        patient = phone.patient
        day = (taken_at - self.config.start).days
        level = phone.course.at(taken_at) + phone.wobble[max(0, min(day, len(phone.wobble) - 1))]
        rng = stream(self.config.seed, patient.number, key, instrument, taken_at.isoformat())
        given = answers(instrument, level, patient, rng)
        if given is None:
            return
        body = {"instrument": instrument, "answers": given, "taken_at": taken_at.isoformat()}
        await self._as_patient(phone, "post", "/api/checkins", body, idempotent=True)
        self.checkins += 1
        local_day = taken_at.astimezone(ZoneInfo(patient.zone_at(taken_at))).date()
        if instrument == "mood":
            phone.moods[local_day] = given[0]
        elif instrument == "phq9":
            total = sum(given[:9])
            if local_day in phone.moods:
                self.mood_phq9.append((phone.moods[local_day], total))
            week = [phone.moods[d] for d in _days_before(local_day, 7) if d in phone.moods]
            if len(week) >= 4:
                self.weekly_mood_phq9.append((sum(week) / len(week), total))

    async def _move(self, phone: Phone, zone: str) -> None:
        """The patient travels (or comes home): the app moves their reminders to the phone's
        zone, as its "use this phone's time zone" button does."""
        shown = await self._as_patient(phone, "get", "/api/me/reminders", None)
        schedule = {
            key: shown[key]
            for key in (
                "daily_mood_at",
                "weekly_phq9",
                "weekly_gad7",
                "quiet_start",
                "quiet_end",
                "infusion_nudges",
            )
        }
        await self._as_patient(phone, "put", "/api/me/reminders", {**schedule, "timezone": zone})

    # --- triage ----------------------------------------------------------------------------

    async def _sample(self, sessions: Any, now: datetime) -> None:
        """What the clinician's triage list shows of each patient now."""
        async with sessions() as db:
            rows = (
                await db.execute(
                    select(
                        col(PatientSummary.patient_id),
                        col(PatientSummary.relief_status),
                        col(PatientSummary.stale_after),
                    ).where(col(PatientSummary.clinic_id) == self.clinic_id)
                )
            ).all()
        for patient_id, relief_status, stale_after in rows:
            phone = self.by_server_id.get(patient_id)
            if phone is None:
                continue
            stale = stale_after.astimezone(UTC) if stale_after is not None else None
            shown = status_now(_as_status(relief_status), stale, now)
            if not phone.statuses or phone.statuses[-1][1] != shown:
                phone.statuses.append((now, shown))
            self._decide(phone, now)

    # --- the result ------------------------------------------------------------------------

    def _result(self) -> SimulationResult:
        end = self.config.end
        records = []
        prompts: Counter[str] = Counter()
        for phone in self.phones:
            if phone.server_id is None:
                continue
            for _, kind in phone.received:
                prompts[kind] += 1
            relapses = []
            for relapse in phone.relapses:
                following = [g for g in phone.given if g > relapse.started_at]
                episode_end = min(following, default=end)
                if relapse.at < episode_end and relapse.at < end:
                    relapses.append(
                        RelapseRecord(
                            phone.patient.number,
                            relapse.ordinal,
                            relapse.started_at,
                            relapse.at,
                            episode_end,
                        )
                    )
            records.append(
                PatientRecord(
                    patient=phone.patient.number,
                    followed_from=phone.patient.induction[0],
                    followed_until=end,
                    statuses=tuple(phone.statuses),
                    extra_prompts=sum(1 for _, k in phone.received if k in ADAPTIVE_KINDS),
                    relapses=tuple(relapses),
                )
            )
        return SimulationResult(
            config=self.config,
            patients=tuple(records),
            prompts=dict(sorted(prompts.items())),
            asked=dict(sorted(self.asked.items())),
            answered=dict(sorted(self.answered.items())),
            mood_phq9=tuple(self.mood_phq9),
            weekly_mood_phq9=tuple(self.weekly_mood_phq9),
            infusions=sum(len(p.given) for p in self.phones),
            checkins=self.checkins,
        )

    # --- HTTP ------------------------------------------------------------------------------

    async def _client(self) -> httpx.AsyncClient:
        assert self.app is not None
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=cast(Any, self.app)), base_url=PUBLIC_URL
        )

        async def follow_token(response: httpx.Response) -> None:
            token = response.headers.get("x-csrftoken")
            if token:
                client.headers["x-csrftoken"] = token

        client.event_hooks["response"].append(follow_token)
        await client.get("/api/health")
        return client

    async def _accept(self, client: httpx.AsyncClient, token: str, email: str | None) -> None:
        body: dict[str, str] = {"password": PASSWORD}
        if email is not None:
            body["email"] = email
        _ok(await client.post(f"/api/enrollment/{token}", json=body))

    async def _sign_in(self, client: httpx.AsyncClient, email: str) -> None:
        _ok(await client.post("/api/auth/login", json={"email": email, "password": PASSWORD}))

    async def _as_clinician(self, method: str, path: str, body: Any) -> Any:
        clinician = self._clinician
        assert clinician is not None
        response = await clinician.request(method, path, json=body)
        if response.status_code == 401:
            await self._sign_in(clinician, "clinician@clinic.simulated.invalid")
            response = await clinician.request(method, path, json=body)
        return _ok(response).json()

    async def _as_patient(
        self, phone: Phone, method: str, path: str, body: Any, *, idempotent: bool = False
    ) -> Any:
        assert phone.client is not None
        headers = {}
        if idempotent:
            number = next(self._checkin_numbers)
            headers["Idempotency-Key"] = str(uuid.uuid5(_KEYS, f"{self.config.seed}/{number}"))
        response = await phone.client.request(method, path, json=body, headers=headers)
        if response.status_code == 401:
            # A phone silent for longer than a session lasts signs in again.
            await self._sign_in(phone.client, phone.email)
            response = await phone.client.request(method, path, json=body, headers=headers)
        return _ok(response).json()


def _ok(response: httpx.Response) -> httpx.Response:
    if response.status_code >= 400:
        raise RuntimeError(
            f"the simulated clinic's {response.request.method} {response.request.url.path} "
            f"was refused: {response.status_code} {response.text[:300]}"
        )
    return response


def _token(url: str) -> str:
    return url.rsplit("/", 1)[-1]


def _as_status(value: str | None) -> ReliefStatus:
    known: tuple[ReliefStatus, ...] = (
        "none",
        "holding",
        "waning",
        "relapsed",
        "no_response",
        "unassessed",
        "no_recent_data",
    )
    return next((s for s in known if s == value), "none")


def _step_up(moment: datetime, origin: datetime) -> datetime:
    steps = math.ceil((moment - origin) / STEP)
    return origin + steps * STEP


def _days_before(day: date, count: int) -> list[date]:
    return [day - timedelta(days=n) for n in range(count)]


def _device_keys() -> dict[str, str]:
    """Keys in the shape a browser's subscription has (the sink never encrypts to them)."""
    key = ec.derive_private_key(7, ec.SECP256R1())
    public = key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return {"p256dh": b64(public), "auth": b64(bytes(range(16)))}


async def run_simulation(
    config: SimulationConfig,
    *,
    data_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[SimulationResult, RunStats]:
    """Run one simulated clinic on a new SQLite database (in `data_dir`, or a temporary folder
    removed afterwards)."""
    with tempfile.TemporaryDirectory(prefix="afterglow-sim-") as scratch:
        folder = data_dir or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        database = folder / "afterglow.db"
        if database.exists():
            database.unlink()
        settings = Settings.from_env(
            {
                "AFTERGLOW_DATA_DIR": str(folder),
                "AFTERGLOW_SCHEDULER": "off",
                "AFTERGLOW_PUSH_HOSTS": SIM_PUSH_HOST,
            },
            public_url=PUBLIC_URL,
            staff_session_hours=24 * 14,
        )
        await migrate_async(settings)
        return await SimulatedClinic(config, settings).run(progress)


def with_adaptive(config: SimulationConfig, adaptive: bool) -> SimulationConfig:
    return replace(config, adaptive=adaptive)
