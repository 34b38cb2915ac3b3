"""How fast clinicians get relief analytics and the triage list, compared with the cheapest request.

Clinicians open a patient's relief view (episodes, Kaplan-Meier, booster outlook) and the
clinic's triage list many times a day; both must stay quick however long a patient has been
treated and however large the clinic grows. In one run against the real server (`afterglow
serve`, one worker, SQLite default) and with the same wrk load for every endpoint, this measures
requests per second of:

- GET /api/health, the floor every ratio is taken against (measured on each server);
- GET /api/patients/{id}/relief, signed in as a clinician, for a synthetic patient with three
  years of history: about 1,100 daily moods, 160 PHQ-9s, 40 infusions (two induction courses,
  boosters mostly IV) and a few clinical events. The analysis re-reads every fact per request;
- GET /api/clinic/patients?sort=urgency&limit=50, the first page of the triage list, in a demo
  clinic of 500 patients and in one of 5,000 patients, each with a year of history. Each clinic
  is seeded into its own server (the demo seeder makes one "Demo Clinic" per database).

Prints every rate, then `relief_ratio` (relief / health, target >= 0.05), `triage_ratio` (triage
at 5,000 / health, target >= 0.03) and last `scale_ratio` (triage at 500 / at 5,000, target
<= 1.5: the list must not slow down as the clinic grows). The machine is shared and noisy, so
only ratios within one run mean anything; each rate is the best of `--rounds` rounds. Seeding
5,000 patients takes a few minutes; `--quick` seeds 50 and 500 instead for a smoke run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, insert
from sqlmodel import SQLModel

from _server import Server, WrkResult, run_wrk, running_server, sign_in
from afterglow.accounts.models import Clinic, Patient, User
from afterglow.accounts.passwords import hash_password_sync
from afterglow.checkins.models import CheckIn
from afterglow.clock import utcnow
from afterglow.db import create_engine, session_maker
from afterglow.demo.generator import phq9_answers
from afterglow.demo.seed import CLINICIAN_EMAILS, DEMO_PASSWORD, seed_demo_clinic
from afterglow.infusions.models import ClinicalEvent, Infusion
from afterglow.instruments.scoring import score_answers
from afterglow.relief.service import refresh_patient_relief
from afterglow.settings import Settings

CLINICIAN_EMAIL = "bench-clinician@bench.afterglow.test"
CLINICIAN_PASSWORD = "bench-password-1"
TRIAGE_PATH = "/api/clinic/patients?sort=urgency&limit=50&offset=0&q="
TRIAGE_PAGE = 50
DEMO_DAYS = 365
# Slow endpoints under 16 connections can queue past wrk's 2-second default.
WRK_TIMEOUT = 10

# The three-year patient. Days count from the first midnight (UTC) of the history.
HISTORY_DAYS = 1100
INFUSIONS = 40
BASELINE_PHQ9 = 20
WEEKLY_PHQ9_SKIPPED = 0.28  # with a PHQ-9 before each infusion, about 160 in all
BOOSTER_ROUTES = (("iv", 0.8), ("im", 0.1), ("intranasal", 0.1))
# Relief lasting longer than this is met by the next scheduled booster, before relapse.
SCHEDULED_BOOSTER_EVERY = 42
RE_INDUCTION_DAY = 640  # after a pause without boosters, a second induction course


@dataclass
class ThreeYearHistory:
    """One patient's synthetic facts, as plain (time, value) pairs."""

    infusions: list[tuple[datetime, str, str]] = field(default_factory=list)  # at, route, kind
    phq9s: list[tuple[datetime, tuple[int, ...]]] = field(default_factory=list)
    moods: list[tuple[datetime, int]] = field(default_factory=list)
    events: list[tuple[datetime, str]] = field(default_factory=list)


