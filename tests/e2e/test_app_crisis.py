"""The crisis screen on a phone: the numbers of the patient's country (999 and Samaritans for a
London patient, never 988 or 911), the clinic's phone even offline before any crisis, and every
word in one language (Spanish awaits a clinician's review, so a Spanish-speaking patient reads it
all in English while the rest of the app stays Spanish)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import PHONE
from .e2e_support import (
    Patient,
    check_accessibility,
    enroll_in_browser,
    sign_in,
    wait_for_service_worker,
)

# The PHQ-9's answers as the patient reads them: never, several days (item 9), not difficult.
PHQ9_ANSWERS = {
    "en": ("Not at all", "Several days", "Not difficult at all"),
    "es": ("Ningún día", "Varios días", "No ha sido difícil"),
}
CLINIC_PHONE = "+44 20 7946 0000"
# Words of Afterglow's Spanish crisis text, none of which may reach a screen shown in English.
SPANISH_CRISIS_WORDS = ("Pida ayuda", "Llame", "llame", "Peligro", "Su clínica", "Continuar")


def answer_phq9_with_item9(page: Any, server: str, lang: str = "en") -> None:
    never, several, not_difficult = PHQ9_ANSWERS[lang]
    page.goto(f"{server}/#/checkin/phq9")
    for _ in range(8):
        page.get_by_role("button", name=never, exact=True).click()
    page.get_by_role("button", name=several, exact=True).click()
    page.get_by_role("button", name=not_difficult, exact=True).click()


@pytest.fixture
def clinic_phone(server: str) -> Iterator[str]:
    """The clinic's phone set for one test, and as it was after it (the server is shared)."""
    admin = sign_in(server, "admin@e2e.test")
    settings = admin.get("/api/clinic/settings/").json()
    saved = admin.put("/api/clinic/settings/", json={**settings, "clinic_phone": CLINIC_PHONE})
    assert saved.status_code == 200, saved.text
    yield CLINIC_PHONE
    assert admin.put("/api/clinic/settings/", json=settings).status_code == 200
    admin.close()


def test_a_london_patient_offline_before_any_crisis_sees_999_samaritans_and_the_clinic_phone(
    chromium: Any,
    server: str,
    new_patient: Callable[..., Patient],
    clinic_phone: str,
    tmp_path: Path,
) -> None:
    context = chromium.new_context(viewport=PHONE, locale="en-GB", timezone_id="Europe/London")
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        enroll_in_browser(page, server, new_patient(locale="en-GB", timezone="Europe/London"))
        wait_for_service_worker(page)
        # No crisis screen yet on this phone, and no network: the profile it keeps has it all.
        context.set_offline(True)
        answer_phq9_with_item9(page, server)

        expect(page.get_by_role("heading", name="Please reach out now", level=1)).to_be_visible()
        for name, href in (
            ("Samaritans: call 116 123, free, day or night", "tel:116123"),
            ("NHS 111: call 111, then choose option 2 for mental health", "tel:111"),
            ("Immediate danger: call 999", "tel:999"),
            (f"Call your clinic: {clinic_phone}", "tel:+442079460000"),
        ):
            expect(page.get_by_role("link", name=name)).to_have_attribute("href", href)
        expect(
            page.get_by_text("Your clinic will see this answer, but not straight away.")
        ).to_be_visible()
        expect(
            page.get_by_text(
                "is not emergency care. If you might act on these thoughts, call 999 now."
            )
        ).to_be_visible()
        expect(page.get_by_text("your answers will reach your clinic when")).to_be_visible()
        text = page.locator("main").inner_text()
        assert "988" not in text and "911" not in text
        check_accessibility(page, "crisis for a London patient, offline")
        # Looked at by hand: every line fits 390 px; the clinic's number sits under the list.
        page.screenshot(path=str(tmp_path / "crisis-uk-390px.png"), full_page=True)
        print(f"screenshot: {tmp_path / 'crisis-uk-390px.png'}")
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_text("Saved on this phone.")).to_be_visible()
    finally:
        context.close()


def test_a_spanish_speaking_patient_reads_the_crisis_screen_all_in_english_until_its_spanish_is_reviewed(
    context: Any, server: str, new_patient: Callable[..., Patient], tmp_path: Path
) -> None:
    page = context.new_page()
    enroll_in_browser(page, server, new_patient(locale="es-MX"), heading="Hoy")
    wait_for_service_worker(page)
    answer_phq9_with_item9(page, server, "es")

    expect(page.get_by_role("heading", name="Please reach out now", level=1)).to_be_visible()
    expect(page.locator("main")).to_have_attribute("lang", "en")
    expect(page.get_by_text("You do not have to face this alone")).to_be_visible()
    expect(page.get_by_role("link", name="988 Suicide & Crisis Lifeline: call")).to_have_attribute(
        "href", "tel:988"
    )
    expect(page.get_by_role("link", name="Immediate danger: call 911")).to_be_visible()
    expect(page.get_by_text("is not emergency care")).to_be_visible()
    text = page.locator("main").inner_text()
    assert not [word for word in SPANISH_CRISIS_WORDS if word in text], text
    expect(page.get_by_role("link", name="Hoy")).to_be_visible()  # the rest stays Spanish
    check_accessibility(page, "crisis for a Spanish-speaking patient")
    # Looked at by hand: English whole under the app's Spanish navigation.
    page.screenshot(path=str(tmp_path / "crisis-es-390px.png"), full_page=True)
    print(f"screenshot: {tmp_path / 'crisis-es-390px.png'}")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Nivel: Mínimo")).to_be_visible()
