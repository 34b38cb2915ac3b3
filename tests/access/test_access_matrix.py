"""Every API operation, called as every kind of account against patient A's records, answers as
the policy its route declares (`policy=...`, backend/afterglow/accounts/policy.py) says.

The operations come from the OpenAPI document, so a new route is in the matrix the day it is
added, and fails here until it names its policy. One test per database walks the whole matrix and
reports every disagreement at once, as a table.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from litestar import Litestar
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.accounts.policy import Policy, declared_policy
from afterglow.alerts.models import SafetyAlert
from afterglow.exports.models import ApiToken, ExportChunk, ExportFile, ExportJob
from afterglow.fhir.codes import questionnaire_url
from afterglow.infusions.schemas import EventCreate, InfusionCreate
from afterglow.infusions.service import add_event, add_infusion
from afterglow.journal.schemas import JournalEntryWrite
from afterglow.journal.service import write_entry
from afterglow.push.models import PushSubscription
from conftest import (
    PASSWORD,
    ClientFactory,
    World,
    add_device,
    add_urgent_alert,
    add_user,
    csrf_ready,
)
from fake_push_service import FakePushService

NOW = datetime.now(UTC).replace(microsecond=0)
PATIENT_A_NAME = "Patient A1"
PATIENT_A_EMAIL = "p1@a.test"


@dataclass(frozen=True)
class Actor:
    name: str
    email: str | None
    role: str | None  # None: not signed in
    clinic: int | None
    is_patient_a: bool = False

    @property
    def signed_in(self) -> bool:
        return self.role is not None

    @property
    def may_know_patient_a(self) -> bool:
        """Who may see patient A's name or email at all: A and the clinicians of A's clinic."""
        return self.is_patient_a or (self.role == "clinician" and self.clinic == 1)


ACTORS = [
    Actor("anonymous", None, None, None),
    Actor("patient A", "p1@a.test", "patient", 1, is_patient_a=True),
    Actor("patient B", "p2@a.test", "patient", 1),
    Actor("clinician 1", "doc@a.test", "clinician", 1),
    Actor("clinician 1b", "doc2@a.test", "clinician", 1),
    Actor("admin 1", "admin@a.test", "admin", 1),
    Actor("clinician 2", "doc@b.test", "clinician", 2),
    Actor("admin 2", "admin@b.test", "admin", 2),
    Actor("patient 2", "p1@b.test", "patient", 2),
]


def admitted(policy: Policy, actor: Actor, names_patient_a: bool) -> bool:
    """Whether the policy lets this actor in.

    `names_patient_a`: the path names one of patient A's records (or a clinic-1 account), so
    "clinic" means clinic 1; otherwise the route acts on the caller's own clinic or account.
    """
    own_clinic = not names_patient_a or actor.clinic == 1
    match policy:
        case Policy.PUBLIC:
            return True
        case Policy.SIGNED_IN:
            return actor.signed_in
        case Policy.SELF:
            return actor.is_patient_a if names_patient_a else actor.signed_in
        case Policy.OWN_PATIENT:
            return actor.role == "patient" and (actor.is_patient_a or not names_patient_a)
        case Policy.OWN_PATIENT_OR_CLINIC_CLINICIAN:
            if names_patient_a:
                return actor.is_patient_a or (actor.role == "clinician" and actor.clinic == 1)
            return actor.role in ("patient", "clinician")
        case Policy.CLINIC_CLINICIAN:
            return actor.role == "clinician" and own_clinic
        case Policy.CLINIC_STAFF:
            return actor.role in ("clinician", "admin") and own_clinic
        case Policy.CLINIC_ADMIN:
            return actor.role == "admin" and own_clinic


@dataclass
class Records:
    """Patient A's records (and the clinic-1 staff account) that the matrix aims at."""

    patient_id: int
    infusion_id: int
    event_id: int
    alert_id: int
    device_id: int
    staff_user_id: int
    # Removing a record twice is a 404: each actor removes a copy of its own.
    infusion_per_actor: dict[str, int] = field(default_factory=dict)
    event_per_actor: dict[str, int] = field(default_factory=dict)
    clinic_settings: dict[str, Any] = field(default_factory=dict)
    # Exports: clinic 1, a finished export with one file, one export for each actor to cancel,
    # an API token to revoke.
    clinic_id: int = 0
    export_job_id: int = 0
    export_file_id: int = 0
    api_token_id: int = 0
    export_job_per_actor: dict[str, int] = field(default_factory=dict)
    journal_key: str = ""


