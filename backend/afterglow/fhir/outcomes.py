"""FHIR's way of saying what went wrong: an OperationOutcome, which FHIR clients expect in every
error answer of the FHIR routes (the same statuses and words as the rest of the API). This is
part of the HTTP layer: it turns errors into answers."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.openapi.datastructures import ResponseSpec
from litestar.types import ExceptionHandlersMap

from afterglow.errors import DomainError, NotFound, domain_error, http_error
from afterglow.fhir.bundle import FHIR_JSON
from afterglow.fields import MAX_ID

NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
_ISSUE_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    409: "conflict",
    413: "too-long",
    429: "throttled",
}


def operation_outcome(
    text: str, *, code: str = "informational", severity: str = "information", where: str = ""
) -> dict[str, Any]:
    issue: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": text}
    if where:
        issue["expression"] = [where]
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def outcome_response(
    status: int, outcome: dict[str, Any], headers: dict[str, str] | None = None
) -> Response[dict[str, Any]]:
    return Response(
        outcome, status_code=status, media_type=FHIR_JSON, headers={**NO_STORE, **(headers or {})}
    )


def _http_outcome(request: Request[Any, Any, Any], error: HTTPException) -> Response[Any]:
    status = error.status_code
    code = _ISSUE_CODES.get(status, "processing")
    problems = error.extra if isinstance(error.extra, list) else []
    issues = [
        {
            "severity": "error",
            "code": code,
            "diagnostics": str(problem.get("message", "")),
            "expression": [str(problem.get("key", ""))],
        }
        for problem in problems
        if isinstance(problem, dict)
    ]
    outcome = operation_outcome(str(error.detail), code=code, severity="error")
    outcome["issue"].extend(issues)
    return outcome_response(status, outcome, dict(error.headers or {}))


def _domain_outcome(request: Request[Any, Any, Any], error: DomainError) -> Response[Any]:
    answer = http_error(error)
    if answer is None:
        return domain_error(request, error)
    return _http_outcome(request, answer)


FHIR_ERRORS: ExceptionHandlersMap = {
    HTTPException: _http_outcome,
    DomainError: _domain_outcome,
}
"""Exception handlers of the FHIR export routes: 4xx as OperationOutcomes; anything unexpected
stays the app's logged 500."""


_DOCUMENTED = {
    400: "A parameter or header to fix, named in the OperationOutcome's `expression`.",
    401: "No session and no valid API token.",
    403: "Not a clinician (admins export nothing clinical), or no CSRF token on a write.",
    404: "No such export, file or Group that you can see (or it was cancelled, or expired).",
    429: "The clinic's exports under way are at their limit: try after Retry-After.",
    500: "The export failed: start a new one.",
}


def fhir_errors(*statuses: int, described: dict[int, str] | None = None) -> dict[int, ResponseSpec]:
    """The OpenAPI answers of a FHIR route's errors: OperationOutcomes (`described` words a
    status for a route other than the export's)."""
    return {
        status: ResponseSpec(
            dict[str, Any],
            description=(described or {}).get(status) or _DOCUMENTED[status],
            media_type=FHIR_JSON,
            generate_examples=False,
        )
        for status in statuses
    }


def fhir_id(value: str, what: str) -> int:
    """An id from a FHIR path, which takes any text so that whatever a client sends is answered
    in FHIR's way (an OperationOutcome), not by the router's plain 404; anything but an id names
    nothing there is (404)."""
    if not value.isdigit() or not 1 <= int(value) <= MAX_ID:
        raise NotFound(f"No {what} {value[:40]!r}.")
    return int(value)
