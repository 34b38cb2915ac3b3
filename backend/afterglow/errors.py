"""Client errors with messages that say what to fix. Litestar turns these into 4xx responses."""

from __future__ import annotations

from litestar.exceptions import ClientException, HTTPException, ValidationException
from litestar.status_codes import HTTP_409_CONFLICT


def invalid(field: str, message: str) -> ValidationException:
    """400 naming the field, in the same shape Litestar uses for schema validation errors."""
    return ValidationException(
        detail=f"Invalid {field}: {message}",
        extra=[{"key": field, "message": message}],
    )


def conflict(message: str) -> HTTPException:
    return ClientException(detail=message, status_code=HTTP_409_CONFLICT)
