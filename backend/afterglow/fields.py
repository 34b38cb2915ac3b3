"""Bounded request types: ids and offsets a column can hold, times arithmetic can move, zone names.

Bounds live here, in the schema, so a request that breaks them is a 400 naming the field on every
database alike, instead of an overflow inside the driver (64-bit on SQLite, 32-bit INTEGER ids on
PostgreSQL) or in `datetime` arithmetic near year 1 or 9999.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Annotated
from zoneinfo import available_timezones

import msgspec
from litestar.params import Parameter

# Ids are INTEGER on PostgreSQL.
MAX_ID = 2**31 - 1

Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID), Parameter(ge=1, le=MAX_ID)]
"""A row id in a path or a body (`Id | None` for an optional body field)."""

IdFilter = Annotated[int | None, Parameter(ge=1, le=MAX_ID)]
"""An optional id in a query string (Litestar drops the bounds of `Id | None` there)."""

Offset = Annotated[int, Parameter(ge=0, le=MAX_ID)]
"""How many rows of a list to skip."""

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
CALENDAR_PROBLEM = "must be between 1900 and 2199"


def on_the_calendar(value: datetime) -> bool:
    """Whether an aware time is one the app can store and move by days without overflowing."""
    return EARLIEST <= value < LATEST


@cache
def _iana_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_iana_zone(name: str) -> bool:
    """Only names of zones: `ZoneInfo("America")` opens a folder and raises IsADirectoryError."""
    return name in _iana_zones()
