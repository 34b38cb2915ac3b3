"""The patient's language: the questionnaires are in it as the instrument registry words them
(the published Spanish PHQ-9 and GAD-7), or in English whole; and the patient changes it in the app. (The
crisis screen's language is in test_app_crisis.py.)"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from .e2e_support import (
    Patient,
    check_accessibility,
    enroll_in_browser,
)


def test_a_spanish_patient_reads_the_published_spanish_phq9_and_gad7_and_switches_the_app_to_english(
    context: Any, server: str, new_patient: Callable[..., Patient], tmp_path: Path
) -> None:
    page = context.new_page()
    enroll_in_browser(page, server, new_patient(locale="es-MX"), heading="Hoy")
    # The mood question and both its anchors in Spanish ("0 es Worst" no more).
    expect(page.get_by_role("heading", name="¿Cómo está su ánimo hoy?")).to_be_visible()
    expect(page.get_by_text("Toque un número: 0 es el peor, 10 es el mejor.")).to_be_visible()

    page.goto(f"{server}/#/checkin/phq9")
    expect(page.get_by_role("heading", name="PHQ-9 (depresión)", level=1)).to_be_visible()
    stem = page.locator(".stem")
    expect(stem).to_have_text(
        "Durante las últimas 2 semanas, ¿qué tan seguido ha tenido molestias debido a los "
        "siguientes problemas?"
    )
    expect(stem).to_have_attribute("lang", "es")
    expect(page.get_by_text("Poco interés o placer en hacer cosas")).to_be_visible()
    for answer in (
        "Ningún día",
        "Varios días",
        "Más de la mitad de los días",
        "Casi todos los días",
    ):
        expect(page.get_by_role("button", name=answer, exact=True)).to_be_visible()
    expect(page.get_by_text("Not at all")).to_have_count(0)
    # The attribution stays, in English: only one published copy carries the Spanish line.
    attribution = page.locator(".attribution")
    expect(attribution).to_contain_text("developed by Drs. Robert L. Spitzer")
    expect(attribution).to_have_attribute("lang", "en")
    expect(page.get_by_text("Este cuestionario está en inglés")).to_have_count(0)
    check_accessibility(page, "Spanish PHQ-9")
    # Looked at by hand: the longest answers wrap inside their buttons at 390 px.
    page.screenshot(path=str(tmp_path / "phq9-es-390px.png"), full_page=True)
    for _ in range(7):
        page.get_by_role("button", name="Ningún día", exact=True).click()
    expect(page.get_by_text("Pregunta 8 de 9")).to_be_visible()
    expect(page.get_by_text("o lo contrario – muy inquieto(a) o agitado(a)")).to_be_visible()  # noqa: RUF001
    page.screenshot(path=str(tmp_path / "phq9-es-item8-390px.png"), full_page=True)

    # The GAD-7 too: the published Spanish (US) form, asked and answered as the PHQ-9 is.
    page.goto(f"{server}/#/checkin/gad7")
    expect(page.get_by_role("heading", name="GAD-7 (ansiedad)", level=1)).to_be_visible()
    expect(stem).to_have_text(
        "Durante las últimas 2 semanas, ¿qué tan seguido ha tenido molestias debido a los "
        "siguientes problemas?"
    )
    expect(page.locator("fieldset.question")).to_have_attribute("lang", "es")
    expect(
        page.get_by_text("Se ha sentido nervioso(a), ansioso(a) o con los nervios de punta")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Ningún día", exact=True)).to_be_visible()
    expect(page.get_by_text("Not at all")).to_have_count(0)
    expect(page.get_by_text("Este cuestionario está en inglés")).to_have_count(0)
    expect(page.get_by_role("button", name="Atrás")).to_be_visible()
    check_accessibility(page, "Spanish GAD-7")
    page.screenshot(path=str(tmp_path / "gad7-es-390px.png"), full_page=True)
    for _ in range(6):
        page.get_by_role("button", name="Varios días", exact=True).click()
    expect(page.get_by_text("Pregunta 7 de 7")).to_be_visible()
    expect(page.get_by_text("Ha tenido miedo de que algo terrible fuera a pasar")).to_be_visible()
    page.screenshot(path=str(tmp_path / "gad7-es-item7-390px.png"), full_page=True)

    page.goto(f"{server}/#/account")
    expect(page.get_by_role("heading", name="Idioma")).to_be_visible()
    expect(page.get_by_role("radio", name="Español")).to_be_checked()
    page.screenshot(path=str(tmp_path / "account-language-es-390px.png"), full_page=True)
    page.get_by_role("radio", name="English").check()
    expect(page.get_by_role("heading", name="Your account", level=1)).to_be_visible()
    expect(page.get_by_text("Saved: Afterglow speaks to you in this language now.")).to_be_visible()
    expect(page.get_by_role("radio", name="English")).to_be_checked()
    page.goto(f"{server}/#/checkin/phq9")
    expect(page.get_by_role("heading", name="PHQ-9 depression", level=1)).to_be_visible()
    expect(page.get_by_role("button", name="Not at all", exact=True)).to_be_visible()

    # The choice is the server's: a fresh start of the app (any device) speaks English.
    page.reload()
    expect(page.get_by_role("button", name="Not at all", exact=True)).to_be_visible()
    me = page.evaluate("fetch('/api/me').then((r) => r.json())")
    assert me["locale"] == "en-MX"
