"""A patient's first days with the app: enroll, log the mood, answer a PHQ-9, meet the crisis screen."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
from playwright.sync_api import expect

from .e2e_support import (
    Patient,
    check_accessibility,
    checkins_on_server,
    enroll_in_browser,
    open_app_enrolled,
    scale_button,
)


def test_a_patient_enrolls_logs_the_mood_and_an_item9_answer_shows_the_crisis_screen_first(
    context: Any, server: str, clinician: httpx.Client, new_patient: Callable[..., Patient]
) -> None:
    patient = new_patient()
    page = context.new_page()

    page.goto(f"{server}/#/enroll/{patient.enrollment_url.split('/#/enroll/')[1]}")
    expect(page.get_by_text("E2E Synthetic Clinic invited you")).to_be_visible()
    check_accessibility(page, "enroll")
    enroll_in_browser(page, server, patient)
    expect(page).to_have_url(re.compile(r"/#/today$"))
    check_accessibility(page, "today")

    scale_button(page, 7).click()
    expect(page.get_by_text(re.compile(r"Saved 7/10 at .*Sent to your clinic"))).to_be_visible()
    moods = checkins_on_server(clinician, patient.id, "mood")
    assert [m["answers"] for m in moods] == [[7]]

    page.get_by_role("link", name=re.compile("PHQ-9 .* is due this week")).click()
    expect(page.get_by_text("Question 1 of 9")).to_be_visible()
    expect(
        page.get_by_text("Over the last 2 weeks, how often have you been bothered")
    ).to_be_visible()
    expect(page.get_by_text("PHQ-9 and GAD-7 developed by Drs. Robert L. Spitzer")).to_be_visible()
    check_accessibility(page, "phq9 item")
    for number in range(1, 9):
        expect(page.get_by_text(f"Question {number} of 9")).to_be_visible()
        page.get_by_role("button", name="Several days").click()
    expect(page.get_by_text("Thoughts that you would be better off dead")).to_be_visible()
    page.get_by_role("button", name="Back").click()
    expect(page.get_by_text("Question 8 of 9")).to_be_visible()
    page.get_by_role("button", name="Several days").click()
    page.get_by_role("button", name="Several days").click()  # item 9 = 1
    # Any problem checked: the unscored difficulty item comes last.
    expect(page.get_by_text("One more question")).to_be_visible()
    page.get_by_role("button", name="Somewhat difficult").click()

    crisis = page.get_by_role("heading", name="Please reach out now", level=1)
    expect(crisis).to_be_visible()
    expect(
        page.get_by_text("not monitored around the clock and is not emergency care")
    ).to_be_visible()
    expect(
        page.get_by_role("link", name=re.compile("988 Suicide & Crisis Lifeline: call"))
    ).to_have_attribute("href", "tel:988")
    expect(page.get_by_text("your score")).to_have_count(0)
    check_accessibility(page, "crisis")

    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Level: Mild")).to_be_visible()
    expect(page.locator(".big-number")).to_have_text("9")
    check_accessibility(page, "phq9 result")
    phq9 = checkins_on_server(clinician, patient.id, "phq9")
    assert [(p["answers"], p["score"]) for p in phq9] == [([1] * 9 + [1], 9)]
    alerts = clinician.get("/api/alerts").json()
    assert any(a["patient_id"] == patient.id for a in alerts)


def test_opening_a_finished_questionnaire_again_starts_it_afresh_even_in_one_quick_move(
    context: Any, server: str, new_patient: Callable[..., Patient]
) -> None:
    """Today and then the same check-in, quicker than the app renders: the browser reports two
    hash changes but the route the app sees is the one it already showed. The crisis screen of
    the last PHQ-9 must not stay; a new PHQ-9 starts at question 1."""
    page = open_app_enrolled(context, server, new_patient())
    page.goto(f"{server}/#/checkin/phq9")
    for _ in range(8):
        page.get_by_role("button", name="Not at all").click()
    page.get_by_role("button", name="Several days").click()  # item 9 = 1
    page.get_by_role("button", name="Not difficult at all").click()
    expect(page.get_by_role("heading", name="Please reach out now", level=1)).to_be_visible()

    page.evaluate("() => { location.hash = '#/today'; location.hash = '#/checkin/phq9'; }")
    expect(page.get_by_text("Question 1 of 9")).to_be_visible()
    expect(page.get_by_role("button", name="Not at all")).to_be_visible()


def test_a_double_tap_on_the_mood_scale_logs_one_mood(
    context: Any, server: str, clinician: httpx.Client, new_patient: Callable[..., Patient]
) -> None:
    patient = new_patient()
    page = open_app_enrolled(context, server, patient)
    scale_button(page, 6).dblclick()
    expect(page.get_by_text(re.compile(r"Saved 6/10 at .*Sent to your clinic"))).to_be_visible()
    page.wait_for_timeout(500)  # a second mood, were one queued, would be sent by now
    assert page.evaluate("AfterglowOutbox.list().then((all) => all.length)") == 1
    assert [m["answers"] for m in checkins_on_server(clinician, patient.id, "mood")] == [[6]]

    # Another number is another answer: the patient changed their mind.
    scale_button(page, 7).click()
    expect(page.get_by_text(re.compile(r"Saved 7/10 at .*Sent to your clinic"))).to_be_visible()
    assert [m["answers"] for m in checkins_on_server(clinician, patient.id, "mood")] == [[6], [7]]