def path_values(records: Records, actor: Actor, method: str) -> dict[str, str]:
    removing = method == "DELETE"
    infusion = records.infusion_per_actor[actor.name] if removing else records.infusion_id
    event = records.event_per_actor[actor.name] if removing else records.event_id
    return {
        "patient_id": str(records.patient_id),
        "infusion_id": str(infusion),
        "event_id": str(event),
        "alert_id": str(records.alert_id),
        "subscription_id": str(records.device_id),
        "user_id": str(records.staff_user_id),
        "clinic_id": str(records.clinic_id),
        "job_id": str(
            records.export_job_per_actor[actor.name] if removing else records.export_job_id
        ),
        "file_id": str(records.export_file_id),
        "token_id": str(records.api_token_id),
        "entry_key": records.journal_key,
        # No such link: every answer about it is the same, signed in or not.
        "token": "no-such-enrollment-link",
    }


Body = Callable[[Records, Actor, FakePushService], Any]


def _slug(actor: Actor) -> str:
    return actor.name.replace(" ", "-")


# A valid body per operation, so that a refusal cannot hide behind a validation error.
BODIES: dict[str, Body] = {
    "login": lambda r, a, s: {"email": PATIENT_A_EMAIL, "password": PASSWORD},
    "acceptEnrollment": lambda r, a, s: {"password": "a long synthetic passphrase"},
    "createPatient": lambda r, a, s: {
        "display_name": f"New patient of {a.name}",
        "timezone": "Europe/Paris",
    },
    "updatePatient": lambda r, a, s: {"locale": "en-US"},
    "updateMyLanguage": lambda r, a, s: {"locale": "en-US"},
    "inviteStaff": lambda r, a, s: {
        "email": f"invited-by-{_slug(a)}@staff.test",
        "display_name": "Invited Clinician",
    },
    "updateStaff": lambda r, a, s: {"is_active": True},
    "updateClinicSettings": lambda r, a, s: r.clinic_settings,
    "createCheckin": lambda r, a, s: {"instrument": "mood", "answers": [6]},
    "importHistory": lambda r, a, s: {
        "checkins": [
            {
                "instrument": "mood",
                "answers": [5],
                "taken_at": (NOW - timedelta(days=400)).isoformat(),
            }
        ]
    },
    "fhirImportResponses": lambda r, a, s: {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "resource": {
                    "resourceType": "QuestionnaireResponse",
                    "questionnaire": questionnaire_url("mood"),
                    "status": "completed",
                    "authored": (NOW - timedelta(days=401)).isoformat(),
                    "item": [{"linkId": "mood", "answer": [{"valueInteger": 5}]}],
                }
            }
        ],
    },
    "recordInfusion": lambda r, a, s: {
        "given_at": (NOW - timedelta(hours=2)).isoformat(),
        "route": "iv",
        "kind": "scheduled_booster",
    },
    "correctInfusion": lambda r, a, s: {"dose_mg": 40},
    "markInfusionEnteredInError": lambda r, a, s: {"reason": "Duplicate entry"},
    "correctEvent": lambda r, a, s: {"notes": "Synthetic correction"},
    "markEventEnteredInError": lambda r, a, s: {},
    "recordEvent": lambda r, a, s: {
        "kind": "medication_change",
        "occurred_at": (NOW - timedelta(days=1)).isoformat(),
    },
    "acknowledgeAlert": lambda r, a, s: {"note": "Called the patient; safe and supported."},
    # A text no one was shown: a clinician let in is answered 409 (read it again).
    "confirmClinicCrisisText": lambda r, a, s: {"lang": "es", "text_sha256": "0" * 64},
    "withdrawClinicCrisisText": lambda r, a, s: {"lang": "es"},
    "createApiToken": lambda r, a, s: {"name": f"Integration of {a.name}"},
    "createPushSubscription": lambda r, a, s: s.device(f"matrix-{_slug(a)}").subscription(),
    "updateMyReminders": lambda r, a, s: {
        "daily_mood_at": "19:00",
        "weekly_phq9": {"weekday": 0, "at": "10:00"},
        "weekly_gad7": None,
    },
    "writeMyJournalEntry": lambda r, a, s: {"text": f"Synthetic words of {a.name}", "revision": 2},
    "updatePatientReminders": lambda r, a, s: {
        "daily_mood_at": "19:00",
        "weekly_phq9": {"weekday": 0, "at": "10:00"},
        "weekly_gad7": None,
    },
}

