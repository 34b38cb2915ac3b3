"""Client errors with messages that say what to fix. Litestar turns these into 4xx responses."""

from __future__ import annotations

from datetime import datetime

from litestar.exceptions import ClientException, HTTPException, ValidationException
from litestar.status_codes import HTTP_409_CONFLICT


def invalid(field: str, message: str) -> ValidationException:
    """400 naming the field, in the same shape Litestar uses for schema validation errors."""
    return ValidationException(
        detail=f"Invalid {field}: {message}",
        extra=[{"key": field, "message": message}],
    )


def aware(value: datetime | None, field: str) -> datetime | None:
    """Times in queries must say their offset: 2026-11-01T00:00:00Z, not 2026-11-01T00:00:00."""
    if value is not None and value.tzinfo is None:
        raise invalid(field, "include the UTC offset, e.g. 2026-11-01T00:00:00Z")
    return value


def conflict(message: str) -> HTTPException:
    return ClientException(detail=message, status_code=HTTP_409_CONFLICT)
