"""Records in Chromium: a clinician records a booster (the server's field message shown where the
mistake is), sees the patient's chart and outlook change, then marks it entered in error (struck
through, counted nowhere); enrolls a patient and the handout's QR code, read back from a
screenshot, is the one-time link, printed on one page; adjusts a patient's reminders."""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import zxingcpp
from PIL import Image

from ..e2e_support import add_patient
from .clinic_support import BOTH, DESKTOP, TABLET


def day(n: float) -> str:
    return (datetime.now(UTC) + timedelta(days=n)).isoformat()


def phq9(total: int, when: str) -> dict[str, Any]:
    answers = [3] * (total // 3) + ([total % 3] if total % 3 else [])
    return {"instrument": "phq9", "answers": answers + [0] * (9 - len(answers)), "taken_at": when}


@pytest.fixture
def holding_patient(clinician: httpx.Client) -> int:
    """Six IV inductions ending 18 days ago, baseline PHQ-9 20, nadir 5: holding."""
    patient = add_patient(clinician)
    history = {
        "infusions": [
            {"given_at": day(d), "route": "iv", "kind": "induction", "dose_mg_per_kg": 0.5}
            for d in (-28, -26, -24, -22, -20, -18)
        ],
        "checkins": [phq9(20, day(-30)), phq9(6, day(-15)), phq9(5, day(-11))],
    }
    imported = clinician.post(f"/api/patients/{patient.id}/history", json=history)
    assert imported.status_code == 200, imported.text
    return patient.id


def pdf_pages(pdf: bytes) -> int:
    counts = [int(n) for n in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", pdf)]
    counts += [int(n) for n in re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", pdf)]
    assert counts, "no page tree found in the PDF"
    return max(counts)


def decoded_qr(element: Any) -> str:
    """The text of the QR code on screen, read from a screenshot as a phone's camera would."""
    image = Image.open(io.BytesIO(element.screenshot()))
    found = zxingcpp.read_barcodes(image)
    assert [code.format.name for code in found] == ["QRCode"], found
    return str(found[0].text)


def test_a_clinician_records_a_booster_sees_the_chart_change_then_strikes_it(
    clinic_page: Callable[..., Any],
    holding_patient: int,
    clinician: httpx.Client,
    check_screen: Any,
) -> None:
    relief_url = f"/api/patients/{holding_patient}/relief"
    before = clinician.get(relief_url).json()
    assert before["outlook"]["days_since_infusion"] > 17
    page = clinic_page(hash=f"#/patients/{holding_patient}")
    page.get_by_text("6 infusions (table)").wait_for()
    page.get_by_role("link", name="Record infusion or event").click()
    form = page.locator("form", has=page.get_by_role("heading", name="New infusion"))
    form.wait_for()
    # Started from the last infusion: racemic ketamine, IV, 0.5 mg/kg.
    assert form.get_by_label("Route").input_value() == "iv"
    assert form.get_by_label("Dose", exact=True).input_value() == "0.5"
    form.get_by_label("Kind").select_option("scheduled_booster")
    form.get_by_label("Systolic, Before").fill("80")
    form.get_by_label("Diastolic, Before").fill("120")
    form.get_by_role("button", name="Record infusion").click()
    systolic = form.get_by_label("Systolic, Before")
    form.locator(".field-error", has_text="were they swapped?").wait_for()
    form.get_by_text("Check the field marked below.").wait_for()
    assert systolic.get_attribute("aria-invalid") == "true"
    systolic.fill("128")
    form.get_by_label("Diastolic, Before").fill("82")
    form.get_by_label("Systolic, At 40 minutes").fill("146")
    form.get_by_label("Diastolic, At 40 minutes").fill("92")
    form.get_by_label("Systolic, At discharge").fill("132")
    form.get_by_label("Diastolic, At discharge").fill("84")
    form.get_by_label("Lot number").fill("KX-2291")
    form.get_by_label("Dissociation and sedation").fill("Mild dissociation, settled by 50 min.")
    form.get_by_role("button", name="Record infusion").click()
    page.locator(".notice", has_text="Infusion recorded.").wait_for()
    table = page.get_by_role("region", name="Infusions, newest first")
    newest = table.locator("tbody tr").first
    assert "Scheduled booster" in newest.inner_text()
    assert "128/82 → 146/92 → 132/84" in newest.inner_text()
    after = clinician.get(relief_url).json()
    assert after["outlook"]["days_since_infusion"] < 1
    assert len(after["episodes"]) == len(before["episodes"]) + 1
    check_screen(page, "record-infusion", sizes=BOTH, allow=("400",))

    page.set_viewport_size(DESKTOP)
    page.get_by_role("link", name="See the timeline and outlook").click()
    page.get_by_text("7 infusions (table)").wait_for()
    outlook = page.locator(".outlook").inner_text()
    page.go_back()
    table = page.get_by_role("region", name="Infusions, newest first")
    newest = table.locator("tbody tr").first
    newest.get_by_role("button", name="Entered in error").click()
    newest.get_by_label("Why is this infusion wrong? (optional)").fill("Wrong patient")
    newest.get_by_role("button", name="Mark entered in error").click()
    page.locator(".notice", has_text="Infusion marked entered in error.").wait_for()
    assert "struck" in (newest.get_attribute("class") or "")
    assert "Wrong patient" in newest.inner_text()
    line = newest.locator(".strikeable").first.evaluate(
        "e => getComputedStyle(e).textDecorationLine"
    )
    assert line == "line-through"
    assert clinician.get(relief_url).json()["outlook"]["days_since_infusion"] > 17
    page.get_by_role("link", name="See the timeline and outlook").click()
    page.get_by_text("6 infusions (table)").wait_for()
    assert page.locator(".outlook").inner_text() != outlook


def test_a_clinician_enrolls_a_patient_and_the_qr_code_is_the_link(
    clinic_page: Callable[..., Any], server: str, check_screen: Any
) -> None:
    page = clinic_page(hash="#/enroll", size=TABLET)
    page.get_by_role("heading", name="Enroll a patient").wait_for()
    record_number = f"MRN-{uuid.uuid4().hex[:6]}"
    form = page.locator("form.enroll-form")
    form.get_by_label("Name", exact=True).fill("Synthetic Lucía Enrolled")
    form.get_by_label("Time zone", exact=True).fill("America/Mexico_City")
    form.get_by_label("Language", exact=True).select_option("es-MX")
    form.get_by_label("Record number (optional)").fill(record_number)
    check_screen(page, "enroll", sizes=BOTH)
    form.get_by_role("button", name="Add patient and make the handout").click()
    handout = page.locator(".handout")
    handout.wait_for()
    # The handout speaks the patient's language, whatever the workspace's.
    assert handout.get_attribute("lang") == "es"
    handout.get_by_text("Configure Afterglow en su teléfono").wait_for()
    url = handout.locator(".handout-url").inner_text().strip()
    assert url.startswith(f"{server}/#/enroll/")
    qr = handout.locator(".qr-code")
    assert decoded_qr(qr) == url
    token = url.rsplit("/", 1)[1]
    opened = httpx.get(f"{server}/api/enrollment/{token}")
    assert opened.status_code == 200 and opened.json()["purpose"] == "enrollment"
    check_screen(page, "enrollment-handout", sizes=BOTH)
    for paper in ("A4", "Letter"):
        assert pdf_pages(page.pdf(format=paper, print_background=True)) == 1, paper

    page.get_by_role("button", name="Issue a new link").click()
    page.get_by_role("button", name="Yes, issue a new link").click()
    page.get_by_text("Link waiting").wait_for()
    renewed = handout.locator(".handout-url")
    page.wait_for_function(
        "old => document.querySelector('.handout-url').textContent.trim() !== old", arg=url
    )
    new_url = renewed.inner_text().strip()
    assert decoded_qr(handout.locator(".qr-code")) == new_url
    assert httpx.get(f"{server}/api/enrollment/{token}").status_code != 200


def test_a_clinician_adjusts_a_patients_reminders(
    clinic_page: Callable[..., Any], clinician: httpx.Client, check_screen: Any
) -> None:
    patient = add_patient(clinician)
    page = clinic_page(hash=f"#/patients/{patient.id}/reminders")
    form = page.locator("form.reminders-form")
    form.wait_for()
    page.get_by_text("No device with notifications on").wait_for()
    form.get_by_label("Time").first.fill("20:30")
    form.get_by_role("button", name="Save").click()
    page.locator(".notice", has_text="Schedule saved.").wait_for()
    schedule = clinician.get(f"/api/patients/{patient.id}/reminders").json()
    assert schedule["daily_mood_at"] == "20:30"
    page.get_by_role("heading", name="Delivery log").wait_for()
    check_screen(page, "reminders", sizes=BOTH)
