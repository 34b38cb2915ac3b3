"""Helpers of the clinician workspace's browser tests: screen sizes, signing staff in, and
`check_screen`, the checks every workspace screen passes (axe-core, no sideways scrolling, no
script errors, no request to another origin) with a full-page screenshot to look at."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from ..e2e_support import PASSWORD, api_client, check_accessibility, sign_in, token_of

DESKTOP = {"width": 1366, "height": 900}
TABLET = {"width": 820, "height": 1180}
PHONE = {"width": 390, "height": 844}
# The sizes every workspace screen is checked at (desktop and tablet first).
BOTH = (DESKTOP, TABLET)

ADMIN_EMAIL = "admin@e2e.test"
ADMIN_NAME = "E2E Admin"
CLINICIAN_EMAIL = "doc@e2e.test"
CLINICIAN_NAME = "Dr Synthetic"
# What `check_screen` saves screenshots to besides the test's own tmp_path.
SCREENSHOTS_ENV = "AFTERGLOW_SCREENSHOTS_DIR"


@dataclass
class Watch:
    """What went wrong on one page since it was made: script errors and foreign requests."""

    server: str
    errors: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)


_watches: dict[int, Watch] = {}


def _local(url: str, server: str) -> bool:
    return url.startswith((server, "data:", "blob:", "about:"))


def watch(page: Any, server: str) -> Watch:
    """Collect, from now on, the page's console errors, uncaught exceptions, answers of 400 and
    above ("HTTP 403 GET <url>") and requests to any other origin (`check_screen` fails on them). The fixtures call it on every page they make;
    call it yourself on a page you make otherwise (before it loads anything)."""
    found = Watch(server)
    page.on("console", lambda m: found.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: found.errors.append(f"uncaught: {e}"))
    # The console says only "Failed to load resource: ... 403": this names the request too.
    page.on(
        "response",
        lambda r: (
            found.errors.append(f"HTTP {r.status} {r.request.method} {r.url}")
            if r.status >= 400
            else None
        ),
    )
    page.on(
        "request",
        lambda r: found.foreign.append(r.url) if not _local(r.url, server) else None,
    )
    _watches[id(page)] = found
    return found


def forget(page: Any) -> None:
    _watches.pop(id(page), None)


def sign_in_context(context: Any, server: str, email: str, password: str = PASSWORD) -> None:
    """Sign `email` in within a browser context through the API (the cookie lands in the
    context), for tests about what comes after signing in."""
    context.request.get(f"{server}/api/health")
    token = next(c["value"] for c in context.cookies(server) if c["name"] == "csrftoken")
    response = context.request.post(
        f"{server}/api/auth/login",
        data={"email": email, "password": password},
        headers={"x-csrftoken": token},
    )
    assert response.status == 200, response.text()


def make_staff(server: str, email: str, name: str, role: str = "clinician") -> httpx.Client:
    """Another staff member of the e2e clinic, invited by its admin, password set, signed in
    (an httpx client; sign them into a browser with `clinic_page(email=...)`)."""
    admin = sign_in(server, ADMIN_EMAIL)
    invited = admin.post("/api/staff/", json={"email": email, "display_name": name, "role": role})
    assert invited.status_code == 201, invited.text
    accept = api_client(server)
    accepted = accept.post(
        f"/api/enrollment/{token_of(invited.json()['invite']['url'])}", json={"password": PASSWORD}
    )
    assert accepted.status_code == 201, accepted.text
    admin.close()
    accept.close()
    return sign_in(server, email)


def wait_for_workspace(page: Any) -> None:
    """Until the workspace has drawn its frame and a screen heading (any screen's)."""
    page.get_by_role("navigation", name=re.compile("Workspace|Espacio de trabajo")).wait_for()
    page.locator("main h1").first.wait_for()


def size_name(size: dict[str, int]) -> str:
    return f"{size['width']}x{size['height']}"


def _check_now(
    page: Any, name: str, tmp_path: Path, allow: Iterable[str], screenshots: Path | None
) -> Path:
    size = page.viewport_size
    label = f"{name}-{size_name(size)}"
    check_accessibility(page, label)
    widths = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth,"
        " client: document.documentElement.clientWidth})"
    )
    assert widths["scroll"] <= widths["client"], f"{label}: the page scrolls sideways ({widths})"
    found = _watches.get(id(page))
    assert found is not None, "check_screen needs a page made by the clinic fixtures (or watch())"
    errors = [e for e in found.errors if not any(a in e for a in allow)]
    assert errors == [], f"{label}: script errors {errors}"
    assert found.foreign == [], f"{label}: requests to other origins {found.foreign}"
    shot = tmp_path / f"{label}.png"
    page.screenshot(path=str(shot), full_page=True)
    if screenshots is not None:
        screenshots.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, screenshots / shot.name)
    return shot


def check_screen_in(
    tmp_path: Path,
    page: Any,
    name: str,
    *,
    sizes: Iterable[dict[str, int]] | None = None,
    allow: Iterable[str] = (),
) -> list[Path]:
    """axe-core finds nothing serious or critical, the page does not scroll sideways, no script
    error, no answer of 400 or above and no request to another origin happened since the page was
    made (problems containing one of `allow` excepted, e.g. "400" for a refusal the test provoked), and a full-page
    screenshot `<name>-<width>x<height>.png` goes to tmp_path and to $AFTERGLOW_SCREENSHOTS_DIR
    when set. With `sizes`, all of it at each size in turn (the page is left at the last)."""
    configured = os.environ.get(SCREENSHOTS_ENV) or os.environ.get("AFTERGLOW_SCREENSHOTS")
    screenshots = Path(configured) if configured else None
    allowed = tuple(allow)
    if sizes is None:
        return [_check_now(page, name, tmp_path, allowed, screenshots)]
    shots = []
    for size in sizes:
        page.set_viewport_size(size)
        # Let layout and any resize observers (charts) settle at the new size.
        page.evaluate(
            "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )
        shots.append(_check_now(page, name, tmp_path, allowed, screenshots))
    return shots