# These change the caller's own session: each call gets a client of its own, and they go last.
SESSION_CHANGING = {"login", "logout", "logoutEverywhere", "acceptEnrollment"}


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str  # as in the OpenAPI document: /api/patients/{patient_id}
    has_body: bool
    query_names: tuple[str, ...]
    policy: Policy | None

    @property
    def names_patient_a(self) -> bool:
        return any(name != "token" for name in re.findall(r"\{(\w+)\}", self.path))

    @property
    def order(self) -> tuple[int, str]:
        if self.operation_id in SESSION_CHANGING:
            rank = 3
        elif self.method == "DELETE":
            rank = 2
        elif self.method == "GET":
            rank = 0
        else:
            rank = 1
        return rank, self.operation_id


def _openapi_path(route_path: str) -> str:
    return re.sub(r"\{(\w+):[^}]+\}", r"{\1}", route_path)


def operations(app: Litestar) -> list[Operation]:
    """Every operation of the OpenAPI document, with the policy its route handler declares."""
    policies: dict[tuple[str, str], Policy | None] = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in handler.http_methods:
                policies[_openapi_path(route.path), method] = declared_policy(handler.opt)
    found = []
    for path, item in (app.openapi_schema.paths or {}).items():
        for method in ("get", "post", "put", "patch", "delete"):
            op = getattr(item, method)
            if op is None:
                continue
            found.append(
                Operation(
                    operation_id=str(op.operation_id),
                    method=method.upper(),
                    path=path,
                    has_body=op.request_body is not None,
                    query_names=tuple(
                        p.name for p in op.parameters or [] if getattr(p, "param_in", "") == "query"
                    ),
                    policy=policies.get((path, method.upper())),
                )
            )
    return sorted(found, key=lambda o: o.order)


@dataclass
class Mismatch:
    operation: str
    actor: str
    policy: str
    expected: str
    got: str

    def row(self) -> str:
        return (
            f"{self.operation:<52} {self.actor:<13} {self.policy:<32} "
            f"{self.expected:<22} {self.got}"
        )


def table(mismatches: list[Mismatch]) -> str:
    header = f"{'operation':<52} {'actor':<13} {'policy':<32} {'expected':<22} got"
    return "\n".join([header, "-" * len(header), *(m.row() for m in mismatches)])


def judge(op: Operation, actor: Actor, response: httpx.Response) -> str | None:
    """What is wrong with this answer, or None."""
    assert op.policy is not None
    status = response.status_code
    if status >= 500:
        return "a server error"
    if admitted(op.policy, actor, op.names_patient_a):
        refusals = {401, 403} if op.policy is Policy.PUBLIC else {401, 403, 404}
        if status in refusals:
            return "refused"
        if not (200 <= status < 300 or status in (400, 409, 422, 429)):
            return "neither done nor a validation answer"
        if (
            200 <= status < 300
            and op.policy is not Policy.PUBLIC
            and not actor.may_know_patient_a
            and (PATIENT_A_NAME in response.text or PATIENT_A_EMAIL in response.text)
        ):
            return "patient A's name or email in the answer"
        return None
    expected = {401} if not actor.signed_in else {403, 404}
    if status not in expected:
        return "let in" if status < 400 or status in (400, 409, 422) else "wrong refusal"
    return None


def expectation(op: Operation, actor: Actor) -> str:
    assert op.policy is not None
    if admitted(op.policy, actor, op.names_patient_a):
        return "2xx/4xx-validation"
    return "401" if not actor.signed_in else "403/404"


class Phones:
    """Each actor's client on a network address of its own, as separate phones and desks are.

    Guessed enrollment links and failed sign-ins are throttled per address: one actor's refused
    guesses must not lock the next actor out of signing in.
    """

    def __init__(self, app: Litestar) -> None:
        self.app = app
        self.opened: list[httpx.AsyncClient] = []

    async def open(self, actor: Actor) -> httpx.AsyncClient:
        address = f"198.51.100.{len(self.opened) + 1}"
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app, client=(address, 50000)),
            base_url="http://testserver.local",
        )
        self.opened.append(client)
        await csrf_ready(client)
        if actor.email is not None:
            response = await client.post(
                "/api/auth/login", json={"email": actor.email, "password": PASSWORD}
            )
            assert response.status_code == 200, f"{actor.name} signs in: {response.text}"
            # The CSRF token belongs to the session: sign-in may hand out a new one.
            client.headers["x-csrftoken"] = client.cookies["csrftoken"]
        return client

    async def close(self) -> None:
        for client in self.opened:
            await client.aclose()


