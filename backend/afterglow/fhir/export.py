"""Patients' records as streams of FHIR resources, read a page of rows at a time.

`patient_resources` is what `$everything` and the Bulk Data export both stream. It holds pages
of rows in memory, never a record, and ends its transaction after each page (a commit), so a
slow reader never keeps the database busy: on SQLite one connection serves the whole process and
every transaction holds the write lock. Give it a session of its own, with no unsaved work.

The export reads many patients in turn: it hands each of them the same `RecordRows` of their
run of patients, whose pages hold rows of several records at once, so a clinic is read in a
few queries per table and page rather than several per patient.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Sequence
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
from afterglow.journal.schemas import SharedJournalEntryOut
from afterglow.journal.service import patients_shared_entries
from afterglow.relief.models import PatientSummary
from afterglow.relief.service import clinic_thresholds, relief_now
from afterglow.relief.summary import as_utc

PAGE_ROWS = 1000

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


def _columns(table: Any, facts: Any) -> tuple[Any, ...]:
    return tuple(table.c[name] for name in facts.__dataclass_fields__)


def _changed_after(table: Any, since: datetime, *also: Any) -> Any:
    """Rows recorded or changed after `since`: by the row's `updated_at` where it has one, and
    by the other times that mark a change of it."""
    columns = [table.c.updated_at, *also] if "updated_at" in table.c else list(also)
    return or_(*(column > since for column in columns))


class _Table:
    """One table's rows of the records (ascending patient ids), each record's in its own time
    order: a page of PAGE_ROWS rows at a time across the records (by keyset), each page in its
    own short transaction."""

    def __init__(
        self,
        session: AsyncSession,
        patient_ids: Sequence[int],
        columns: tuple[Any, ...],
        time_column: Any,
        changed: Any | None,
    ) -> None:
        self._session = session
        self._ids = patient_ids
        self._columns = columns
        self._table = time_column.table
        self._time = time_column
        self._changed = changed
        self._rows: deque[Any] = deque()
        self._after: tuple[int, Any, int] | None = None
        self._done = False

    def _statement(self) -> Select[Any]:
        table, time = self._table, self._time
        query = select(*self._columns)
        if self._after is None:
            query = query.where(table.c.patient_id.in_(self._ids))
        else:
            patient_id, moment, row_id = self._after
            query = query.where(
                table.c.patient_id.in_([i for i in self._ids if i >= patient_id]),
                or_(
                    table.c.patient_id > patient_id,
                    and_(
                        table.c.patient_id == patient_id,
                        or_(time > moment, and_(time == moment, table.c.id > row_id)),
                    ),
                ),
            )
        if self._changed is not None:
            query = query.where(self._changed)
        return query.order_by(table.c.patient_id, time, table.c.id).limit(PAGE_ROWS)

    async def _next_page(self) -> None:
        rows: Sequence[Any] = (await self._session.execute(self._statement())).all()
        await self._session.commit()
        self._rows.extend(rows)
        if len(rows) < PAGE_ROWS:
            self._done = True
        else:
            last = rows[-1]
            self._after = (last.patient_id, getattr(last, self._time.name), last.id)

    async def of(self, patient_id: int) -> AsyncIterator[Any]:
        """The patient's rows. Patients are asked for in ascending order; the rows left of
        any patient before (skipped, or given up half-read) are passed over."""
        rows = self._rows
        while True:
            if not rows:
                if self._done:
                    return
                await self._next_page()
                continue
            found = rows[0].patient_id
            if found > patient_id:
                return
            row = rows.popleft()
            if found == patient_id:
                yield row


class RecordRows:
    """The stored rows of a run of the clinic's patients' records, for `patient_resources` to
    read each of those patients in turn (in ascending order of id), with the `since` and
    `types` it was made for."""

    def __init__(
        self,
        session: AsyncSession,
        clinic_id: int,
        patient_ids: Sequence[int],
        *,
        since: datetime | None = None,
        types: frozenset[str] | None = None,
    ) -> None:
        self.session = session
        self.clinic_id = clinic_id
        self.patient_ids = sorted(patient_ids)
        self.since = since
        self.types = types
        self._patients: dict[int, Any] | None = None
        self._thresholds: Any = None
        self._journals: dict[int, list[SharedJournalEntryOut]] | None = None

        def table(model_table: Any, facts: Any, time: Any, *changed_by: Any) -> _Table:
            changed = None if since is None else _changed_after(model_table, since, *changed_by)
            return _Table(session, self.patient_ids, _columns(model_table, facts), time, changed)

        # Check-ins are never edited: received is when they entered this record.
        self.checkins = table(
            _CHECKIN, resources.CheckinFacts, _CHECKIN.c.taken_at, _CHECKIN.c.received_at
        )
        self.infusions = table(
            _INFUSION, resources.InfusionFacts, _INFUSION.c.given_at, _INFUSION.c.deleted_at
        )
        self.events = table(
            _EVENT,
            resources.EventFacts,
            _EVENT.c.occurred_at,
            _EVENT.c.created_at,
            _EVENT.c.deleted_at,
        )
        self.alerts = table(
            _ALERT,
            resources.AlertFacts,
            _ALERT.c.created_at,
            _ALERT.c.created_at,
            _ALERT.c.escalated_at,
            _ALERT.c.acknowledged_at,
        )

    async def patient(self, patient_id: int) -> Any:
        if self._patients is None:
            changed = _PATIENT.c.updated_at if "updated_at" in _PATIENT.c else _PATIENT.c.created_at
            found = await self.session.execute(
                select(
                    *(_PATIENT.c[name] for name in _PATIENT_FIELDS),
                    changed.label("changed_at"),
                    _CLINIC.c.name.label("clinic_name"),
                )
                .join(_CLINIC, _CLINIC.c.id == _PATIENT.c.clinic_id)
                .where(_PATIENT.c.id.in_(self.patient_ids), _PATIENT.c.clinic_id == self.clinic_id)
            )
            self._patients = {row.id: row for row in found}
            await self.session.commit()
        row = self._patients.get(patient_id)
        if row is None:
            raise NotFound(f"No patient {patient_id} in clinic {self.clinic_id}.")
        return row

    async def thresholds(self) -> Any:
        """The clinic's relief thresholds (in the caller's transaction), read once."""
        if self._thresholds is None:
            self._thresholds = await clinic_thresholds(self.session, self.clinic_id)
        return self._thresholds

    async def journal(self, patient_id: int) -> list[SharedJournalEntryOut]:
        """The entries the patient shares (in the caller's transaction): the run's are read at
        the first patient's (a journal is short), each handed out once."""
        if self._journals is None:
            self._journals = await patients_shared_entries(self.session, self.patient_ids)
        return self._journals.pop(patient_id, [])


def _wanted(types: frozenset[str] | None, *produced: str) -> bool:
    return types is None or not types.isdisjoint(produced)


def _keep(types: frozenset[str] | None, resource: dict[str, Any]) -> bool:
    return types is None or resource["resourceType"] in types


async def patient_resources(
    session: AsyncSession,
    clinic_id: int,
    patient_id: int,
    *,
    since: datetime | None = None,
    types: frozenset[str] | None = None,
    now: datetime | None = None,
    rows: RecordRows | None = None,
) -> AsyncIterator[dict[str, Any]]:
    """Every FHIR resource of one patient's record, one at a time.

    `since`: only what was recorded or changed after it (check-ins by when they were received,
    infusions, events and alerts by their last change, relief episodes when re-derived).
    `types`: only these resource types. `now` (the app's clock for a request, real time by
    default) is when relief episodes are judged; a stale stored analysis is re-derived first, as
    on any read of it. `rows`: the RecordRows of a run of patients this one is in (made with the
    same session, `since` and `types`), read after those before it; by default, this patient's
    alone. Raises NotFound when the patient is not the clinic's.
    """
    now = now or utcnow()
    if rows is None:
        rows = RecordRows(session, clinic_id, [patient_id], since=since, types=types)
    assert (rows.session, rows.clinic_id, rows.since, rows.types) == (
        session,
        clinic_id,
        since,
        types,
    )
    row = await rows.patient(patient_id)
    if _wanted(types, "Patient") and (since is None or as_utc(row.changed_at) > since):
        yield resources.patient(
            resources.PatientFacts(
                clinic_name=row.clinic_name,
                **{name: getattr(row, name) for name in _PATIENT_FIELDS},
            )
        )
    if _wanted(types, "QuestionnaireResponse", "Observation"):
        async for checkin in rows.checkins.of(patient_id):
            facts = resources.CheckinFacts(*checkin)
            for resource in (
                resources.questionnaire_response(facts),
                *resources.checkin_observations(facts),
            ):
                if _keep(types, resource):
                    yield resource
    if _wanted(types, "MedicationAdministration", "Observation"):
        async for infusion in rows.infusions.of(patient_id):
            given = resources.InfusionFacts(*infusion)
            for resource in (
                resources.medication_administration(given),
                *resources.blood_pressures(given),
            ):
                if _keep(types, resource):
                    yield resource
    if _wanted(types, *EVENT_TYPES):
        async for event in rows.events.of(patient_id):
            resource = resources.clinical_event(resources.EventFacts(*event))
            if _keep(types, resource):
                yield resource
    if _wanted(types, "Flag"):
        async for alert in rows.alerts.of(patient_id):
            yield resources.safety_alert(resources.AlertFacts(*alert))
    relief, journal = await _derived_and_shared(rows, patient_id, since, types, now)
    for resource in relief:
        yield resource
    for resource in journal:
        yield resource


async def _derived_and_shared(
    rows: RecordRows,
    patient_id: int,
    since: datetime | None,
    types: frozenset[str] | None,
    now: datetime,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The relief episodes as of now (one per infusion or course: a page's worth for any
    record) and the journal entries the patient shares, in one transaction."""
    session = rows.session
    relief: list[dict[str, Any]] = []
    journal: list[dict[str, Any]] = []
    if _wanted(types, "Observation"):
        episodes = (await relief_now(session, patient_id, now, await rows.thresholds())).episodes
        derived_at = (
            None
            if since is None
            else await session.scalar(
                select(col(PatientSummary.updated_at)).where(
                    col(PatientSummary.patient_id) == patient_id
                )
            )
        )
        if since is None or (derived_at is not None and as_utc(derived_at) > since):
            relief = [resources.relief_episode(patient_id, episode) for episode in episodes]
    if _wanted(types, "Communication"):
        # Never private entries. With `since`: those shared or edited after it.
        journal = [
            resources.journal_entry(patient_id, entry)
            for entry in await rows.journal(patient_id)
            if since is None
            or max(as_utc(entry.shared_at), as_utc(entry.edited_at or entry.shared_at)) > since
        ]
    await session.commit()
    return relief, journal
