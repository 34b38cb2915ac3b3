"""The admin screens of the clinician workspace in Chromium: staff (invite, deactivate, reset
link), clinic settings (saved, refused with the server's reason) and the audit trail; only admins
get in. And a clinic's crisis text in Spanish, which a clinician confirms on the clinic page and
the admin's settings then say is confirmed."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from ..e2e_support import PASSWORD, Patient, api_client, enrolled_patient_client, token_of
from .clinic_support import (
    BOTH,
    CLINICIAN_NAME,
    DESKTOP,
    PHONE,
    TABLET,
    wait_for_workspace,
)


@pytest.fixture
def settings_kept(clinic_admin: httpx.Client) -> Iterator[dict[str, Any]]:
    """The clinic's settings as they were, put back after the test (the server is shared)."""
    before: dict[str, Any] = clinic_admin.get("/api/clinic/settings").json()
    yield before
    assert clinic_admin.put("/api/clinic/settings", json=before).status_code == 200


def test_an_admin_invites_deactivates_and_resets_a_staff_member(
    admin_page: Any, server: str, check_screen: Callable[..., list[Path]]
) -> None:
    page = admin_page
    assert page.url.endswith("/clinic/#/admin/staff")  # an admin starts here
    nav = page.get_by_role("navigation", name="Workspace")
    assert nav.get_by_role("link").all_inner_texts() == ["Clinic", "Admin"]
    page.get_by_role("heading", name="Staff", level=1).wait_for()
    staff = page.get_by_role("region", name=re.compile("Staff accounts"))
    expect(staff.get_by_role("row", name=re.compile("E2E Admin"))).to_be_visible()

    page.get_by_label("Name").fill("Nurse Synthetic")
    page.get_by_label("Email").fill("nurse-admin-screen@e2e.test")
    page.get_by_role("button", name="Invite", exact=True).click()
    link = page.get_by_label("One-time link")
    expect(link).to_have_value(re.compile(r"/#/enroll/[A-Za-z0-9_-]+$"))
    check_screen(page, "admin-staff-invited", sizes=(*BOTH, PHONE))

    # They set their password through the link, and are in the list from then on.
    invited = api_client(server)
    accepted = invited.post(
        f"/api/enrollment/{token_of(link.input_value())}", json={"password": PASSWORD}
    )
    assert accepted.status_code == 201, accepted.text
    invited.close()
    page.reload()
    wait_for_workspace(page)
    row = staff.get_by_role("row", name=re.compile("Nurse Synthetic"))
    expect(row).to_contain_text("Active")

    row.get_by_role("button", name="Deactivate Nurse Synthetic").click()
    expect(row).to_contain_text("Deactivated")
    row.get_by_role("button", name="Reactivate Nurse Synthetic").click()
    expect(row).to_contain_text("Active")
    row.get_by_role("button", name="Password reset link for Nurse Synthetic").click()
    page.get_by_role("heading", name="Password reset link for Nurse Synthetic").wait_for()
    expect(page.get_by_role("img", name="QR code of the link").locator("svg")).to_be_visible()
    check_screen(page, "admin-staff-reset")
    page.emulate_media(color_scheme="dark")
    check_screen(page, "admin-staff-reset-dark", sizes=(BOTH[0],))


