"""Offline: the app starts without a network, and every check-in reaches the server exactly once."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
from playwright.sync_api import expect

from .e2e_support import (
    PASSWORD,
    Patient,
    check_accessibility,
    checkins_on_server,
    open_app_enrolled,
    scale_button,
    sign_in,
)


def test_check_ins_made_offline_wait_on_the_phone_and_reach_the_server_once_back_online(
    context: Any, server: str, clinician: httpx.Client, new_patient: Callable[..., Patient]
) -> None:
    patient = new_patient()
    page = open_app_enrolled(context, server, patient)

    context.set_offline(True)
    expect(page.get_by_text("You are offline.")).to_be_visible()
    for i in range(20):
        scale_button(page, i % 11).click()
        expect(page.locator(".outbox-summary")).to_have_attribute("data-waiting", str(i + 1))
    expect(page.get_by_text("20 check-ins waiting to send")).to_be_visible()

    page.reload()
    expect(page.get_by_role("heading", name="Today", level=1)).to_be_visible()
    expect(page.get_by_text("20 check-ins waiting to send")).to_be_visible()
    expect(page.get_by_text("Waiting to send", exact=True)).to_have_count(20)
    assert checkins_on_server(clinician, patient.id, "mood") == []

    context.set_offline(False)
    expect(page.get_by_text("Everything has reached your clinic.")).to_be_visible(timeout=20_000)
    stored = checkins_on_server(clinician, patient.id, "mood")
    assert len(stored) == 20
    assert sorted(m["answers"][0] for m in stored) == sorted(i % 11 for i in range(20))
    assert len({m["id"] for m in stored}) == 20
    assert len({m["taken_at"] for m in stored}) == 20


def test_the_service_worker_sends_the_outbox_by_background_sync_with_no_page_open(
    context: Any, server: str, clinician: httpx.Client, new_patient: Callable[..., Patient]
) -> None:
    patient = new_patient()
    page = open_app_enrolled(context, server, patient)
    context.set_offline(True)
    scale_button(page, 4).click()
    scale_button(page, 6).click()
    expect(page.get_by_text("2 check-ins waiting to send")).to_be_visible()

    # Nothing of the app is open; a blank page only carries the DevTools session.
    blank = context.new_page()
    page.close()
    context.set_offline(False)
    cdp = context.new_cdp_session(blank)
    registrations: dict[str, str] = {}
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.update(
            {r["scopeURL"]: r["registrationId"] for r in event["registrations"]}
        ),
    )
    cdp.send("ServiceWorker.enable")
    blank.wait_for_timeout(300)
    cdp.send(
        "ServiceWorker.dispatchSyncEvent",
        {
            "origin": server,
            "registrationId": registrations[f"{server}/"],
            "tag": "afterglow-outbox",
            "lastChance": False,
        },
    )

    for _ in range(50):
        stored = checkins_on_server(clinician, patient.id, "mood")
        if len(stored) == 2:
            break
        blank.wait_for_timeout(200)
    assert sorted(m["answers"][0] for m in stored) == [4, 6]

    reopened = context.new_page()
    reopened.goto(f"{server}/#/today")
    expect(reopened.get_by_text("Everything has reached your clinic.")).to_be_visible()
    expect(reopened.get_by_text(re.compile("Sent"))).not_to_have_count(0)


def test_an_item9_answer_offline_shows_the_crisis_screen_at_once_and_reaches_the_clinic_later(
    context: Any, server: str, clinician: httpx.Client, new_patient: Callable[..., Patient]
) -> None:
    patient = new_patient()
    page = open_app_enrolled(context, server, patient)
    page.goto(f"{server}/#/checkin/phq9")
    expect(page.get_by_text("Question 1 of 9")).to_be_visible()

    context.set_offline(True)
    for _ in range(8):
        page.get_by_role("button", name="Not at all").click()
    page.get_by_role("button", name="More than half the days").click()  # item 9 = 2
    page.get_by_role("button", name="Somewhat difficult").click()

    expect(page.get_by_role("heading", name="Please reach out now", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Immediate danger: call 911")).to_have_attribute(
        "href", "tel:911"
    )
    expect(page.get_by_text("your answers will reach your clinic when")).to_be_visible()
    check_accessibility(page, "crisis offline")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Saved on this phone.")).to_be_visible()
    expect(page.get_by_text("Level: Minimal")).to_be_visible()
    assert checkins_on_server(clinician, patient.id, "phq9") == []

    context.set_offline(False)
    page.get_by_role("link", name="Back to Today").click()
    expect(page.get_by_text("Everything has reached your clinic.")).to_be_visible(timeout=20_000)
    [phq9] = checkins_on_server(clinician, patient.id, "phq9")
    assert phq9["answers"] == [0] * 8 + [2, 1]
    alerts = clinician.get("/api/alerts").json()
    assert any(a["patient_id"] == patient.id for a in alerts)


def test_a_check_in_made_after_the_session_ended_is_sent_once_the_patient_signs_in_again(
    context: Any, server: str, clinician: httpx.Client, new_patient: Callable[..., Patient]
) -> None:
    patient = new_patient()
    page = open_app_enrolled(context, server, patient)
    context.clear_cookies()  # the session ended (expired, or signed out on another device)

    scale_button(page, 3).click()
    expect(page.get_by_text("Sign in again to send 1 waiting check-in.")).to_be_visible()
    assert checkins_on_server(clinician, patient.id, "mood") == []

    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    page.get_by_label("Email").fill(patient.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Everything has reached your clinic.")).to_be_visible()
    assert [m["answers"] for m in checkins_on_server(clinician, patient.id, "mood")] == [[3]]


def test_offline_the_crisis_screen_keeps_the_clinics_own_numbers_for_the_patients_country(
    context: Any, server: str, new_patient: Callable[..., Patient]
) -> None:
    admin = sign_in(server, "admin@e2e.test")
    settings = admin.get("/api/clinic/settings/").json()
    own_line = {
        "label": {"en": "Synthetic clinic crisis line", "es": "Línea de crisis de la clínica"},
        "contact": "555 0100",
        "kind": "phone",
    }
    emergency = {
        "label": {"en": "Emergency: 911", "es": "Emergencias: 911"},
        "contact": "911",
        "kind": "emergency",
    }
    lists = {**settings["crisis_resources"], "CA": [own_line, emergency]}
    saved = admin.put("/api/clinic/settings/", json={**settings, "crisis_resources": lists})
    assert saved.status_code == 200, saved.text
    admin.close()
    patient = new_patient(timezone="America/Toronto")  # Canada: the clinic's own list
    page = open_app_enrolled(context, server, patient)

    def answer_phq9_with_item9() -> None:
        page.goto(f"{server}/#/today")
        page.goto(f"{server}/#/checkin/phq9")
        for _ in range(8):
            page.get_by_role("button", name="Not at all").click()
        page.get_by_role("button", name="Several days").click()
        page.get_by_role("button", name="Not difficult at all").click()
        expect(page.get_by_role("heading", name="Please reach out now", level=1)).to_be_visible()

    answer_phq9_with_item9()
    expect(page.get_by_role("link", name="Synthetic clinic crisis line")).to_have_attribute(
        "href", "tel:5550100"
    )
    context.set_offline(True)
    answer_phq9_with_item9()
    expect(page.get_by_role("link", name="Synthetic clinic crisis line")).to_be_visible()
    expect(page.get_by_role("link", name="Emergency: 911")).to_be_visible()
    expect(page.get_by_text("your answers will reach your clinic when")).to_be_visible()
