"""Exports in Chromium, from the clinic page: a clinician starts a FHIR export, follows it to its
files and downloads one; makes an API token (shown once), which an integration then uses alone,
and revokes it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from afterglow.db import create_engine
from afterglow.exports.runner import BulkExports
from afterglow.settings import Settings

from ..e2e_support import add_patient
from .clinic_support import BOTH
from .timeline_story import a_year_of_treatment


def run_exports(server_environment: dict[str, str]) -> int:
    """What a worker instance does: run the exports waiting, on the server's database (in a
    thread of its own: Playwright's loop runs in this one)."""

    async def run() -> int:
        env = {k: v for k, v in server_environment.items() if k.startswith("AFTERGLOW_")}
        engine = create_engine(Settings.from_env(env))
        try:
            return await BulkExports(engine)()
        finally:
            await engine.dispose()

    with ThreadPoolExecutor(1) as worker:
        return worker.submit(asyncio.run, run()).result(timeout=120)


def test_a_clinician_exports_the_clinic_and_makes_a_token_for_an_integration(
    clinic_page: Callable[..., Any],
    clinician: httpx.Client,
    server: str,
    server_environment: dict[str, str],
    check_screen: Any,
) -> None:
    patient = add_patient(clinician)
    assert (
        clinician.post(f"/api/patients/{patient.id}/history", json=a_year_of_treatment())
    ).status_code == 200
    page = clinic_page(hash="#/clinic")
    exports = page.get_by_role("region", name="Exports")
    exports.get_by_role("button", name="Start FHIR export").click()
    exports.get_by_text("Waiting", exact=True).wait_for()

    assert run_exports(server_environment) == 1

    exports.get_by_text("Ready", exact=True).wait_for()
    observations = exports.get_by_role("link", name="Observation")
    with page.expect_download() as download:
        observations.click()
    lines = download.value.path().read_text().splitlines()
    assert lines and all(json.loads(line)["resourceType"] == "Observation" for line in lines)
    assert exports.get_by_role("link", name="Download CSV").get_attribute("href") == (
        "/api/clinic/export.csv"
    )

    exports.get_by_label("What it is for").fill("EHR nightly export")
    exports.get_by_role("button", name="Make token").click()
    token = exports.locator(".token-value").inner_text().strip()
    assert token.startswith("agx_")
    check_screen(page, "clinic-exports", sizes=BOTH)

    ehr = httpx.Client(base_url=server, headers={"Authorization": f"Bearer {token}"})
    try:
        clinic_id = clinician.get("/api/me").json()["clinic"]["id"]
        group = f"/fhir/Group/{clinic_id}/$export"
        kicked = ehr.get(group, headers={"Prefer": "respond-async"})
        assert kicked.status_code == 202, kicked.text
        assert ehr.delete(kicked.headers["content-location"]).status_code == 202
        exports.get_by_role("button", name="Revoke the token “EHR nightly export”").click()
        exports.locator(".token-list li.revoked").get_by_text("EHR nightly export").wait_for()
        assert ehr.get(group, headers={"Prefer": "respond-async"}).status_code == 401
    finally:
        ehr.close()