def test_an_admin_changes_a_setting_and_sees_it_saved_and_in_the_audit_trail(
    admin_page: Any,
    clinic_admin: httpx.Client,
    settings_kept: dict[str, Any],
    check_screen: Callable[..., list[Path]],
) -> None:
    page = admin_page
    page.goto(page.url.split("#")[0] + "#/admin/settings")
    page.get_by_role("heading", name="Clinic settings", level=1).wait_for()
    window = page.get_by_label("Alert window (hours)", exact=True)
    expect(window).to_have_value(re.compile(r"^\d"))
    check_screen(page, "admin-settings", sizes=(*BOTH, PHONE))

    # Refused with the server's own reason, and nothing stored.
    window.fill("100")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("alert")).to_contain_text("alert_window_hours")
    assert (
        clinic_admin.get("/api/clinic/settings").json()["alert_window_hours"]
        == (settings_kept["alert_window_hours"])
    )

    window.fill("3")
    page.get_by_label("Nadir window (days)").fill("10")
    page.get_by_label(re.compile("^Ask for extra PHQ-9s")).uncheck()
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status").filter(has_text="Settings saved.")).to_be_visible()
    stored = clinic_admin.get("/api/clinic/settings").json()
    assert stored["alert_window_hours"] == 3.0
    assert stored["relief"] == {"nadir_window_days": 10}
    assert stored["adaptive_checkins"] is False
    assert stored["crisis_resources"] == settings_kept["crisis_resources"]
    page.reload()
    wait_for_workspace(page)
    expect(page.get_by_label("Alert window (hours)", exact=True)).to_have_value("3")

    page.get_by_role("link", name="Audit trail").click()
    page.get_by_role("heading", name="Audit trail", level=1).wait_for()
    page.get_by_label("Action", exact=True).fill("clinic.settings.update")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"action=clinic.settings.update"))
    table = page.get_by_role("region", name="Audit events")
    expect(table.get_by_role("row").nth(1)).to_contain_text("E2E Admin")
    expect(table.get_by_role("row").nth(1)).to_contain_text("alert_window_hours")
    check_screen(page, "admin-audit", sizes=(*BOTH, PHONE), allow=("400",))


def test_a_clinician_has_no_admin_screens(
    clinic_page: Callable[..., Any], check_screen: Callable[..., list[Path]]
) -> None:
    page = clinic_page("clinician", TABLET, "#/admin/settings")
    page.get_by_role("heading", name="For clinic admins only", level=1).wait_for()
    nav = page.get_by_role("navigation", name="Workspace")
    expect(nav.get_by_role("link", name="Admin")).to_have_count(0)
    check_screen(page, "admins-only", sizes=BOTH)


def test_an_admin_writes_the_clinics_own_crisis_list_for_a_country_in_each_language(
    admin_page: Any,
    clinic_admin: httpx.Client,
    settings_kept: dict[str, Any],
    check_screen: Callable[..., list[Path]],
) -> None:
    page = admin_page
    page.goto(page.url.split("#")[0] + "#/admin/settings")
    page.get_by_role("heading", name="Clinic settings", level=1).wait_for()
    uk = page.get_by_role("region", name="United Kingdom")
    expect(uk.get_by_text("Samaritans: call 116 123, free, day or night")).to_be_visible()
    expect(
        page.get_by_text(re.compile("Spanish: the crisis text awaits a clinician's review"))
    ).to_be_visible()

    # Start from Afterglow's list; the new line is refused until it is worded in Spanish too.
    uk.get_by_role("button", name="Write our own list for United Kingdom").click()
    expect(uk.get_by_label("Label in Spanish").first).to_have_value(
        "Samaritans: llame al 116 123, gratis, de día o de noche"
    )
    uk.get_by_role("button", name="Add a resource").click()
    line = uk.get_by_role("group", name="Resource 4")
    line.get_by_label("Label in English").fill("Clinic night line (synthetic)")
    line.get_by_label("Number or address").fill("+44 20 7946 0000")
    page.get_by_role("button", name="Save settings").click()
    expect(line.get_by_text(re.compile("write this label in every language"))).to_be_visible()
    check_screen(page, "admin-settings-crisis-refused", sizes=(*BOTH, PHONE), allow=("400",))
    line.get_by_label("Label in Spanish").fill("Línea nocturna de la clínica (sintética)")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status").filter(has_text="Settings saved.")).to_be_visible()

    [*_, own] = clinic_admin.get("/api/clinic/settings").json()["crisis_resources"]["GB"]
    assert own == {
        "label": {
            "en": "Clinic night line (synthetic)",
            "es": "Línea nocturna de la clínica (sintética)",
        },
        "contact": "+44 20 7946 0000",
        "kind": "phone",
    }
    uk.get_by_role("button", name="Use Afterglow's list for United Kingdom").click()
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status").filter(has_text="Settings saved.")).to_be_visible()
    assert "GB" not in clinic_admin.get("/api/clinic/settings").json()["crisis_resources"]


@pytest.fixture
def spanish_crisis_text_withdrawn(clinic_admin: httpx.Client) -> Iterator[None]:
    """The clinic's confirmation of the Spanish crisis text withdrawn after the test (the server
    is shared: other tests expect Spanish patients to see the crisis screen in English)."""
    yield
    withdrawn = clinic_admin.post("/api/clinic/crisis-texts/withdraw", json={"lang": "es"})
    assert withdrawn.status_code == 200, withdrawn.text