class _Story:
    """An underlying PHQ-9 level day by day: down with each course, back up as relief wears off."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.level = [float(BASELINE_PHQ9)] * HISTORY_DAYS
        self.treatments: list[tuple[float, str, str]] = []  # day, route, kind

    def induction(self, first_day: int, count: int) -> tuple[int, float]:
        """`count` IV infusions three or four days apart; returns the last day and the nadir."""
        nadir = self.rng.uniform(3.0, 8.0)
        before = self.level[first_day]
        day = first_day
        for number in range(1, count + 1):
            self.treat(day, "iv", "induction")
            next_day = day + self.rng.choice((3, 4))
            # Each infusion brings the level closer to the nadir; most of the change comes early.
            self.hold(day, next_day, before - (before - nadir) * (1 - 0.6**number))
            if number < count:
                day = next_day
        return day, nadir

    def boosters(self, start: int, nadir: float, until: int) -> int:
        """Relief episodes until day `until`: a scheduled booster, or one after relapse."""
        rng = self.rng
        while True:
            relief = math.exp(rng.gauss(math.log(22.0), 0.4))
            if relief > SCHEDULED_BOOSTER_EVERY - 5:
                next_day, kind = start + SCHEDULED_BOOSTER_EVERY, "scheduled_booster"
            else:
                next_day = start + round(relief) + rng.randint(4, 10)
                kind = "symptom_triggered_booster"
            if next_day > until or len(self.treatments) >= INFUSIONS:
                self.wear_off(start, HISTORY_DAYS - 1, nadir, relief)
                return start
            self.wear_off(start, next_day, nadir, relief)
            route = rng.choices(
                [r for r, _ in BOOSTER_ROUTES], weights=[w for _, w in BOOSTER_ROUTES]
            )[0]
            self.treat(next_day, route, kind)
            start, nadir = next_day, min(9.0, max(2.0, nadir + rng.uniform(-1.5, 1.5)))

    def treat(self, day: int, route: str, kind: str) -> None:
        self.treatments.append((day + self.rng.uniform(0.58, 0.70), route, kind))

    def hold(self, after: int, through: int, value: float) -> None:
        for day in range(after + 1, min(through, HISTORY_DAYS - 1) + 1):
            self.level[day] = value

    def wear_off(self, start: int, stop: int, nadir: float, relief: float) -> None:
        relapse = self.rng.uniform(14.0, 19.0)
        climb_from, climb_to = 0.7 * relief, 1.3 * relief
        for day in range(start + 1, stop + 1):
            t = day - start
            share = min(1.0, max(0.0, (t - climb_from) / (climb_to - climb_from)))
            self.level[day] = nadir + (relapse - nadir) * share


def three_year_history(now: datetime, seed: int = 1) -> ThreeYearHistory:
    """A patient treated for three years: two induction courses, boosters, daily mood, weekly PHQ-9."""
    rng = random.Random(f"afterglow-bench/relief/{seed}")
    story = _Story(rng)
    last, nadir = story.induction(10, 6)
    last = story.boosters(last, nadir, until=RE_INDUCTION_DAY - 90)
    # The patient stops coming; relief runs out, a bad spell ends in hospital.
    story.hold(last + 40, RE_INDUCTION_DAY, 19.0)
    crisis_day = last + 60
    last, nadir = story.induction(RE_INDUCTION_DAY, 4)
    story.boosters(last, nadir, until=HISTORY_DAYS - 2)

    first_midnight = (now - timedelta(days=HISTORY_DAYS)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )

    def at(day: float) -> datetime:
        return first_midnight + timedelta(days=day)

    history = ThreeYearHistory()
    history.infusions = [(at(day), route, kind) for day, route, kind in story.treatments]
    phq9_days = [day - 0.02 for day, _, _ in story.treatments]  # in the waiting room
    phq9_days += [
        day + 0.96 for day in range(3, HISTORY_DAYS, 7) if rng.random() >= WEEKLY_PHQ9_SKIPPED
    ]
    for day in sorted(phq9_days):
        total = min(24, max(0, round(story.level[int(day)] + rng.gauss(0.0, 1.2))))
        item9 = 1 if total >= 15 and rng.random() < 0.08 else 0
        history.phq9s.append((at(day), phq9_answers(rng, total, item9)))
    history.phq9s.append((at(crisis_day + 0.95), phq9_answers(rng, 19, 2)))
    for day in range(HISTORY_DAYS):
        felt = story.level[day] + rng.gauss(0.0, 1.5)
        history.moods.append((at(day + 0.97), min(10, max(0, round(10.0 - 0.35 * felt)))))
    history.events = [
        (at(300.6), "medication_change"),
        (at(crisis_day + 1.7), "hospitalisation"),
        (at(RE_INDUCTION_DAY - 20.6), "medication_change"),
    ]
    history.phq9s.sort()
    cutoff = now - timedelta(minutes=5)
    history.phq9s = [p for p in history.phq9s if p[0] < cutoff]
    history.moods = [m for m in history.moods if m[0] < cutoff]
    return history


@dataclass
class ReliefPatient:
    """Filled in by `add_relief_patient` while the server's database is prepared."""

    patient_id: int = 0
    counts: str = ""