async def _export_records(db: AsyncSession, world: World) -> dict[str, Any]:
    """A finished Bulk Data export of clinic 1 with one file, an export per actor to cancel,
    and an API token."""
    clinic_id = world.clinic_a.id or 0

    def job(status: str) -> ExportJob:
        return ExportJob(
            clinic_id=clinic_id,
            requested_by=world.clinician_a.id,
            request_url=f"http://testserver.local/fhir/Group/{clinic_id}/$export",
            resource_types=["Patient"],
            status=status,
            transaction_time=NOW,
            created_at=NOW,
            updated_at=NOW,
            expires_at=NOW + timedelta(days=1),
        )

    done = job("completed")
    db.add(done)
    await db.flush()
    line = b'{"resourceType":"Patient","id":"0"}\n'
    file = ExportFile(
        job_id=done.id or 0,
        kind="output",
        resource_type="Patient",
        resources=1,
        size_bytes=len(line),
        chunks=1,
    )
    db.add(file)
    await db.flush()
    db.add(ExportChunk(file_id=file.id or 0, seq=0, data=line))
    to_cancel = {}
    for actor in ACTORS:
        queued = job("queued")
        db.add(queued)
        await db.flush()
        to_cancel[actor.name] = queued.id or 0
    token = ApiToken(
        clinic_id=clinic_id,
        created_by=world.clinician_a.id or 0,
        name="Matrix integration",
        token_hash="0" * 64,
        hint="agx_0000",
        created_at=NOW,
    )
    db.add(token)
    await db.commit()
    return {
        "clinic_id": clinic_id,
        "export_job_id": done.id or 0,
        "export_file_id": file.id or 0,
        "api_token_id": token.id or 0,
        "export_job_per_actor": to_cancel,
    }


async def arrange(
    db: AsyncSession,
    world: World,
    push_service: FakePushService,
    clients: dict[str, httpx.AsyncClient],
) -> Records:
    """Patient A's records: infusions, events, a check-in with its item-9 alert, a device."""
    patient_id = world.patient_a1.id or 0
    clinician_id = world.clinician_a.id or 0
    infusion = await add_infusion(
        db,
        patient_id,
        InfusionCreate(given_at=NOW - timedelta(days=3), route="iv", kind="induction"),
        clinician_id,
        NOW,
    )
    event = await add_event(
        db,
        patient_id,
        EventCreate(kind="medication_change", occurred_at=NOW - timedelta(days=2)),
        clinician_id,
        NOW,
    )
    per_actor_infusions: dict[str, int] = {}
    per_actor_events: dict[str, int] = {}
    for actor in ACTORS:
        extra = await add_infusion(
            db,
            patient_id,
            InfusionCreate(given_at=NOW - timedelta(days=10), route="im", kind="induction"),
            clinician_id,
            NOW,
        )
        extra_event = await add_event(
            db,
            patient_id,
            EventCreate(kind="ect_tms_start", occurred_at=NOW - timedelta(days=9)),
            clinician_id,
            NOW,
        )
        per_actor_infusions[actor.name] = extra.id or 0
        per_actor_events[actor.name] = extra_event.id or 0
    spare = await add_user(db, world.clinic_a, "doc3@a.test", "clinician", "Dr Spare A3")
    await db.commit()
    await add_urgent_alert(db, world, NOW - timedelta(minutes=5), NOW + timedelta(minutes=25))
    await add_device(db, push_service, world.patient_a1.user_id, "phone-of-a", NOW)
    alert_id = await db.scalar(
        select(col(SafetyAlert.id)).where(col(SafetyAlert.patient_id) == patient_id)
    )
    device_id = await db.scalar(
        select(col(PushSubscription.id)).where(
            col(PushSubscription.user_id) == world.patient_a1.user_id
        )
    )
    journal_key = str(uuid.uuid4())
    await write_entry(
        db, patient_id, journal_key, JournalEntryWrite(text="Synthetic private words."), NOW
    )
    exports = await _export_records(db, world)
    settings = await clients["admin 1"].get("/api/clinic/settings")
    assert settings.status_code == 200, settings.text
    return Records(
        patient_id=patient_id,
        infusion_id=infusion.id or 0,
        event_id=event.id or 0,
        alert_id=alert_id or 0,
        device_id=device_id or 0,
        staff_user_id=spare.id or 0,
        infusion_per_actor=per_actor_infusions,
        event_per_actor=per_actor_events,
        clinic_settings=settings.json(),
        **exports,
        journal_key=journal_key,
    )


