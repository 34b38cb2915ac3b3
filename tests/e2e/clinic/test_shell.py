"""The clinician workspace's frame in Chromium: staff sign in at `/` and land in it, the
navigation works by keyboard alone, the language can be switched, and only staff get in."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from ..e2e_support import CLINIC, PASSWORD, Patient, enrolled_patient_client
from .clinic_support import CLINICIAN_EMAIL, CLINICIAN_NAME, DESKTOP, wait_for_workspace, watch


def test_a_clinician_signs_in_at_the_root_lands_in_the_workspace_and_signs_out(
    chromium: Any, server: str, clinician: Any
) -> None:
    context = chromium.new_context(viewport=DESKTOP, locale="en-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    found = watch(page, server)

    # A link into the workspace without a session goes to sign in first, and comes back after.
    page.goto(f"{server}/clinic/#/admin/audit")
    page.wait_for_url(re.compile(r"/#/signin$"))
    page.get_by_label("Email").fill(CLINICIAN_EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server}/clinic/#/admin/audit")
    wait_for_workspace(page)
    # A clinician is not an admin: a clear message, and no Admin in the navigation.
    page.get_by_role("heading", name="For clinic admins only", level=1).wait_for()
    nav = page.get_by_role("navigation", name="Workspace")
    assert nav.get_by_role("link").all_inner_texts() == [
        "Inbox",
        "Alerts",
        "Clinic",
        "Enroll patient",
    ]
    header = page.get_by_role("banner")
    assert CLINIC in header.inner_text()
    assert CLINICIAN_NAME in header.inner_text()
    assert "Clinician" in header.inner_text()

    # Opening `/` with a staff session goes straight to the workspace (the inbox).
    page.goto(f"{server}/")
    page.wait_for_url(f"{server}/clinic/#/inbox")
    wait_for_workspace(page)
    assert page.title().endswith(f"{CLINIC} · Afterglow")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/#?/?(signin)?$"))
    page.get_by_role("button", name="Sign in").wait_for()
    page.goto(f"{server}/clinic/")
    page.wait_for_url(re.compile(r"/#/signin$"))
    # Signed out, /api/me answers 401 (that is how the workspace knows): nothing else failed.
    assert [e for e in found.errors if "401" not in e] == []
    context.close()


def test_the_navigation_works_with_the_keyboard_alone(clinician_page: Any) -> None:
    page = clinician_page
    page.goto(page.url.split("#")[0] + "#/clinic")
    page.reload()
    wait_for_workspace(page)

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    assert skip.evaluate("el => el === document.activeElement")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.tagName") == "H1"

    # From the top again: through the header to the navigation.
    page.reload()
    wait_for_workspace(page)
    nav = page.get_by_role("navigation", name="Workspace")
    reached = []
    for _ in range(10):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.textContent.trim()")
        reached.append(focused)
        if focused == "Alerts":
            break
    assert "Inbox" in reached and reached[-1] == "Alerts", reached
    ring = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert ring not in ("none", ""), "the focused link shows where the focus is"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"#/alerts$"))
    assert nav.get_by_role("link", name="Alerts").get_attribute("aria-current") == "page"
    # After a navigation the new screen's heading has the focus (screen readers announce it).
    expect(page.locator("main h1")).to_be_focused()


def test_the_language_is_the_browsers_and_can_be_switched(
    clinic_page: Callable[..., Any],
) -> None:
    page = clinic_page("clinician", locale="es-MX")
    nav = page.get_by_role("navigation", name="Espacio de trabajo")
    assert nav.get_by_role("link", name="Bandeja").is_visible()
    assert page.evaluate("document.documentElement.lang") == "es"

    page.get_by_label("Idioma").select_option("en")
    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Inbox").wait_for()
    page.reload()
    wait_for_workspace(page)
    assert page.get_by_role("button", name="Sign out").is_visible()
    assert page.evaluate("document.documentElement.lang") == "en"


def test_a_patient_who_opens_the_workspace_is_sent_back_to_their_app(
    chromium: Any, server: str, new_patient: Callable[..., Patient]
) -> None:
    patient = new_patient()
    client = enrolled_patient_client(server, patient)
    context = chromium.new_context(viewport=DESKTOP, locale="en-US")
    context.add_cookies(
        [
            {"name": c.name, "value": c.value or "", "url": server}
            for c in client.cookies.jar
            if c.name != "csrftoken"
        ]
    )
    page = context.new_page()
    page.goto(f"{server}/clinic/")
    page.wait_for_url(re.compile(r"^[^#]*/(#/(today)?)?$"))
    page.get_by_role("heading", name="Today", level=1).wait_for()
    client.close()
    context.close()