def _table(model: type[SQLModel]) -> Table:
    return SQLModel.metadata.tables[str(model.__tablename__)]


def _checkin_row(
    patient_id: int, instrument: str, answers: tuple[int, ...], taken_at: datetime
) -> dict[str, Any]:
    scored = score_answers(instrument, answers)
    key = str(uuid.uuid4())
    return {
        "patient_id": patient_id,
        "instrument": instrument,
        "answers": list(answers),
        "score": scored.score,
        "band": scored.band,
        "item9": scored.item9,
        "note": None,
        "taken_at": taken_at,
        "received_at": taken_at,
        "idempotency_key": key,
        "request_hash": hashlib.sha256(key.encode()).hexdigest(),
        "source": "import",
    }


async def add_relief_patient(settings: Settings, into: ReliefPatient) -> None:
    """A clinic with one clinician and the three-year patient, inserted in bulk, episodes stored."""
    now = utcnow()
    history = three_year_history(now)
    engine = create_engine(settings)
    async with session_maker(engine)() as db:
        opened = now - timedelta(days=HISTORY_DAYS + 30)
        clinic = Clinic(name="Bench Relief Clinic", settings={}, created_at=opened)
        db.add(clinic)
        await db.flush()
        assert clinic.id is not None
        clinician = User(
            clinic_id=clinic.id,
            email=CLINICIAN_EMAIL,
            display_name="Bench Clinician",
            role="clinician",
            password_hash=hash_password_sync(CLINICIAN_PASSWORD),
            created_at=opened,
        )
        db.add(clinician)
        await db.flush()
        patient = Patient(
            clinic_id=clinic.id,
            display_name="Three-Year Patient (bench)",
            timezone="America/New_York",
            created_by=clinician.id,
            created_at=opened,
        )
        db.add(patient)
        await db.flush()
        assert patient.id is not None
        checkins = [_checkin_row(patient.id, "phq9", a, t) for t, a in history.phq9s]
        checkins += [_checkin_row(patient.id, "mood", (m,), t) for t, m in history.moods]
        await db.execute(insert(_table(CheckIn)), checkins)
        await db.execute(
            insert(_table(Infusion)),
            [
                {
                    "patient_id": patient.id,
                    "given_at": given_at,
                    "route": route,
                    "kind": kind,
                    "dose_mg_per_kg": 0.5 if route in ("iv", "im") else None,
                    "dose_mg": 40.0 if route in ("iv", "im") else 84.0,
                    "recorded_by": clinician.id,
                    "created_at": given_at + timedelta(hours=1),
                    "updated_at": given_at + timedelta(hours=1),
                }
                for given_at, route, kind in history.infusions
            ],
        )
        await db.execute(
            insert(_table(ClinicalEvent)),
            [
                {
                    "patient_id": patient.id,
                    "kind": kind,
                    "occurred_at": occurred_at,
                    "notes": None,
                    "recorded_by": clinician.id,
                    "created_at": occurred_at + timedelta(minutes=30),
                }
                for occurred_at, kind in history.events
            ],
        )
        await refresh_patient_relief(db, patient.id, now)
        await db.commit()
        into.patient_id = patient.id
    await engine.dispose()
    routes = sorted({route for _, route, _ in history.infusions})
    into.counts = (
        f"{len(history.moods)} moods, {len(history.phq9s)} PHQ-9s, "
        f"{len(history.infusions)} infusions ({', '.join(routes)}), {len(history.events)} events"
    )


async def seed_clinic(settings: Settings, patients: int) -> None:
    started = time.perf_counter()
    print(f"Seeding a demo clinic of {patients} patients x {DEMO_DAYS} days...", flush=True)
    await seed_demo_clinic(
        settings, seed=11, patients=patients, days=DEMO_DAYS, progress=patients >= 500
    )
    print(f"  seeded {patients} patients in {time.perf_counter() - started:.0f} s", flush=True)


def prepare_small(patients: int, relief: ReliefPatient) -> Callable[[Settings], Awaitable[None]]:
    async def prepare(settings: Settings) -> None:
        await add_relief_patient(settings, relief)
        await seed_clinic(settings, patients)

    return prepare


def prepare_big(patients: int) -> Callable[[Settings], Awaitable[None]]:
    async def prepare(settings: Settings) -> None:
        await seed_clinic(settings, patients)

    return prepare


def get_json(url: str, cookie: str) -> tuple[int, Any]:
    """Status and parsed body of one GET (status only when it is not 200)."""
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, None


