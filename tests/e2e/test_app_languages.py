"""The patient's language: the crisis screen is all in it (its words from the one catalogue the
server reads too), or all in English where that language has no crisis text."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from .conftest import PHONE
from .e2e_support import (
    Patient,
    check_accessibility,
    enroll_in_browser,
    wait_for_service_worker,
)


def answer_phq9_with_item9(page: Any, server: str) -> None:
    """The PHQ-9 (its wording is the registry's English until it carries validated forms)."""
    page.goto(f"{server}/#/checkin/phq9")
    expect(page.get_by_role("button", name="Not at all")).to_be_visible()


def finish_with_item9(page: Any) -> None:
    for _ in range(8):
        page.get_by_role("button", name="Not at all").click()
    page.get_by_role("button", name="Several days").click()  # item 9 = 1
    page.get_by_role("button", name="Not difficult at all").click()


def test_a_spanish_speaking_patient_meets_the_crisis_screen_all_in_spanish(
    context: Any, server: str, new_patient: Callable[..., Patient], tmp_path: Path
) -> None:
    page = context.new_page()
    enroll_in_browser(page, server, new_patient(locale="es-MX"), heading="Hoy")
    wait_for_service_worker(page)
    answer_phq9_with_item9(page, server)
    finish_with_item9(page)

    expect(page.get_by_role("heading", name="Pida ayuda ahora", level=1)).to_be_visible()
    expect(page.locator("main")).to_have_attribute("lang", "es")
    # The server's message and the default resources, worded by the catalogue in Spanish.
    expect(page.get_by_text("No tiene que enfrentar esto solo(a)")).to_be_visible()
    expect(page.get_by_role("link", name="Peligro inmediato: llame al 911")).to_have_attribute(
        "href", "tel:911"
    )
    expect(page.get_by_text("no es atención de emergencia")).to_be_visible()
    expect(page.get_by_text("emergency care")).to_have_count(0)
    expect(page.get_by_text("Suicide & Crisis Lifeline")).to_have_count(0)
    check_accessibility(page, "crisis in Spanish")
    # Looked at by hand (the longest Spanish labels wrap; every word fits the phone's width).
    page.screenshot(path=str(tmp_path / "crisis-es-390px.png"), full_page=True)
    page.get_by_role("button", name="Continuar").click()
    expect(page.get_by_text("Nivel: Mínimo")).to_be_visible()


def test_a_language_without_crisis_text_shows_the_whole_crisis_screen_in_english(
    chromium: Any, server: str, new_patient: Callable[..., Patient]
) -> None:
    """Spanish without its crisis keys stands in for a language whose crisis text nobody has
    reviewed yet: everything else stays Spanish, the crisis screen is English, whole."""
    context = chromium.new_context(viewport=PHONE, locale="en-US", service_workers="block")
    context.set_default_timeout(10_000)

    def without_crisis_text(route: Any) -> None:
        strings = json.loads(route.fetch().text())
        kept = {k: v for k, v in strings.items() if not k.startswith("crisis.")}
        route.fulfill(json=kept)

    context.route("**/i18n/es.json", without_crisis_text)
    try:
        page = context.new_page()
        enroll_in_browser(page, server, new_patient(locale="es-MX"), heading="Hoy")
        answer_phq9_with_item9(page, server)
        context.set_offline(True)  # the crisis screen from the app's catalogue alone
        finish_with_item9(page)

        expect(page.get_by_role("heading", name="Please reach out now", level=1)).to_be_visible()
        expect(page.locator("main")).to_have_attribute("lang", "en")
        expect(page.get_by_text("You do not have to face this alone")).to_be_visible()
        expect(page.get_by_role("link", name="Immediate danger: call 911")).to_be_visible()
        expect(page.get_by_text("is not emergency care")).to_be_visible()
        expect(page.get_by_text("your answers will reach your clinic when")).to_be_visible()
        expect(page.get_by_role("button", name="Continue")).to_be_visible()
        expect(page.get_by_role("link", name="Hoy")).to_be_visible()  # the rest stays Spanish
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_text("Nivel: Mínimo")).to_be_visible()
    finally:
        context.close()