def test_a_clinician_confirms_the_spanish_crisis_text_and_a_spanish_patient_reads_it_in_spanish(
    clinic_page: Callable[..., Any],
    server: str,
    new_patient: Callable[..., Patient],
    clinic_admin: httpx.Client,
    settings_kept: dict[str, Any],
    spanish_crisis_text_withdrawn: None,
    check_screen: Callable[..., list[Path]],
) -> None:
    patient = new_patient(locale="es-MX", timezone="America/Mexico_City", country="MX")
    phone = enrolled_patient_client(server, patient)
    assert phone.get("/api/me").json()["crisis"]["title"] == "Please reach out now"

    page = clinic_page("clinician", DESKTOP, "#/clinic")
    spanish = page.get_by_role("article", name=re.compile("Crisis screen in Spanish"))
    expect(spanish.get_by_text("Shown in English", exact=True)).to_be_visible()
    mexico = spanish.get_by_role("region", name="Patients in Mexico")
    line = mexico.get_by_role("row", name=re.compile("Línea de la Vida: llame al 800 911 2000"))
    expect(line).to_contain_text("Línea de la Vida: call 800 911 2000, free, day or night")
    expect(line).to_contain_text("gob.mx/salud/conasama")
    spanish.get_by_role(
        "button", name="I read Spanish: confirm this text"
    ).scroll_into_view_if_needed()
    check_screen(page, "clinic-crisis-text", sizes=(DESKTOP, PHONE))

    spanish.get_by_role("button", name="I read Spanish: confirm this text").click()
    expect(spanish.get_by_text("Confirmed by your clinic", exact=True)).to_be_visible()
    expect(spanish).to_contain_text(f"{CLINICIAN_NAME} confirmed this text on")
    crisis = phone.get("/api/me").json()["crisis"]
    assert (crisis["lang"], crisis["title"]) == ("es", "Pida ayuda ahora")
    assert [r["label"] for r in crisis["resources"]] == [
        "Línea de la Vida: llame al 800 911 2000, gratis, las 24 horas",
        "Peligro inmediato: llame al 911",
    ]
    assert crisis["not_emergency_care"].startswith("Esta aplicación no se supervisa")
    check_screen(page, "clinic-crisis-text-confirmed", sizes=(DESKTOP, PHONE))

    settings = clinic_page("admin", DESKTOP, "#/admin/settings")
    expect(
        settings.get_by_text(re.compile(f"Spanish: {CLINICIAN_NAME} confirmed the crisis text on"))
    ).to_be_visible()
    check_screen(settings, "admin-settings-crisis-confirmed", sizes=(DESKTOP, PHONE))

    # The clinic's own list for Mexico, worded in Spanish too: a text nobody confirmed.
    own = [
        {
            "label": {"en": "Clinic night line (synthetic)", "es": "Línea nocturna (sintética)"},
            "contact": "+52 55 5555 0100",
            "kind": "phone",
        },
        {
            "label": {"en": "Emergency: 911", "es": "Emergencias: 911"},
            "contact": "911",
            "kind": "emergency",
        },
    ]
    lists = {**settings_kept["crisis_resources"], "MX": own}
    saved = clinic_admin.put(
        "/api/clinic/settings", json={**settings_kept, "crisis_resources": lists}
    )
    assert saved.status_code == 200, saved.text
    settings.reload()
    wait_for_workspace(settings)
    expect(
        settings.get_by_text(
            re.compile(f"Spanish: the crisis text changed since {CLINICIAN_NAME} confirmed it")
        )
    ).to_be_visible()
    crisis = phone.get("/api/me").json()["crisis"]
    assert crisis["lang"] == "en"
    assert [r["label"] for r in crisis["resources"]] == [
        "Clinic night line (synthetic)",
        "Emergency: 911",
    ]

    spanish.get_by_role("button", name="Withdraw the confirmation").click()
    expect(spanish.get_by_text("Shown in English", exact=True)).to_be_visible()
    assert phone.get("/api/me").json()["crisis"]["lang"] == "en"
    phone.close()