def triage_available(server: Server, cookie: str, patients: int) -> bool:
    """One request before the load: is the triage list there, and does it list the clinic?"""
    status, body = get_json(server.url + TRIAGE_PATH, cookie)
    if status == 404:
        print(
            f"triage list: GET {TRIAGE_PATH} answers 404 (not built yet); "
            "skipping the triage measurements"
        )
        return False
    if status != 200:
        print(f"warning: triage list answered {status}; skipping the triage measurements")
        return False
    listed = len(body.get("patients", []))
    if body.get("total") != patients or listed != min(TRIAGE_PAGE, patients):
        print(
            f"warning: the triage list of a {patients}-patient clinic says total="
            f"{body.get('total')} and lists {listed} patients"
        )
    return True


@dataclass
class Load:
    seconds: int
    connections: int
    warmup: int
    rounds: int


@dataclass
class Target:
    name: str
    url: str
    cookie: str | None = None
    best: WrkResult | None = None

    def measure(self, load: Load) -> None:
        options: dict[str, Any] = {
            "connections": load.connections,
            "headers": {"Cookie": self.cookie} if self.cookie else None,
            "timeout": WRK_TIMEOUT,
        }
        run_wrk(self.url, seconds=load.warmup, **options)
        result = run_wrk(self.url, seconds=load.seconds, **options)
        if result.non_2xx or result.errors:
            print(
                f"warning: {self.name}: {result.non_2xx} non-2xx responses and "
                f"{result.errors} socket errors out of {result.requests}"
            )
        if self.best is None or result.requests_per_second > self.best.requests_per_second:
            self.best = result

    @property
    def rps(self) -> float:
        assert self.best is not None
        return self.best.requests_per_second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="clinics of 50 and 500 patients")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2, help="best of this many runs each")
    args = parser.parse_args()
    load = Load(args.seconds, args.connections, args.warmup, args.rounds)
    small, big = (50, 500) if args.quick else (500, 5000)

    relief = ReliefPatient()
    started = time.perf_counter()
    with (
        running_server(prepare=prepare_small(small, relief)) as small_server,
        running_server(prepare=prepare_big(big)) as big_server,
    ):
        print(f"Ready in {time.perf_counter() - started:.0f} s; relief patient: {relief.counts}")
        relief_cookie, _ = sign_in(small_server.url, CLINICIAN_EMAIL, CLINICIAN_PASSWORD)
        relief_url = f"{small_server.url}/api/patients/{relief.patient_id}/relief"
        status, body = get_json(relief_url, relief_cookie)
        if status != 200:
            print(f"warning: the relief view answered {status}")
        else:
            outcomes = [episode["outcome"] for episode in body["episodes"]]
            summary = ", ".join(f"{outcomes.count(o)} {o}" for o in sorted(set(outcomes)))
            outlook = (body.get("outlook") or {}).get("status")
            print(f"relief view: {len(outcomes)} episodes ({summary}); outlook {outlook}")

        targets = [
            Target("health", f"{small_server.url}/api/health"),
            Target("relief", relief_url, relief_cookie),
        ]
        triage: dict[int, Target] = {}
        for server, patients in ((small_server, small), (big_server, big)):
            cookie, _ = sign_in(server.url, CLINICIAN_EMAILS[0], DEMO_PASSWORD)
            if triage_available(server, cookie, patients):
                triage[patients] = Target(f"triage_{patients}", server.url + TRIAGE_PATH, cookie)
        health_big = Target("health_big", f"{big_server.url}/api/health")
        targets += [*triage.values(), health_big]
        for _ in range(load.rounds):
            for target in targets:
                target.measure(load)

    health, relief_rate = targets[0].rps, targets[1].rps
    print(
        f"health_rps={health:.0f} (the {small}-patient server; {health_big.rps:.0f} on the other)"
    )
    print(f"relief_rps={relief_rate:.1f} (3 years: {relief.counts})")
    for patients, target in triage.items():
        print(f"triage_rps_{patients}={target.rps:.1f} (first page of 50, {patients} patients)")
    print(f"relief_ratio={relief_rate / health:.3f}")
    if len(triage) == 2:
        # Each triage rate against the health of its own server process.
        print(f"triage_ratio={triage[big].rps / health_big.rps:.4f}")
        print(f"scale_ratio={triage[small].rps / triage[big].rps:.3f}")
    else:
        print("triage_ratio=skipped (no triage list to measure)")
        print("scale_ratio=skipped (no triage list to measure)")


if __name__ == "__main__":
    main()
