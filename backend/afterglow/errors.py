"""Errors: what services refuse, in words that say what to fix; the one handler that answers
each with its 4xx; and the one place that turns anything else into a logged 500 carrying a
request id.

Services raise the domain errors below (`DomainError` and its kinds), never HTTP exceptions: the
CLI prints them, and `domain_error` answers them over HTTP in the body shape Litestar gives its own
client errors (`status_code`, `detail`, and `extra` naming the fields). `EXCEPTION_HANDLERS`,
`AfterglowRequest` and `add_request_id` are wired in app.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar import Litestar, Request, Response
from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import (
    ClientException,
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    SerializationException,
    TooManyRequestsException,
    ValidationException,
)
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.exceptions.responses import create_exception_response
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute
from litestar.status_codes import HTTP_409_CONFLICT, HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandlersMap, Message, Scope

from afterglow.accounts.policy import Policy, declared_policy
from afterglow.fields import CALENDAR_PROBLEM, on_the_calendar
from afterglow.logs import exception_type, request_log, traceback_without_messages
from afterglow.text import ClientRequest

REQUEST_ID_HEADER = "x-request-id"


class DomainError(Exception):
    """Something a service refuses, said for the person who can fix it. Not HTTP: over HTTP
    `domain_error` answers each kind with its 4xx; the CLI prints `message` and exits non-zero."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Problem:
    """One thing to fix: the field (`email`, `checkins[3].taken_at`) and what is wrong with it."""

    field: str
    message: str


class InvalidInput(DomainError):
    """400: input to fix, each problem naming its field."""

    def __init__(self, message: str, problems: Sequence[Problem]) -> None:
        super().__init__(message)
        self.problems = tuple(problems)


class Invalid(InvalidInput):
    """400: one field to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"Invalid {field}: {message}", [Problem(field, message)])
        self.field = field
        self.reason = message


class NotFound(DomainError):
    """404: nothing by that id that the caller may see (other clinics' ids are not found either)."""


class Clash(DomainError):
    """409: the request clashes with what is stored (a used link, a taken email, a replayed
    key). `choices`, when given, lists what the caller may choose from to try again."""

    def __init__(self, message: str, choices: Sequence[dict[str, Any]] = ()) -> None:
        super().__init__(message)
        self.choices = list(choices)


class Forbidden(DomainError):
    """403: the caller is signed in but their role may not do this."""


class NotSignedIn(DomainError):
    """401: wrong credentials, or no session."""


class TooManyAttempts(DomainError):
    """429: try again in `retry_after_seconds` (sent as Retry-After)."""

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


def invalid(field: str, message: str) -> Invalid:
    """400 naming the field, in the same shape Litestar uses for schema validation errors."""
    return Invalid(field, message)


def aware(value: datetime | None, field: str) -> datetime | None:
    """Times in queries must say their offset (2026-11-01T00:00:00Z) and be on the calendar."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise invalid(field, "include the UTC offset, e.g. 2026-11-01T00:00:00Z")
    if not on_the_calendar(value):
        raise invalid(field, CALENDAR_PROBLEM)
    return value


def conflict(message: str) -> Clash:
    return Clash(message)


class Conflict(ClientException):
    """409 as routes document it (`raises=[Conflict]`); services raise `Clash`."""

    status_code = HTTP_409_CONFLICT


def http_error(error: DomainError) -> HTTPException | None:
    """The HTTP exception a domain error is answered as: its status, detail, extra and headers
    (None for a kind with no answer here yet: a bug, answered as one)."""
    if isinstance(error, InvalidInput):
        problems = [{"key": p.field, "message": p.message} for p in error.problems]
        return ValidationException(detail=error.message, extra=problems)
    if isinstance(error, NotFound):
        return NotFoundException(detail=error.message)
    if isinstance(error, Clash):
        return Conflict(detail=error.message, extra=error.choices or None)
    if isinstance(error, Forbidden):
        return PermissionDeniedException(detail=error.message)
    if isinstance(error, NotSignedIn):
        return NotAuthorizedException(detail=error.message)
    if isinstance(error, TooManyAttempts):
        return TooManyRequestsException(
            detail=error.message, headers={"Retry-After": str(error.retry_after_seconds)}
        )
    return None


def domain_error(request: Request[Any, Any, Any], error: DomainError) -> Response[Any]:
    """The one handler for what services refuse: the same body Litestar gives its own 4xx."""
    answer = http_error(error)
    if answer is None:
        return server_error(request, error)
    return create_exception_response(request, answer)


# Built on text.ClientRequest: the app has one request class, and its JSON bodies must still
# reach validation with NUL stripped (afterglow/text.py).
class AfterglowRequest(ClientRequest):
    """A request whose JSON body, when it cannot be decoded at all, is the client's error,
    answered as a 400 naming `body` whatever the decoder's way of failing.

    msgspec up to 0.22 reports invalid UTF-8 as UnicodeDecodeError (0.23 as its DecodeError)
    and very deep nesting as RecursionError; Litestar only expects DecodeError and would answer
    500 to the others.
    """

    async def json(self) -> Any:
        try:
            return await super().json()
        except UnicodeDecodeError:
            raise invalid("body", "is not valid UTF-8") from None
        except RecursionError:
            raise invalid("body", "nests arrays or objects too deeply") from None
        except SerializationException as error:
            raise invalid("body", f"is not valid JSON ({error})") from None


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


# A domain error finds its handler by class; status 500 catches every other exception that is not
# an HTTPException (Litestar's lookup rule).
EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    DomainError: domain_error,
    HTTP_500_INTERNAL_SERVER_ERROR: server_error,
}


_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_ROLE_POLICIES = frozenset(
    {
        Policy.OWN_PATIENT,
        Policy.OWN_PATIENT_OR_CLINIC_CLINICIAN,
        Policy.CLINIC_CLINICIAN,
        Policy.CLINIC_STAFF,
        Policy.CLINIC_ADMIN,
    }
)


def client_errors(route: HTTPRoute, handler: HTTPRouteHandler) -> list[type[HTTPException]]:
    """The 4xx a route answers besides 400, from what every route shares.

    401 unless it is public; 403 for a CSRF token on writes and for role rules; 404 when the path
    names something; 413 for a body over the size limit. Answers of one route only (409, 429)
    it declares itself with `raises=`.
    """
    policy = declared_policy(handler.opt)
    errors: list[type[HTTPException]] = []
    if policy is not Policy.PUBLIC:
        errors.append(NotAuthorizedException)
    if policy in _ROLE_POLICIES or _UNSAFE_METHODS & set(handler.http_methods):
        errors.append(PermissionDeniedException)
    if route.path_parameters:
        errors.append(NotFoundException)
    if "data" in handler.parsed_fn_signature.parameters:
        errors.append(RequestEntityTooLarge)
    return errors


def document_client_errors(app: Litestar) -> None:
    """Write each route's 4xx answers into the OpenAPI document (built on first use)."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            declared = list(handler.raises or [])
            codes = {error.status_code for error in declared}
            # One exception per status: two would document a oneOf that every body matches twice.
            shared = [e for e in client_errors(route, handler) if e.status_code not in codes]
            handler.raises = [*declared, *shared]
