"""A patient's record as a stream of FHIR resources, read a page of rows at a time.

`patient_resources` is what `$everything` and the Bulk Data export both stream. It holds one page
of rows in memory, never the record, and ends its transaction after each page (a commit), so a
slow reader never keeps the database busy: on SQLite one connection serves the whole process and
every transaction holds the write lock. Give it a session of its own, with no unsaved work.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from afterglow.accounts.models import Clinic, Patient
from afterglow.alerts.models import SafetyAlert
from afterglow.checkins.models import CheckIn
from afterglow.clock import utcnow
from afterglow.errors import NotFound
from afterglow.fhir import resources
from afterglow.infusions.models import ClinicalEvent, Infusion
from afterglow.journal.service import shared_entries
from afterglow.relief.models import PatientSummary
from afterglow.relief.service import clinic_thresholds, relief_now
from afterglow.relief.summary import as_utc

PAGE_ROWS = 250

EVENT_TYPES = frozenset({"Encounter", "Condition", "Procedure", "Observation"})
# Every resource type a patient's record is made of (Questionnaire and CodeSystem are the
# instruments', see questionnaires.py).
PATIENT_TYPES = frozenset(
    {
        "Patient",
        "QuestionnaireResponse",
        "Observation",
        "MedicationAdministration",
        "Flag",
        "Communication",
    }
    | EVENT_TYPES
)


def _table(model: type[SQLModel]) -> Any:
    return SQLModel.metadata.tables[str(model.__tablename__)]


_PATIENT = _table(Patient)
_CLINIC = _table(Clinic)
_CHECKIN = _table(CheckIn)
_INFUSION = _table(Infusion)
_EVENT = _table(ClinicalEvent)
_ALERT = _table(SafetyAlert)

_PATIENT_FIELDS = tuple(
    name for name in resources.PatientFacts.__dataclass_fields__ if name != "clinic_name"
)
_CHECKIN_COLUMNS = (
    _CHECKIN.c.id,
    _CHECKIN.c.patient_id,
    _CHECKIN.c.instrument,
    _CHECKIN.c.answers,
    _CHECKIN.c.score,
    _CHECKIN.c.band,
    _CHECKIN.c.note,
    _CHECKIN.c.taken_at,
    _CHECKIN.c.received_at,
)
_INFUSION_COLUMNS = tuple(
    _INFUSION.c[name] for name in resources.InfusionFacts.__dataclass_fields__
)
_EVENT_COLUMNS = tuple(_EVENT.c[name] for name in resources.EventFacts.__dataclass_fields__)
_ALERT_COLUMNS = tuple(_ALERT.c[name] for name in resources.AlertFacts.__dataclass_fields__)


async def _pages(
    session: AsyncSession,
    statement: Callable[[tuple[Any, ...] | None], Select[Any]],
    key: Callable[[Any], tuple[Any, ...]],
) -> AsyncIterator[Any]:
    """Rows in pages of PAGE_ROWS by keyset (`statement(after)` reads the rows after a key),
    each page in its own short transaction."""
    after: tuple[Any, ...] | None = None
    while True:
        rows: Sequence[Any] = (await session.execute(statement(after).limit(PAGE_ROWS))).all()
        await session.commit()
        for row in rows:
            yield row
        if len(rows) < PAGE_ROWS:
            return
        after = key(rows[-1])


def _after(time_column: Any, id_column: Any, after: tuple[Any, ...] | None) -> Any:
    if after is None:
        return True
    moment, row_id = after
    return or_(time_column > moment, and_(time_column == moment, id_column > row_id))


def _changed_after(table: Any, since: datetime, *also: Any) -> Any:
    """Rows recorded or changed after `since`: by the row's `updated_at` where it has one, and
    by the other times that mark a change of it."""
    columns = [table.c.updated_at, *also] if "updated_at" in table.c else list(also)
    return or_(*(column > since for column in columns))


def _wanted(types: frozenset[str] | None, *produced: str) -> bool:
    return types is None or not types.isdisjoint(produced)


def _keep(types: frozenset[str] | None, resource: dict[str, Any]) -> bool:
    return types is None or resource["resourceType"] in types


async def _patient(session: AsyncSession, clinic_id: int, patient_id: int) -> Any:
    changed = _PATIENT.c.updated_at if "updated_at" in _PATIENT.c else _PATIENT.c.created_at
    row = (
        await session.execute(
            select(
                *(_PATIENT.c[name] for name in _PATIENT_FIELDS),
                changed.label("changed_at"),
                _CLINIC.c.name.label("clinic_name"),
            )
            .join(_CLINIC, _CLINIC.c.id == _PATIENT.c.clinic_id)
            .where(_PATIENT.c.id == patient_id, _PATIENT.c.clinic_id == clinic_id)
        )
    ).first()
    await session.commit()
    if row is None:
        raise NotFound(f"No patient {patient_id} in clinic {clinic_id}.")
    return row


async def patient_resources(
    session: AsyncSession,
    clinic_id: int,
    patient_id: int,
    *,
    since: datetime | None = None,
    types: frozenset[str] | None = None,
    now: datetime | None = None,
) -> AsyncIterator[dict[str, Any]]:
    """Every FHIR resource of one patient's record, one at a time.

    `since`: only what was recorded or changed after it (check-ins by when they were received,
    infusions, events and alerts by their last change, relief episodes when re-derived).
    `types`: only these resource types. `now` (the app's clock for a request, real time by
    default) is when relief episodes are judged; a stale stored analysis is re-derived first, as
    on any read of it. Raises NotFound when the patient is not the clinic's.
    """
    now = now or utcnow()
    row = await _patient(session, clinic_id, patient_id)
    if _wanted(types, "Patient") and (since is None or as_utc(row.changed_at) > since):
        yield resources.patient(
            resources.PatientFacts(
                clinic_name=row.clinic_name,
                **{name: getattr(row, name) for name in _PATIENT_FIELDS},
            )
        )
    if _wanted(types, "QuestionnaireResponse", "Observation"):
        async for resource in _checkins(session, patient_id, since):
            if _keep(types, resource):
                yield resource
    if _wanted(types, "MedicationAdministration", "Observation"):
        async for resource in _infusions(session, patient_id, since):
            if _keep(types, resource):
                yield resource
    if _wanted(types, *EVENT_TYPES):
        async for resource in _events(session, patient_id, since):
            if _keep(types, resource):
                yield resource
    if _wanted(types, "Flag"):
        async for resource in _alerts(session, patient_id, since):
            yield resource
    if _wanted(types, "Observation"):
        for resource in await _relief(session, clinic_id, patient_id, since, now):
            yield resource
    if _wanted(types, "Communication"):
        for resource in await _journal(session, patient_id, since):
            yield resource


async def _checkins(
    session: AsyncSession, patient_id: int, since: datetime | None
) -> AsyncIterator[dict[str, Any]]:
    def statement(after: tuple[Any, ...] | None) -> Select[Any]:
        query = select(*_CHECKIN_COLUMNS).where(
            _CHECKIN.c.patient_id == patient_id,
            _after(_CHECKIN.c.taken_at, _CHECKIN.c.id, after),
        )
        if since is not None:
            # Check-ins are never edited: received is when they entered this record.
            query = query.where(_changed_after(_CHECKIN, since, _CHECKIN.c.received_at))
        return query.order_by(_CHECKIN.c.taken_at, _CHECKIN.c.id)

    async for row in _pages(session, statement, lambda r: (r.taken_at, r.id)):
        checkin = resources.CheckinFacts(**row._mapping)
        yield resources.questionnaire_response(checkin)
        for observation in resources.checkin_observations(checkin):
            yield observation


async def _infusions(
    session: AsyncSession, patient_id: int, since: datetime | None
) -> AsyncIterator[dict[str, Any]]:
    def statement(after: tuple[Any, ...] | None) -> Select[Any]:
        query = select(*_INFUSION_COLUMNS).where(
            _INFUSION.c.patient_id == patient_id,
            _after(_INFUSION.c.given_at, _INFUSION.c.id, after),
        )
        if since is not None:
            query = query.where(_changed_after(_INFUSION, since, _INFUSION.c.deleted_at))
        return query.order_by(_INFUSION.c.given_at, _INFUSION.c.id)

    async for row in _pages(session, statement, lambda r: (r.given_at, r.id)):
        infusion = resources.InfusionFacts(**row._mapping)
        yield resources.medication_administration(infusion)
        for reading in resources.blood_pressures(infusion):
            yield reading


async def _events(
    session: AsyncSession, patient_id: int, since: datetime | None
) -> AsyncIterator[dict[str, Any]]:
    def statement(after: tuple[Any, ...] | None) -> Select[Any]:
        query = select(*_EVENT_COLUMNS).where(
            _EVENT.c.patient_id == patient_id,
            _after(_EVENT.c.occurred_at, _EVENT.c.id, after),
        )
        if since is not None:
            query = query.where(
                _changed_after(_EVENT, since, _EVENT.c.created_at, _EVENT.c.deleted_at)
            )
        return query.order_by(_EVENT.c.occurred_at, _EVENT.c.id)

    async for row in _pages(session, statement, lambda r: (r.occurred_at, r.id)):
        yield resources.clinical_event(resources.EventFacts(**row._mapping))


async def _alerts(
    session: AsyncSession, patient_id: int, since: datetime | None
) -> AsyncIterator[dict[str, Any]]:
    def statement(after: tuple[Any, ...] | None) -> Select[Any]:
        query = select(*_ALERT_COLUMNS).where(
            _ALERT.c.patient_id == patient_id,
            _after(_ALERT.c.created_at, _ALERT.c.id, after),
        )
        if since is not None:
            query = query.where(
                _changed_after(
                    _ALERT,
                    since,
                    _ALERT.c.created_at,
                    _ALERT.c.escalated_at,
                    _ALERT.c.acknowledged_at,
                )
            )
        return query.order_by(_ALERT.c.created_at, _ALERT.c.id)

    async for row in _pages(session, statement, lambda r: (r.created_at, r.id)):
        yield resources.safety_alert(resources.AlertFacts(**row._mapping))


async def _relief(
    session: AsyncSession, clinic_id: int, patient_id: int, since: datetime | None, now: datetime
) -> list[dict[str, Any]]:
    """The episodes as of now (one per infusion or course: a page's worth for any record)."""
    thresholds = await clinic_thresholds(session, clinic_id)
    episodes = (await relief_now(session, patient_id, now, thresholds)).episodes
    derived_at = await session.scalar(
        select(col(PatientSummary.updated_at)).where(col(PatientSummary.patient_id) == patient_id)
    )
    await session.commit()
    if since is not None and (derived_at is None or as_utc(derived_at) <= since):
        return []
    return [resources.relief_episode(patient_id, episode) for episode in episodes]


async def _journal(
    session: AsyncSession, patient_id: int, since: datetime | None
) -> list[dict[str, Any]]:
    """The entries the patient shares now (a journal is short: one read), never private ones.
    With `since`: those shared or edited after it."""
    entries = await shared_entries(session, patient_id)
    await session.commit()
    return [
        resources.journal_entry(patient_id, entry)
        for entry in entries
        if since is None
        or max(as_utc(entry.shared_at), as_utc(entry.edited_at or entry.shared_at)) > since
    ]
