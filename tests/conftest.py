"""Shared fixtures: a real database per backend (SQLite and PostgreSQL), the app, signed-in clients.

Every test that takes `client`, `db` or `world` runs once on SQLite and once on PostgreSQL.
PostgreSQL tests skip with a message when no server answers on 127.0.0.1:5432, unless
AFTERGLOW_REQUIRE_PG=1 (CI), where they fail instead.
"""

from __future__ import annotations

import asyncio
import gc
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import msgspec
import pytest
from alembic import command
from argon2 import PasswordHasher
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

import afterglow.models  # noqa: F401
from afterglow.accounts import passwords
from afterglow.accounts.models import Clinic, Patient, User
from afterglow.accounts.passwords import hash_password_sync
from afterglow.alerts.models import SafetyAlert
from afterglow.app import create_app
from afterglow.checkins.models import CheckIn
from afterglow.clock import SetClock
from afterglow.db import alembic_config, create_engine, migrate, session_maker
from afterglow.exports.runner import BulkExports
from afterglow.push.delivery import PushSender
from afterglow.push.schemas import SubscriptionIn
from afterglow.push.service import subscribe_device
from afterglow.push.vapid import load_vapid
from afterglow.relief.service import refresh_patient_relief
from afterglow.settings import Settings
from afterglow.worker import ReminderTick
from fake_push_service import FakePushService

PG_ADMIN_DSN = os.environ.get("AFTERGLOW_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
PASSWORD = "correct horse battery"
_HASHES: dict[str, str] = {}


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing() -> Iterator[None]:
    """Argon2id with the smallest cost, so hundreds of sign-ins take seconds, not minutes.

    The production parameters are pinned by tests/accounts/test_passwords.py.
    """
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", cheap)
        patch.setattr(passwords, "_DUMMY_HASH", cheap.hash("timing"))
        yield


@pytest.fixture(autouse=True)
def small_garbage_collections() -> None:
    """Keep each test's full garbage collections to the objects that test makes.

    Fixtures call `gc.collect()` at teardown so that an unreferenced asyncpg connection is
    finalised inside its own test's event loop. A full collection walks every tracked object,
    and after the imports (Litestar, SQLAlchemy, hypothesis, Playwright) that is hundreds of
    thousands: about a second a call on this machine, several calls a test. So before each test,
    what is alive (modules, session fixtures) is collected once and frozen out of later
    collections (`gc.freeze`); the test's own objects are still collected as before.
    """
    gc.collect()
    gc.freeze()


def password_hash(password: str = PASSWORD) -> str:
    """Argon2 is deliberately slow: hash each test password once per run."""
    if password not in _HASHES:
        _HASHES[password] = hash_password_sync(password)
    return _HASHES[password]


def _pg_available() -> str | None:
    async def probe() -> None:
        conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=3)
        await conn.close()

    try:
        asyncio.run(probe())
    except Exception as error:
        return f"PostgreSQL not reachable at {PG_ADMIN_DSN}: {error}"
    return None


def _run_admin(sql: str) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


def require_pg() -> None:
    """Skip a PostgreSQL test when no server answers, or fail it where CI requires one."""
    problem = _pg_available()
    if problem:
        if os.environ.get("AFTERGLOW_REQUIRE_PG") == "1":
            pytest.fail(f"AFTERGLOW_REQUIRE_PG=1 but {problem}")
        pytest.skip(f"{problem} (set AFTERGLOW_REQUIRE_PG=1 to make this a failure)")


