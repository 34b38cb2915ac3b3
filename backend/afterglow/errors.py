"""Errors: client errors with messages that say what to fix, and the one place that turns
anything else into a logged 500 carrying a request id.

Litestar turns the client errors raised here into 4xx responses; `EXCEPTION_HANDLERS`,
`AfterglowRequest` and `add_request_id` are wired in app.py.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from litestar import Request, Response
from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import ClientException, HTTPException, ValidationException
from litestar.status_codes import HTTP_409_CONFLICT, HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandlersMap, Message, Scope

from afterglow.fields import CALENDAR_PROBLEM, on_the_calendar
from afterglow.logs import exception_type, request_log, traceback_without_messages
from afterglow.text import ClientRequest

REQUEST_ID_HEADER = "x-request-id"


def invalid(field: str, message: str) -> ValidationException:
    """400 naming the field, in the same shape Litestar uses for schema validation errors."""
    return ValidationException(
        detail=f"Invalid {field}: {message}",
        extra=[{"key": field, "message": message}],
    )


def aware(value: datetime | None, field: str) -> datetime | None:
    """Times in queries must say their offset (2026-11-01T00:00:00Z) and be on the calendar."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise invalid(field, "include the UTC offset, e.g. 2026-11-01T00:00:00Z")
    if not on_the_calendar(value):
        raise invalid(field, CALENDAR_PROBLEM)
    return value


def conflict(message: str) -> HTTPException:
    return ClientException(detail=message, status_code=HTTP_409_CONFLICT)


# Built on text.ClientRequest: the app has one request class, and its JSON bodies must still
# reach validation with NUL stripped (afterglow/text.py).
class AfterglowRequest(ClientRequest):
    """A request whose JSON body, when it cannot be decoded at all, is the client's error.

    msgspec reports invalid UTF-8 as UnicodeDecodeError and very deep nesting as RecursionError;
    Litestar only expects its DecodeError and would answer 500.
    """

    async def json(self) -> Any:
        try:
            return await super().json()
        except UnicodeDecodeError:
            raise invalid("body", "is not valid UTF-8") from None
        except RecursionError:
            raise invalid("body", "nests arrays or objects too deeply") from None


def request_id(scope: Scope) -> str:
    """This request's id, made on first use; it is in the log line and the X-Request-Id header."""
    state = scope["state"]
    if "request_id" not in state:
        state["request_id"] = uuid.uuid4().hex
    return str(state["request_id"])


async def add_request_id(message: Message, scope: Scope) -> None:
    if message["type"] == "http.response.start":
        MutableScopeHeaders.from_message(message)[REQUEST_ID_HEADER] = request_id(scope)


def server_error(request: Request[Any, Any, Any], error: Exception) -> Response[dict[str, Any]]:
    """Any error no handler expected: one JSON log line, and a 500 naming the request id only.

    The log has the route's template, never the path, query or body: they carry patient data.
    """
    rid = request_id(request.scope)
    request_log().error(
        "unhandled error",
        extra={
            "request_id": rid,
            "method": request.method,
            "route": request.scope.get("path_template") or "(no route)",
            "status": HTTP_500_INTERNAL_SERVER_ERROR,
            "exception": exception_type(error),
            "traceback": traceback_without_messages(error),
        },
    )
    return Response(
        {
            "status_code": HTTP_500_INTERNAL_SERVER_ERROR,
            "detail": "Internal Server Error",
            "request_id": rid,
        },
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
    )


# Status 500 also catches every exception that is not an HTTPException (Litestar's lookup rule).
EXCEPTION_HANDLERS: ExceptionHandlersMap = {HTTP_500_INTERNAL_SERVER_ERROR: server_error}
