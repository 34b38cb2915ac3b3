"""Fixtures of the clinician workspace's browser tests (tests/e2e/clinic/test_<area>.py).

- `clinic_page(role="clinician" | "admin", size=DESKTOP, hash="", email=None,
  locale="en-US")`: a new browser profile at that size with that staff member signed in (through
  the API), opened at `/clinic/<hash>` (no hash: their start, the inbox for a clinician, staff
  for an admin) and drawn; returns the Playwright page. `email` signs in
  another staff member (made with `clinic_support.make_staff`).
- `clinician_page`, `admin_page`: the same at 1366x900 on their start screen.
- `check_screen(page, name, sizes=None, allow=())`: see `clinic_support.check_screen_in`.
- `clinic_admin`: an httpx client signed in as the clinic's admin (`clinician` is the parent
  conftest's signed-in clinician).
Sizes: `DESKTOP` (1366x900), `TABLET` (820x1180), `PHONE` (390x844), `BOTH` in clinic_support.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ..e2e_support import sign_in
from .clinic_support import (
    ADMIN_EMAIL,
    CLINICIAN_EMAIL,
    DESKTOP,
    check_screen_in,
    forget,
    sign_in_context,
    wait_for_workspace,
    watch,
)


@pytest.fixture(scope="session")
def clinic_admin(server: str) -> Iterator[httpx.Client]:
    """The clinic's admin, signed in through the API."""
    client = sign_in(server, ADMIN_EMAIL)
    yield client
    client.close()


@pytest.fixture
def clinic_page(
    chromium: Any, server: str, clinician: httpx.Client
) -> Iterator[Callable[..., Any]]:
    """Open the workspace signed in as a clinician or admin; see the module docstring."""
    contexts: list[Any] = []
    pages: list[Any] = []

    def open_page(
        role: str = "clinician",
        size: dict[str, int] = DESKTOP,
        hash: str = "",
        *,
        email: str | None = None,
        locale: str = "en-US",
    ) -> Any:
        who = email or {"clinician": CLINICIAN_EMAIL, "admin": ADMIN_EMAIL}[role]
        context = chromium.new_context(viewport=size, locale=locale, timezone_id="America/New_York")
        context.set_default_timeout(10_000)
        contexts.append(context)
        sign_in_context(context, server, who)
        page = context.new_page()
        pages.append(page)
        watch(page, server)
        page.goto(f"{server}/clinic/{hash}")
        wait_for_workspace(page)
        return page

    yield open_page
    for page in pages:
        forget(page)
    for context in contexts:
        context.close()


@pytest.fixture
def clinician_page(clinic_page: Callable[..., Any]) -> Any:
    """A clinician signed in to the workspace at 1366x900, on the inbox (their start)."""
    return clinic_page("clinician")


@pytest.fixture
def admin_page(clinic_page: Callable[..., Any]) -> Any:
    """The clinic's admin signed in to the workspace at 1366x900, on staff (their start)."""
    return clinic_page("admin")


@pytest.fixture
def check_screen(tmp_path: Path) -> Callable[..., list[Path]]:
    """`check_screen(page, name, sizes=None, allow=())`: the checks every workspace screen passes
    and its screenshots (paths returned), as `clinic_support.check_screen_in` describes."""

    def check(page: Any, name: str, **options: Any) -> list[Path]:
        return check_screen_in(tmp_path, page, name, **options)

    return check
