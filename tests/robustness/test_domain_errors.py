"""What services refuse are domain errors, not HTTP exceptions; one handler answers each with its
4xx, in exactly the body Litestar gives its own client errors (the app and the tests read it)."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar, get
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    TooManyRequestsException,
    ValidationException,
)
from litestar.params import FromPath
from litestar.testing import AsyncTestClient

import afterglow
from afterglow.errors import (
    EXCEPTION_HANDLERS,
    Clash,
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    InvalidInput,
    NotFound,
    NotSignedIn,
    Problem,
    TooManyAttempts,
    conflict,
    invalid,
)

CASES: dict[str, tuple[DomainError, int, dict[str, Any], dict[str, str]]] = {
    "invalid": (
        invalid("email", "give an email address like name@example.org"),
        400,
        {
            "status_code": 400,
            "detail": "Invalid email: give an email address like name@example.org",
            "extra": [{"key": "email", "message": "give an email address like name@example.org"}],
        },
        {},
    ),
    "invalid records": (
        InvalidInput(
            "2 record(s) need fixing; nothing was imported.",
            [Problem("checkins[0].taken_at", "is in the future"), Problem("infusions[1]", "x")],
        ),
        400,
        {
            "status_code": 400,
            "detail": "2 record(s) need fixing; nothing was imported.",
            "extra": [
                {"key": "checkins[0].taken_at", "message": "is in the future"},
                {"key": "infusions[1]", "message": "x"},
            ],
        },
        {},
    ),
    "not found": (
        NotFound("No infusion 7 for patient 3."),
        404,
        {"status_code": 404, "detail": "No infusion 7 for patient 3."},
        {},
    ),
    "clash": (
        conflict("This alert was already acknowledged."),
        409,
        {"status_code": 409, "detail": "This alert was already acknowledged."},
        {},
    ),
    "clash with choices": (
        Clash("Choose a clinic.", choices=[{"key": "clinic_id", "clinic_id": 2, "clinic": "B"}]),
        409,
        {
            "status_code": 409,
            "detail": "Choose a clinic.",
            "extra": [{"key": "clinic_id", "clinic_id": 2, "clinic": "B"}],
        },
        {},
    ),
    "forbidden": (
        Forbidden("Only the clinic's clinicians can do this."),
        403,
        {"status_code": 403, "detail": "Only the clinic's clinicians can do this."},
        {},
    ),
    "not signed in": (
        NotSignedIn("The email or password is not right."),
        401,
        {"status_code": 401, "detail": "The email or password is not right."},
        {},
    ),
    "too many attempts": (
        TooManyAttempts("Try again in 40 seconds.", 40),
        429,
        {"status_code": 429, "detail": "Try again in 40 seconds."},
        {"retry-after": "40"},
    ),
}

# What the same refusal looked like when services raised Litestar's exceptions themselves.
LITESTAR_EQUIVALENT: dict[str, HTTPException] = {
    "invalid": ValidationException(
        detail="Invalid email: give an email address like name@example.org",
        extra=[{"key": "email", "message": "give an email address like name@example.org"}],
    ),
    "not found": NotFoundException(detail="No infusion 7 for patient 3."),
    "clash": Conflict(detail="This alert was already acknowledged."),
    "forbidden": PermissionDeniedException(detail="Only the clinic's clinicians can do this."),
    "not signed in": NotAuthorizedException(detail="The email or password is not right."),
    "too many attempts": TooManyRequestsException(
        detail="Try again in 40 seconds.", headers={"Retry-After": "40"}
    ),
}


@get("/refuse/{case:str}", sync_to_thread=False)
def refuse(case: FromPath[str]) -> None:
    raise CASES[case.replace("-", " ")][0]


@get("/litestar/{case:str}", sync_to_thread=False)
def litestar_refuses(case: FromPath[str]) -> None:
    raise LITESTAR_EQUIVALENT[case.replace("-", " ")]


def test_domain_errors_are_not_http_exceptions() -> None:
    for error, *_ in CASES.values():
        assert not isinstance(error, HTTPException)
    assert isinstance(invalid("a", "b"), Invalid)
    assert invalid("a", "b").field == "a"


@pytest.mark.parametrize("case", sorted(CASES))
async def test_each_domain_error_is_answered_with_its_status_and_body(case: str) -> None:
    _, status, body, headers = CASES[case]
    app = Litestar([refuse], exception_handlers=EXCEPTION_HANDLERS)
    async with AsyncTestClient(app) as client:
        response = await client.get(f"/refuse/{case.replace(' ', '-')}")
    assert response.status_code == status
    assert response.json() == body
    for name, value in headers.items():
        assert response.headers[name] == value


@pytest.mark.parametrize("case", sorted(LITESTAR_EQUIVALENT))
async def test_the_answer_is_the_one_litestar_gave_before(case: str) -> None:
    app = Litestar([refuse, litestar_refuses], exception_handlers=EXCEPTION_HANDLERS)
    path = case.replace(" ", "-")
    async with AsyncTestClient(app) as client:
        ours = await client.get(f"/refuse/{path}")
        theirs = await client.get(f"/litestar/{path}")
    assert (ours.status_code, ours.json()) == (theirs.status_code, theirs.json())
    assert ours.headers.get("retry-after") == theirs.headers.get("retry-after")


# Where HTTP lives: controllers, the auth middleware and guards, CSRF, the error handlers, the web
# shell and app wiring. Everything else raises domain errors.
HTTP_MODULES = (
    "routes.py",
    "accounts/auth.py",
    "accounts/csrf.py",
    "errors.py",
    "app.py",
    "fhir/outcomes.py",
)
# Not converted yet (other work in progress); this list may only shrink.
NOT_YET_CONVERTED = {"checkins/service.py"}


def _imports_litestar_exceptions(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "litestar.exceptions"
        ):
            return True
        if isinstance(node, ast.Import) and any(
            alias.name.startswith("litestar.exceptions") for alias in node.names
        ):
            return True
    return False


def test_only_the_http_layer_imports_litestar_exceptions() -> None:
    package = Path(afterglow.__file__).parent
    offenders = set()
    for path in package.rglob("*.py"):
        name = path.relative_to(package).as_posix()
        if name.startswith("web/") or name.endswith(HTTP_MODULES):
            continue
        if _imports_litestar_exceptions(path):
            offenders.add(name)
    assert offenders <= NOT_YET_CONVERTED, sorted(offenders - NOT_YET_CONVERTED)


class Unmapped(DomainError):
    """A kind of refusal nobody gave an HTTP answer: a bug, so a logged 500 with a request id."""


@get("/unmapped", sync_to_thread=False)
def unmapped() -> None:
    raise Unmapped("synthetic")


async def test_a_domain_error_with_no_http_answer_is_a_500_with_a_request_id() -> None:
    app = Litestar([unmapped], exception_handlers=EXCEPTION_HANDLERS)
    async with AsyncTestClient(app) as client:
        response = await client.get("/unmapped")
    assert response.status_code == 500
    assert response.json()["detail"] == "Internal Server Error"
    assert "synthetic" not in response.text and response.json()["request_id"]
