"""A new release reaches an installed app: the new service worker takes over and the app
reloads into it between screens, never in the middle of a check-in."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from .e2e_support import (
    add_patient,
    create_clinic,
    enroll_in_browser,
    free_port,
    make_clinician,
    server_env,
    serving,
    wait_for_service_worker,
)

PWA = Path(__file__).resolve().parents[2] / "pwa"


def build_in_page(page: Any) -> str:
    src: str = page.locator("script[type=module]").get_attribute("src")
    found = re.match(r"/app/([0-9a-f]{12})/main\.js$", src)
    assert found, src
    return found.group(1)


def test_a_new_release_takes_over_between_screens(
    chromium: Any, tmp_path: Path, browser_available: None
) -> None:
    pwa = tmp_path / "pwa"
    shutil.copytree(PWA, pwa)
    env = server_env(tmp_path, free_port(), AFTERGLOW_PWA_DIR=str(pwa))
    create_clinic(env)
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    try:
        with serving(env) as base:
            doc = make_clinician(base)
            patient = add_patient(doc)
            doc.close()
            page = context.new_page()
            enroll_in_browser(page, base, patient)
            wait_for_service_worker(page)
            first = build_in_page(page)
            page.goto(f"{base}/#/checkin/gad7")
            page.get_by_role("button", name="Several days").click()
            expect(page.get_by_text("Question 2 of 7")).to_be_visible()

        # The clinic deploys a new release of the app.
        styles = pwa / "app" / "styles.css"
        styles.write_text(styles.read_text() + "\n/* next release */\n")
        with serving(env) as base:
            page.evaluate(
                """() => new Promise(resolve => {
                    navigator.serviceWorker.addEventListener('controllerchange', resolve, {once: true});
                    navigator.serviceWorker.getRegistration().then(r => r.update());
                })"""
            )
            # The GAD-7 in progress is not thrown away by the update.
            page.get_by_role("button", name="Several days").click()
            expect(page.get_by_text("Question 3 of 7")).to_be_visible()
            assert build_in_page(page) == first

            page.get_by_role("link", name="History").click()
            expect(page.get_by_role("heading", name="History", level=1)).to_be_visible()
            page.wait_for_function(
                "prior => !document.querySelector(`script[src*='${prior}']`)", arg=first
            )
            assert build_in_page(page) != first
            expect(page.locator("#mood-chart")).to_be_visible()
    finally:
        context.close()
