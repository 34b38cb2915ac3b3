"""Browser tests of the patient app: a real server, Debian's Chromium, a synthetic clinic.

The server is `afterglow serve` in a subprocess on a free port with its own data folder and the
scheduler off. A clinic (admin, clinician) is made once per run through the CLI and the API;
each test adds its own patients. Without /usr/bin/chromium these tests skip and say why, unless
AFTERGLOW_REQUIRE_BROWSER=1 (CI), where they fail instead.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .e2e_support import PASSWORD, Patient, api_client, sign_in, token_of

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _browser_problem() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as error:
        return f"playwright is not installed: {error}"
    return None


@pytest.fixture(scope="session", autouse=True)
def browser_available() -> None:
    problem = _browser_problem()
    if problem:
        if os.environ.get("AFTERGLOW_REQUIRE_BROWSER") == "1":
            pytest.fail(f"AFTERGLOW_REQUIRE_BROWSER=1 but {problem}")
        pytest.skip(f"{problem} (set AFTERGLOW_REQUIRE_BROWSER=1 to make this a failure)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _afterglow() -> str:
    return str(Path(sys.executable).with_name("afterglow"))


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, browser_available: None) -> Iterator[str]:
    """`afterglow serve` on a free port; yields its base URL."""
    data_dir = tmp_path_factory.mktemp("e2e-data")
    port = _free_port()
    env = {
        **os.environ,
        "AFTERGLOW_DATA_DIR": str(data_dir),
        "AFTERGLOW_SCHEDULER": "off",
        "AFTERGLOW_HOST": "127.0.0.1",
        "AFTERGLOW_PORT": str(port),
        "AFTERGLOW_SQLITE_SYNCHRONOUS": "NORMAL",
    }
    subprocess.run(
        [
            _afterglow(),
            "create-admin",
            "--clinic",
            "E2E Synthetic Clinic",
            "--email",
            "admin@e2e.test",
            "--name",
            "E2E Admin",
            "--password",
            PASSWORD,
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    log = (data_dir / "server.log").open("w")
    process = subprocess.Popen([_afterglow(), "serve"], env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((data_dir / "server.log").read_text())
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def clinician(server: str) -> Iterator[httpx.Client]:
    """A signed-in clinician of the synthetic clinic (invited by its admin, as in real life)."""
    admin = sign_in(server, "admin@e2e.test")
    invited = admin.post(
        "/api/staff/",
        json={"email": "doc@e2e.test", "display_name": "Dr Synthetic", "role": "clinician"},
    )
    assert invited.status_code == 201, invited.text
    accept = api_client(server)
    accepted = accept.post(
        f"/api/enrollment/{token_of(invited.json()['invite']['url'])}", json={"password": PASSWORD}
    )
    assert accepted.status_code == 201, accepted.text
    admin.close()
    accept.close()
    doc = sign_in(server, "doc@e2e.test")
    yield doc
    doc.close()


@pytest.fixture
def new_patient(clinician: httpx.Client) -> Callable[..., Patient]:
    """Add a synthetic patient; returns their id and enrollment link."""

    def make(*, pain_enabled: bool = False, locale: str = "en-US", name: str = "") -> Patient:
        tag = uuid.uuid4().hex[:8]
        email = f"patient-{tag}@e2e.test"
        display_name = name or f"Synthetic {tag}"
        response = clinician.post(
            "/api/patients/",
            json={
                "display_name": display_name,
                "email": email,
                "timezone": "America/New_York",
                "locale": locale,
                "pain_enabled": pain_enabled,
            },
        )
        assert response.status_code == 201, response.text
        body = response.json()
        return Patient(body["patient"]["id"], email, body["enrollment"]["url"], display_name)

    return make


@pytest.fixture(scope="module")
def chromium(browser_available: None) -> Iterator[Any]:
    """Chromium for one test module. Playwright's sync API keeps an event loop running in this
    thread while it is started, which would break the asyncio tests that run after these, so it
    is stopped at the end of each module rather than kept for the session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


PHONE = {"width": 390, "height": 844}


@pytest.fixture
def context(chromium: Any, server: str) -> Iterator[Any]:
    """A fresh browser profile the size of a phone; fails the test on any third-party request."""
    ctx = chromium.new_context(viewport=PHONE, locale="en-US", timezone_id="America/New_York")
    ctx.set_default_timeout(10_000)
    foreign: list[str] = []
    ctx.on(
        "request",
        lambda request: (
            foreign.append(request.url)
            if not request.url.startswith((server, "data:", "blob:", "about:", "tel:", "sms:"))
            else None
        ),
    )
    yield ctx
    ctx.close()
    assert foreign == [], "the app made third-party requests"