async def call(
    client: httpx.AsyncClient,
    op: Operation,
    actor: Actor,
    records: Records,
    push_service: FakePushService,
) -> httpx.Response:
    values = path_values(records, actor, op.method)
    path = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], op.path)
    params = {"patient_id": str(records.patient_id)} if "patient_id" in op.query_names else {}
    body = BODIES[op.operation_id](records, actor, push_service) if op.has_body else None
    return await client.request(
        op.method,
        path,
        params=params,
        json=body,
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )


async def test_every_route_answers_each_actor_as_its_declared_policy_says(
    running_app: Litestar, world: World, db: AsyncSession, push_service: FakePushService
) -> None:
    await add_user(db, world.clinic_b, "admin@b.test", "admin", "Admin B")
    await db.commit()
    phones = Phones(running_app)
    try:
        await walk_the_matrix(running_app, world, db, push_service, phones)
    finally:
        await phones.close()


async def walk_the_matrix(
    running_app: Litestar,
    world: World,
    db: AsyncSession,
    push_service: FakePushService,
    phones: Phones,
) -> None:
    clients = {actor.name: await phones.open(actor) for actor in ACTORS}
    records = await arrange(db, world, push_service, clients)
    ops = operations(running_app)

    undeclared = [f"{o.method} {o.path} ({o.operation_id})" for o in ops if o.policy is None]
    assert not undeclared, (
        "Every route names who may call it: add policy=... (a name from "
        "backend/afterglow/accounts/policy.py) to the decorator of\n  " + "\n  ".join(undeclared)
    )
    unknown_paths = {
        name
        for o in ops
        for name in re.findall(r"\{(\w+)\}", o.path)
        if name not in path_values(records, ACTORS[0], "GET")
    }
    assert not unknown_paths, f"Tell path_values() which record these name: {unknown_paths}"
    no_body = [o.operation_id for o in ops if o.has_body and o.operation_id not in BODIES]
    assert not no_body, f"Give these operations a valid body in BODIES: {no_body}"

    mismatches: list[Mismatch] = []
    for op in ops:
        policy = op.policy
        assert policy is not None
        # Those to be refused go first: a record an allowed actor removed would hide a refusal
        # that did not happen behind a 404.
        for actor in sorted(ACTORS, key=lambda a: admitted(policy, a, op.names_patient_a)):
            if op.operation_id in SESSION_CHANGING:
                client = await phones.open(actor)
            else:
                client = clients[actor.name]
            response = await call(client, op, actor, records, push_service)
            problem = judge(op, actor, response)
            if problem:
                detail = response.text[:60].replace("\n", " ")
                mismatches.append(
                    Mismatch(
                        f"{op.method} {op.path} ({op.operation_id})",
                        actor.name,
                        policy.value,
                        expectation(op, actor),
                        f"{response.status_code} {problem}: {detail}",
                    )
                )
    assert not mismatches, (
        f"{len(mismatches)} answers disagree with the declared policies:\n" + table(mismatches)
    )


def concrete_path(route_path: str, records_like: dict[str, str]) -> str:
    """A route table path with real values: ids for ids, a file name for file paths."""

    def value(match: re.Match[str]) -> str:
        name, kind = match.group(1), match.group(2)
        if kind == "path":
            return "app.js"
        return records_like.get(name, "1" if kind == "int" else "x")

    return re.sub(r"\{(\w+):(\w+)\}", value, route_path)


async def test_a_preflight_on_any_route_is_never_a_server_error(
    make_client: ClientFactory, running_app: Litestar, world: World
) -> None:
    """OPTIONS is not in the OpenAPI document: the routes come from the app's route table."""
    ids = {
        "patient_id": str(world.patient_a1.id),
        "user_id": str(world.clinician_a2.id),
    }
    anonymous = await make_client()
    signed_in = await make_client("doc@a.test")
    failures = []
    for route in running_app.routes:
        methods = sorted(set(getattr(route, "methods", set())) - {"OPTIONS", "HEAD"})
        if not methods:
            continue
        path = concrete_path(route.path, ids)
        for who, client in (("anonymous", anonymous), ("clinician 1", signed_in)):
            response = await client.options(
                path,
                headers={
                    "Origin": "http://testserver.local",
                    "Access-Control-Request-Method": methods[0],
                },
            )
            if response.status_code >= 500:
                failures.append(f"OPTIONS {path:<55} {who:<12} {response.status_code}")
    assert not failures, f"{len(failures)} preflights answered a server error:\n" + "\n".join(
        failures
    )
