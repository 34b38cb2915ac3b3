"""A check-in the server refuses for good is never lost in silence: the crisis screen still comes
first for PHQ-9 item 9, and Today keeps the check-in, with what was answered, until the patient
sends it again or removes it."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import expect

from .e2e_support import Patient, check_accessibility, checkins_on_server, enroll_in_browser

REFUSAL = {
    "status_code": 400,
    "detail": "Invalid note: synthetic refusal",
    "extra": [{"key": "note", "message": "synthetic refusal"}],
}


KEY_HOLDS_ANOTHER = {
    "status_code": 409,
    "detail": "This Idempotency-Key was already used for a different check-in; "
    "make a new key for each new check-in.",
}


def refuse_check_ins(context: Any, answer: dict[str, Any] = REFUSAL) -> None:
    """The server answers every new check-in with `answer` (a 400 unless told otherwise)."""

    def handle(route: Any) -> None:
        if route.request.method == "POST":
            route.fulfill(
                status=answer["status_code"],
                content_type="application/json",
                body=json.dumps(answer),
            )
        else:
            route.continue_()

    # On the context, so the service worker's sends are refused too.
    context.route("**/api/checkins", handle)


def answer_phq9_with_item9(page: Any) -> None:
    page.get_by_role("link", name=re.compile("PHQ-9 .* is due this week")).click()
    for number in range(1, 10):
        expect(page.get_by_text(f"Question {number} of 9")).to_be_visible()
        page.get_by_role("button", name="Several days").click()
    page.get_by_role("button", name="Somewhat difficult").click()


def test_a_refused_item9_phq9_shows_the_crisis_screen_and_stays_on_today_until_sent_again(
    context: Any,
    server: str,
    clinician: httpx.Client,
    new_patient: Callable[..., Patient],
    tmp_path: Path,
) -> None:
    patient = new_patient()
    page = context.new_page()
    enroll_in_browser(page, server, patient)
    refuse_check_ins(context)

    answer_phq9_with_item9(page)
    expect(page.get_by_role("heading", name="Please reach out now", level=1)).to_be_visible()
    expect(
        page.get_by_role("link", name=re.compile("988 Suicide & Crisis Lifeline: call"))
    ).to_have_attribute("href", "tel:988")
    expect(
        page.get_by_text("did not accept these answers, so your clinic has not seen")
    ).to_be_visible()
    check_accessibility(page, "crisis after a refusal")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Level: Mild")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("kept on Today")

    page.get_by_role("link", name="Back to Today").click()
    refused = page.locator("section.refused")
    expect(refused.get_by_role("heading", name="Could not be sent", level=2)).to_be_visible()
    expect(refused.get_by_role("heading", name=re.compile("PHQ-9"), level=3)).to_be_visible()
    expect(refused.get_by_text("Score: 9")).to_be_visible()
    expect(
        refused.get_by_text("has not seen your answer about thoughts of hurting")
    ).to_be_visible()
    expect(
        refused.get_by_text("Reason the server gave: Invalid note: synthetic refusal")
    ).to_be_visible()
    expect(page.get_by_text("1 check-in could not be sent")).to_be_visible()
    check_accessibility(page, "today with a refused check-in")
    screenshot = tmp_path / "refused-checkin-today-390px.png"
    page.screenshot(path=str(screenshot), full_page=True)
    print(f"screenshot: {screenshot}")

    # The crisis help stays one tap away for as long as the answer has not reached the clinic.
    refused.get_by_role("button", name="Get help now").click()
    expect(page.get_by_role("heading", name="Please reach out now", level=1)).to_be_visible()
    page.get_by_role("button", name="Continue").click()
    expect(refused).to_be_visible()
    assert checkins_on_server(clinician, patient.id, "phq9") == []

    # The server takes it now (say, after an update): sent once, with its alert.
    context.unroute("**/api/checkins")
    refused.get_by_role("button", name="Send again").click()
    expect(page.locator("section.refused")).to_have_count(0)
    expect(page.get_by_text("Everything has reached your clinic.")).to_be_visible()
    phq9 = checkins_on_server(clinician, patient.id, "phq9")
    assert [(p["answers"], p["score"]) for p in phq9] == [([1] * 9 + [1], 9)]
    alerts = clinician.get("/api/alerts").json()
    assert [a["item9"] for a in alerts if a["patient_id"] == patient.id] == [1]


def test_a_refused_side_effect_check_keeps_its_note_visible_until_the_patient_removes_it(
    context: Any, server: str, clinician: httpx.Client, new_patient: Callable[..., Patient]
) -> None:
    patient = new_patient()
    page = context.new_page()
    enroll_in_browser(page, server, patient)
    refuse_check_ins(context)

    page.goto(f"{server}/#/checkin/after")
    expect(page.get_by_role("button", name="Save my answers")).to_be_visible()
    for fieldset in page.locator("fieldset.radio-group").all()[:5]:
        fieldset.get_by_role("radio").first.check()
    page.get_by_label("Anything else you noticed").fill("Ringing in my ears all evening")
    page.get_by_role("button", name="Save my answers").click()
    expect(page.get_by_role("alert")).to_contain_text("did not accept them")

    page.get_by_role("link", name="Back to Today").click()
    refused = page.locator("section.refused")
    expect(refused.get_by_text("Your note: Ringing in my ears all evening")).to_be_visible()
    expect(refused.get_by_role("button", name="Get help now")).to_have_count(0)

    refused.get_by_role("button", name="Remove").click()
    expect(refused.get_by_text("Your clinic will never see it.")).to_be_visible()
    refused.get_by_role("button", name="Keep it").click()
    expect(refused.get_by_text("Your note: Ringing in my ears all evening")).to_be_visible()
    refused.get_by_role("button", name="Remove").click()
    refused.get_by_role("button", name="Remove for good").click()
    expect(page.locator("section.refused")).to_have_count(0)
    page.reload()
    expect(page.get_by_role("heading", name="Today", level=1)).to_be_visible()
    expect(page.locator("section.refused")).to_have_count(0)
    assert checkins_on_server(clinician, patient.id, "after") == []


def test_a_check_in_whose_key_the_server_already_holds_counts_as_sent_and_item9_still_warns(
    context: Any, server: str, new_patient: Callable[..., Patient]
) -> None:
    """A 409 means the server holds a check-in under this entry's own UUID: it came from this
    entry, stored before (a newer server reads its text differently), so it is not refused."""
    patient = new_patient()
    page = context.new_page()
    enroll_in_browser(page, server, patient)
    refuse_check_ins(context, KEY_HOLDS_ANOTHER)

    answer_phq9_with_item9(page)
    expect(page.get_by_role("heading", name="Please reach out now", level=1)).to_be_visible()
    expect(page.get_by_text("You are offline")).to_have_count(0)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Your clinic has your answers.")).to_be_visible()
    page.get_by_role("link", name="Back to Today").click()
    expect(page.get_by_text("Everything has reached your clinic.")).to_be_visible()
    expect(page.locator("section.refused")).to_have_count(0)
