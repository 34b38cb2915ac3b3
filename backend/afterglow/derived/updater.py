"""The one function that brings marked patients' derived state up to date, before commit."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import cache
from importlib import import_module

from sqlalchemy.ext.asyncio import AsyncSession

from afterglow.derived.changes import CONSUMERS, COVERED_BY, Consumer
from afterglow.operations.failures import failure_summary
from afterglow.relief.summary import mark_stale

log = logging.getLogger(__name__)

Updater = Callable[[AsyncSession, int, datetime], Awaitable[object]]


@cache
def _updater(consumer: Consumer) -> Updater:
    module, name = CONSUMERS[consumer].split(":")
    found: Updater = getattr(import_module(module), name)
    return found


async def bring_up_to_date(
    db: AsyncSession, marks: dict[int, set[Consumer]], now: datetime
) -> None:
    """Each marked patient once, in patient order (so concurrent writers lock rows alike).

    Derived state never costs the write it derives from: a check-in (and its safety alert), an
    infusion or an import is committed even when deriving fails. The failure is logged, that
    patient's summary is marked stale, and a read or the background job derives it again.
    """
    for patient_id in sorted(marks):
        wanted = marks[patient_id]
        due = [c for c in CONSUMERS if c in wanted and COVERED_BY.get(c) not in wanted]
        try:
            async with db.begin_nested():
                for consumer in due:
                    await _updater(consumer)(db, patient_id, now)
        except Exception as error:
            log.error(
                "derived state of patient %s could not be brought up to date (%s); "
                "marked stale, derived again on read and by the background job",
                patient_id,
                failure_summary(error),
            )
            await mark_stale(db, patient_id, now)