@contextmanager
def database_at(backend: str, data_dir: Path, revision: str) -> Iterator[Settings]:
    """A new database of `backend`, migrated up to `revision` only (outside any test's event
    loop, as `afterglow migrate` runs), for tests of the migrations after it; dropped after."""
    env = {"AFTERGLOW_DATA_DIR": str(data_dir), "AFTERGLOW_SCHEDULER": "off"}
    name = f"afterglow_mig_{uuid.uuid4().hex[:12]}"
    if backend == "postgresql":
        require_pg()
        _run_admin(f'CREATE DATABASE "{name}"')
        env["AFTERGLOW_DATABASE_URL"] = f"{PG_ADMIN_DSN.rsplit('/', 1)[0]}/{name}"
    settings = Settings.from_env(env)
    command.upgrade(alembic_config(settings), revision)
    try:
        yield settings
    finally:
        if backend == "postgresql":
            _run_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A uniquely named PostgreSQL database for this run, dropped at the end."""
    require_pg()
    name = f"afterglow_test_{uuid.uuid4().hex[:12]}"
    _run_admin(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_DSN.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        _run_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def migrated(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], Settings]:
    """Settings for a migrated database of each backend, made once per run."""
    made: dict[str, Settings] = {}

    def get(backend: str) -> Settings:
        if backend not in made:
            data_dir = tmp_path_factory.mktemp(f"data-{backend}")
            env = {
                "AFTERGLOW_DATA_DIR": str(data_dir),
                "AFTERGLOW_SCHEDULER": "off",
                # The fake push service of the tests listens on loopback.
                "AFTERGLOW_PUSH_HOSTS": "127.0.0.1",
            }
            if backend == "postgresql":
                env["AFTERGLOW_DATABASE_URL"] = request.getfixturevalue("pg_database")
            settings = Settings.from_env(
                env, public_url="http://testserver.local", login_max_failures_per_address=8
            )
            migrate(settings)
            made[backend] = settings
        return made[backend]

    return get


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def _empty_all_tables(settings: Settings) -> None:
    engine = create_engine(settings)
    try:
        async with engine.begin() as conn:
            tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
            if conn.dialect.name == "postgresql":
                quoted = ", ".join(f'"{t}"' for t in tables)
                await conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    await conn.execute(text(f'DELETE FROM "{table}"'))
    finally:
        await engine.dispose()


@pytest.fixture
def migrated_settings(backend: str, migrated: Callable[[str], Settings]) -> Settings:
    return migrated(backend)


@pytest.fixture
async def settings(migrated_settings: Settings) -> Settings:
    await _empty_all_tables(migrated_settings)
    return migrated_settings


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[AsyncSession]:
    """A session on the test database, for arranging rows and checking what was stored.

    It begins plain (deferred) transactions: holding SQLite's write lock between statements
    would make the app's requests wait on the test.
    """
    engine = create_engine(settings, sqlite_write_lock_at_begin=False)
    async with session_maker(engine)() as session:
        yield session
    await engine.dispose()
    # Finalise anything unreferenced while this test's loop still runs: an asyncpg connection
    # collected later, inside another test's loop, would break that test's request.
    gc.collect()


@pytest.fixture
def app_clock() -> SetClock:
    """The app's clock: real time until a test sets or advances it."""
    return SetClock()


@pytest.fixture
def app(settings: Settings, app_clock: SetClock) -> Litestar:
    return create_app(settings, clock=app_clock)


@dataclass
class World:
    """Two clinics: A with an admin, two clinicians and two enrolled patients; B with one of each."""

    clinic_a: Clinic
    clinic_b: Clinic
    admin_a: User
    clinician_a: User
    clinician_a2: User
    patient_a1: Patient
    patient_a2: Patient
    clinician_b: User
    patient_b1: Patient


NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


async def add_user(db: AsyncSession, clinic: Clinic, email: str, role: str, name: str) -> User:
    user = User(
        clinic_id=clinic.id or 0,
        email=email,
        display_name=name,
        role=role,
        password_hash=password_hash(),
        created_at=NOW,
    )
    db.add(user)
    await db.flush()
    return user


async def add_patient(
    db: AsyncSession, clinic: Clinic, email: str, name: str, timezone: str = "America/New_York"
) -> Patient:
    user = await add_user(db, clinic, email, "patient", name)
    patient = Patient(
        clinic_id=clinic.id or 0,
        user_id=user.id,
        display_name=name,
        email=email,
        timezone=timezone,
        created_at=NOW,
    )
    db.add(patient)
    await db.flush()
    return patient


@pytest.fixture
async def world(db: AsyncSession) -> World:
    clinic_a = Clinic(name="Synthetic Clinic A", created_at=NOW)
    clinic_b = Clinic(name="Synthetic Clinic B", created_at=NOW)
    db.add_all([clinic_a, clinic_b])
    await db.flush()
    w = World(
        clinic_a=clinic_a,
        clinic_b=clinic_b,
        admin_a=await add_user(db, clinic_a, "admin@a.test", "admin", "Admin A"),
        clinician_a=await add_user(db, clinic_a, "doc@a.test", "clinician", "Dr Synthetic A"),
        clinician_a2=await add_user(db, clinic_a, "doc2@a.test", "clinician", "Dr Synthetic A2"),
        patient_a1=await add_patient(db, clinic_a, "p1@a.test", "Patient A1"),
        patient_a2=await add_patient(db, clinic_a, "p2@a.test", "Patient A2", "Europe/London"),
        clinician_b=await add_user(db, clinic_b, "doc@b.test", "clinician", "Dr Synthetic B"),
        patient_b1=await add_patient(db, clinic_b, "p1@b.test", "Patient B1"),
    )
    # Every patient has a triage summary from the start, as after `POST /api/patients` (whose
    # reminder plan is left out here: tests set the schedules and clocks they need).
    for patient in (w.patient_a1, w.patient_a2, w.patient_b1):
        await refresh_patient_relief(db, patient.id or 0, NOW)
    await db.commit()
    return w


ClientFactory = Callable[..., Awaitable[httpx.AsyncClient]]


