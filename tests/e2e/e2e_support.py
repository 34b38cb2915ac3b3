"""Helpers of the browser tests: API shortcuts for arranging data, and browser steps."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

PASSWORD = "synthetic-e2e-password"
CLINIC = "E2E Synthetic Clinic"
AXE = Path(__file__).with_name("vendor") / "axe.min.js"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_env(data_dir: Path, port: int, **extra: str) -> dict[str, str]:
    """The environment of an `afterglow serve` for tests: its own data, no scheduler."""
    return {
        **os.environ,
        "AFTERGLOW_DATA_DIR": str(data_dir),
        "AFTERGLOW_SCHEDULER": "off",
        "AFTERGLOW_HOST": "127.0.0.1",
        "AFTERGLOW_PORT": str(port),
        "AFTERGLOW_SQLITE_SYNCHRONOUS": "NORMAL",
        **extra,
    }


def _afterglow() -> str:
    return str(Path(sys.executable).with_name("afterglow"))


def create_clinic(env: dict[str, str]) -> None:
    """The clinic and its first admin, made with the CLI as a new clinic would."""
    subprocess.run(
        [
            _afterglow(),
            "create-admin",
            *("--clinic", CLINIC),
            *("--email", "admin@e2e.test"),
            *("--name", "E2E Admin"),
            *("--password", PASSWORD),
        ],
        env=env,
        check=True,
        capture_output=True,
    )


@contextmanager
def serving(env: dict[str, str]) -> Iterator[str]:
    """`afterglow serve` with this environment until the block ends; yields its base URL."""
    data_dir = Path(env["AFTERGLOW_DATA_DIR"])
    log = (data_dir / "server.log").open("a")
    process = subprocess.Popen([_afterglow(), "serve"], env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{env['AFTERGLOW_PORT']}"
    try:
        # Generous: on a loaded 2-core machine, imports and migrations alone can take 30 s.
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((data_dir / "server.log").read_text())
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def api_client(base: str) -> httpx.Client:
    """A client with a CSRF token, as the app has one after its first GET; it follows the token
    each response names, since the token changes with every sign-in and sign-out."""

    def follow_token(response: httpx.Response) -> None:
        token = response.headers.get("x-csrftoken")
        if token:
            client.headers["x-csrftoken"] = token

    client = httpx.Client(base_url=base, timeout=10, event_hooks={"response": [follow_token]})
    client.get("/api/health")
    client.headers["x-csrftoken"] = client.cookies["csrftoken"]
    return client


def sign_in(base: str, email: str) -> httpx.Client:
    client = api_client(base)
    response = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return client


def token_of(link: str) -> str:
    return link.split("/#/enroll/", 1)[1]


@dataclass
class Patient:
    id: int
    email: str
    enrollment_url: str
    name: str


def make_clinician(base: str) -> httpx.Client:
    """A clinician invited by the clinic's admin, with their password set, signed in."""
    admin = sign_in(base, "admin@e2e.test")
    invited = admin.post(
        "/api/staff/",
        json={"email": "doc@e2e.test", "display_name": "Dr Synthetic", "role": "clinician"},
    )
    assert invited.status_code == 201, invited.text
    accept = api_client(base)
    accepted = accept.post(
        f"/api/enrollment/{token_of(invited.json()['invite']['url'])}", json={"password": PASSWORD}
    )
    assert accepted.status_code == 201, accepted.text
    admin.close()
    accept.close()
    return sign_in(base, "doc@e2e.test")


def add_patient(
    clinician: httpx.Client,
    *,
    pain_enabled: bool = False,
    locale: str = "en-US",
    timezone: str = "America/New_York",
    country: str | None = None,
) -> Patient:
    """A synthetic patient added by the clinician; returns their id and enrollment link. The
    country, left out, is the time zone's (as the enrollment form leaves it)."""
    tag = uuid.uuid4().hex[:8]
    email = f"patient-{tag}@e2e.test"
    response = clinician.post(
        "/api/patients/",
        json={
            "display_name": f"Synthetic {tag}",
            "email": email,
            "timezone": timezone,
            "locale": locale,
            "country": country,
            "pain_enabled": pain_enabled,
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return Patient(
        body["patient"]["id"], email, body["enrollment"]["url"], body["patient"]["display_name"]
    )


def enrolled_patient_client(base: str, patient: Patient) -> httpx.Client:
    """Enroll through the API (for tests about what comes after enrollment)."""
    client = api_client(base)
    response = client.post(
        f"/api/enrollment/{token_of(patient.enrollment_url)}", json={"password": PASSWORD}
    )
    assert response.status_code == 201, response.text
    return client


def checkins_on_server(clinician: httpx.Client, patient_id: int, instrument: str) -> list[Any]:
    response = clinician.get(
        f"/api/patients/{patient_id}/checkins", params={"instrument": instrument}
    )
    assert response.status_code == 200, response.text
    rows: list[Any] = response.json()
    return rows


def record_infusion(clinician: httpx.Client, patient_id: int, hours_ago: float, kind: str) -> None:
    given_at = datetime.now(UTC) - timedelta(hours=hours_ago)
    response = clinician.post(
        f"/api/patients/{patient_id}/infusions",
        json={"given_at": given_at.isoformat(), "route": "iv", "kind": kind},
    )
    assert response.status_code == 201, response.text


def wait_for_service_worker(page: Any) -> None:
    """Until the app's service worker controls the page (the offline shell is in place)."""
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null")


def check_accessibility(page: Any, screen: str) -> None:
    """axe-core on the current screen: no serious or critical WCAG 2.2 A/AA violations."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    results = page.evaluate(
        """() => axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']},
            resultTypes: ['violations'],
        })"""
    )
    serious = [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], f"{screen}: {json.dumps(serious, indent=1)}"


def enroll_in_browser(page: Any, server: str, patient: Patient, heading: str = "Today") -> None:
    page.goto(patient.enrollment_url.replace(patient.enrollment_url.split("/#/")[0], server))
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Set password and start").click()
    page.get_by_role("heading", name=heading, level=1).wait_for()


def open_app_enrolled(context: Any, server: str, patient: Patient) -> Any:
    """A page of the app, enrolled as `patient`, with its service worker in control."""
    page = context.new_page()
    enroll_in_browser(page, server, patient)
    wait_for_service_worker(page)
    return page


def sign_in_browser(page: Any, server: str, email: str) -> None:
    page.goto(f"{server}/#/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Today", level=1).wait_for()


def scale_button(page: Any, value: int) -> Any:
    """The 0-10 button for `value` (its name starts with the number: "7 out of 10")."""
    return page.get_by_role("button", name=re.compile(rf"^{value} out of 10"))
