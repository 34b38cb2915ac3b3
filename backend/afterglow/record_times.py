"""`updated_at` of clinical records: when a row last changed, so that an export can ask for what
changed since a moment (FHIR Bulk Data `_since`, `meta.lastUpdated`).

The column maintains itself on every write through SQLAlchemy, whoever writes: an insert that
does not name it (an ORM object or a row of a bulk insert) takes the row's own recorded time
(`received_at`, `created_at`: by the clock its writer used), and any UPDATE that does not set it
takes the real time of the update. Writers that know the app's `now` pass it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel import Field

from afterglow.clock import utcnow


def _same_as(column: str) -> Callable[[Any], datetime]:
    def default(context: Any) -> datetime:
        value = context.get_current_parameters().get(column)
        return value if isinstance(value, datetime) else utcnow()

    return default


def updated_at_field(inserted_with: str) -> Any:
    """The `updated_at` field of a record whose insert time is its column `inserted_with`."""
    # None until inserted: SQLAlchemy fills a column default in for an attribute left None.
    return Field(
        default=None,
        sa_column_kwargs={"default": _same_as(inserted_with), "onupdate": utcnow},
    )