async def csrf_ready(client: httpx.AsyncClient) -> None:
    """Fetch the CSRF cookie the way the app does (any GET), and echo it in the header.

    The token belongs to the session, so the client then follows the token each response
    names (a new one at every sign-in and sign-out), as the app reads its cookie anew.
    """

    async def follow_token(response: httpx.Response) -> None:
        token = response.headers.get("x-csrftoken")
        if token:
            client.headers["x-csrftoken"] = token

    await client.get("/api/health")
    token = client.cookies.get("csrftoken")
    assert token, "the server should set a csrftoken cookie on a GET"
    client.headers["x-csrftoken"] = token
    client.event_hooks["response"].append(follow_token)


@pytest.fixture
async def running_app(app: Litestar) -> AsyncIterator[Litestar]:
    """The app with its lifespan running on the test's own event loop (so requests really overlap).

    The lifespan runs in a task of its own because anyio wants it entered and exited in one task.
    """
    started, stop = asyncio.Event(), asyncio.Event()

    async def run() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(run())
    waiter = asyncio.create_task(started.wait())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()
    yield app
    stop.set()
    await task
    gc.collect()


@pytest.fixture
async def make_client(running_app: Litestar) -> AsyncIterator[ClientFactory]:
    """Clients with their own cookie jars; `await make_client("doc@a.test")` signs one in."""
    opened: list[httpx.AsyncClient] = []

    async def make(email: str | None = None, password: str = PASSWORD) -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=running_app, client=("203.0.113.10", 50000)),
            base_url="http://testserver.local",
        )
        opened.append(client)
        await csrf_ready(client)
        if email is not None:
            response = await client.post(
                "/api/auth/login", json={"email": email, "password": password}
            )
            assert response.status_code == 200, response.text
        return client

    yield make
    for client in opened:
        await client.aclose()


@pytest.fixture
async def client(make_client: ClientFactory) -> httpx.AsyncClient:
    """An anonymous client with a CSRF token."""
    return await make_client()


class Clock:
    """The tick's clock in tests: set `now` and every tick, send and lease reads it."""

    def __init__(self, now: datetime) -> None:
        self.now = now.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now.astimezone(UTC)


@pytest.fixture
async def push_service() -> AsyncIterator[FakePushService]:
    """A push service on loopback that decrypts what it receives (tests/fake_push_service.py)."""
    service = await FakePushService().start()
    yield service
    await service.stop()


@pytest.fixture
async def make_tick(settings: Settings) -> AsyncIterator[Callable[[Clock], ReminderTick]]:
    """Reminder ticks on the test database; each call is another instance with its own engine."""
    engines = []
    senders = []

    def make(clock: Clock) -> ReminderTick:
        engine = create_engine(settings)
        sender = PushSender(load_vapid(settings))
        engines.append(engine)
        senders.append(sender)
        return ReminderTick(engine, sender, clock=clock)

    yield make
    for sender in senders:
        await sender.close()
    for engine in engines:
        await engine.dispose()
    gc.collect()


@pytest.fixture
async def make_runner(settings: Settings) -> AsyncIterator[Callable[..., BulkExports]]:
    """The Bulk Data export job as an instance runs it (exports/runner.py); each call is another
    instance, with its own engine."""
    engines = []

    def make(**kwargs: Any) -> BulkExports:
        engine = create_engine(settings)
        engines.append(engine)
        return BulkExports(engine, **kwargs)

    yield make
    for engine in engines:
        await engine.dispose()
    gc.collect()


async def add_device(
    db: AsyncSession, service: FakePushService, user_id: int | None, name: str, now: datetime
) -> None:
    """Turn notifications on for a user's new device, as the app's POST does."""
    assert user_id is not None
    data = msgspec.convert(service.device(name).subscription(), SubscriptionIn)
    await subscribe_device(db, user_id, data, ("127.0.0.1",), now)
    await db.commit()


async def add_urgent_alert(
    db: AsyncSession,
    world: World,
    raised_at: datetime,
    escalate_at: datetime,
    *,
    patient: Patient | None = None,
) -> None:
    """A patient (A1 unless named) answered PHQ-9 item 9 with 2 at `raised_at`: an urgent alert,
    still open."""
    patient = patient or world.patient_a1
    checkin = CheckIn(
        patient_id=patient.id or 0,
        instrument="phq9",
        answers=[2, 2, 2, 2, 1, 2, 1, 1, 2],
        score=15,
        item9=2,
        taken_at=raised_at,
        received_at=raised_at,
        idempotency_key=str(uuid.uuid4()),
        request_hash="0" * 64,
    )
    db.add(checkin)
    await db.flush()
    db.add(
        SafetyAlert(
            clinic_id=patient.clinic_id,
            patient_id=patient.id or 0,
            checkin_id=checkin.id or 0,
            item9=2,
            level="urgent",
            created_at=raised_at,
            escalate_at=escalate_at,
        )
    )
    await db.commit()


def checkin_key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}
