"""The clinic page in Chromium: pooled relief by route and infusion kind, response and remission
rates, days between boosters and check-in completion, as the API counts them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from ..e2e_support import add_patient, enrolled_patient_client
from .clinic_support import BOTH
from .timeline_story import a_year_of_treatment


def test_the_clinic_page_shows_pooled_relief_boosters_and_completion(
    clinic_page: Callable[..., Any], clinician: httpx.Client, server: str, check_screen: Any
) -> None:
    patient = add_patient(clinician)
    enrolled_patient_client(server, patient).close()
    imported = clinician.post(f"/api/patients/{patient.id}/history", json=a_year_of_treatment())
    assert imported.status_code == 200, imported.text
    page = clinic_page(hash="#/clinic")
    page.get_by_role("heading", name="Clinic outcomes", level=1).wait_for()
    outcomes = clinician.get("/api/clinic/outcomes").json()
    by_route = page.get_by_role("region", name="Relief by route")
    for stratum in outcomes["relief"]["by_route"]:
        name = {"iv": "IV", "im": "IM", "intranasal": "Intranasal"}[stratum["route"]]
        by_route.get_by_role("cell", name=name, exact=True).first.wait_for()
    by_kind = page.get_by_role("region", name="Relief by infusion kind")
    by_kind.get_by_role("cell", name="Symptom-triggered booster", exact=True).wait_for()
    assert by_route.locator("canvas").count() >= 1
    boosters = page.get_by_role("region", name="Days between boosters")
    every = outcomes["booster_spacing"][0]["days"]
    assert boosters.locator("tbody tr").first.locator("td").nth(1).inner_text() == str(
        every["count"]
    )
    page.get_by_role("region", name="Check-in completion, last 28 days").get_by_text(
        "Daily mood answered"
    ).wait_for()
    check_screen(page, "clinic-page", sizes=BOTH)
