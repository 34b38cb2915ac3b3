"""Claiming work through the database, so that any number of instances share it and none does
the same item twice: one conditional UPDATE sets a lease (`lease_until`, `lease_owner`) on due
rows whose lease is free or has run out, and returns them.

On PostgreSQL the rows are picked with `FOR UPDATE SKIP LOCKED`, so instances claiming at the
same moment take disjoint rows without waiting for each other; SQLite has one writer at a time,
and the clause compiles to nothing there, so the one statement serves both. An instance that
dies keeps its lease until it runs out; then another claims the row. Whoever records an outcome
does so only while it still holds the lease (`held_by`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, TextClause, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col


async def claim_due(
    db: AsyncSession,
    model: type[SQLModel],
    *,
    due: Sequence[ColumnElement[bool] | TextClause],
    order_by: Sequence[Any],
    now: datetime,
    owner: str,
    lease: timedelta,
    limit: int,
    returning: Sequence[Any],
    also: dict[str, Any] | None = None,
) -> list[Any]:
    """Lease up to `limit` rows of `model` that are `due` and not leased to a live owner, in
    `order_by` order, in `db`'s transaction; count the attempt and return `returning` of each
    (a row apiece).

    `model` has `id`, `lease_until`, `lease_owner`, `attempts` and `updated_at`; `also` sets
    more columns in the same statement (a claimed job's status, say).
    """
    table: Any = model
    picked = (
        select(col(table.id))
        .where(
            *due,
            or_(col(table.lease_until).is_(None), col(table.lease_until) < now),
        )
        .order_by(*order_by)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = await db.execute(
        update(model)
        .where(col(table.id).in_(picked.scalar_subquery()))
        .values(
            lease_until=now + lease,
            lease_owner=owner,
            attempts=col(table.attempts) + 1,
            updated_at=now,
            **(also or {}),
        )
        .returning(*returning)
        .execution_options(synchronize_session=False)
    )
    return list(claimed.all())


def held_by(model: type[SQLModel], row_id: int, owner: str) -> list[ColumnElement[bool]]:
    """The condition of a write that only the lease's holder may make."""
    table: Any = model
    return [col(table.id) == row_id, col(table.lease_owner) == owner]
