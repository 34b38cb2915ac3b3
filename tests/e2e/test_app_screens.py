"""The other screens a patient uses: history charts, reminder settings, side effects, languages."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import expect

from .e2e_support import (
    PASSWORD,
    Patient,
    check_accessibility,
    checkins_on_server,
    enroll_in_browser,
    enrolled_patient_client,
    record_infusion,
    scale_button,
    sign_in_browser,
)

NEW_YORK = ZoneInfo("America/New_York")  # the synthetic patients' zone


def log_past_checkins(phone: httpx.Client, days: int) -> None:
    """A month of synthetic daily moods and weekly PHQ-9s and GAD-7s, sent as the app would have
    (two PHQ-9s on the last PHQ-9's day)."""
    now = datetime.now(UTC)
    for day in range(days, 0, -1):
        taken_at = (now - timedelta(days=day, hours=2)).isoformat()
        mood = 3 + (day * 7) % 6
        sent = phone.post(
            "/api/checkins",
            json={"instrument": "mood", "answers": [mood], "taken_at": taken_at},
            headers={"Idempotency-Key": str(__import__("uuid").uuid4())},
        )
        assert sent.status_code == 201, sent.text
        if day % 7 == 0:
            answers = [2 if day > 20 else 1] * 8 + [0]
            weekly = [("gad7", [2 if day > 20 else 1] * 7, taken_at)]
            if day == 7:  # two PHQ-9s that day, at 9:00 and 12:00 in the patient's zone
                local = (now - timedelta(days=day)).astimezone(NEW_YORK)
                for hour, given in ((9, answers), (12, [1] * 7 + [0, 0])):
                    at = local.replace(hour=hour, minute=0, second=0, microsecond=0)
                    weekly.append(("phq9", given, at.isoformat()))
            else:
                weekly.append(("phq9", answers, taken_at))
            for instrument, given, at in weekly:
                sent = phone.post(
                    "/api/checkins",
                    json={"instrument": instrument, "answers": given, "taken_at": at},
                    headers={"Idempotency-Key": str(__import__("uuid").uuid4())},
                )
                assert sent.status_code == 201, sent.text


def shown_range(page: Any) -> str:
    text: str = page.locator(".range-note").inner_text()
    return text


def pinch_out(page: Any, cdp: Any, chart: str) -> None:
    """Two fingers spreading apart over the chart, as on a phone."""
    page.locator(f"#{chart} .u-over").scroll_into_view_if_needed()
    box = page.locator(f"#{chart} .u-over").bounding_box()
    y = box["y"] + box["height"] / 2
    mid = box["x"] + box["width"] / 2

    def touch(kind: str, spread: float) -> None:
        points = (
            []
            if kind == "touchEnd"
            else [
                {"x": mid - spread, "y": y, "id": 1},
                {"x": mid + spread, "y": y, "id": 2},
            ]
        )
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", 20)
    for spread in range(30, 130, 10):
        touch("touchMove", spread)
    touch("touchEnd", 0)


def test_history_shows_the_charts_at_320_px_and_zooms_by_touch(
    chromium: Any, server: str, clinician: httpx.Client, new_patient: Callable[..., Patient]
) -> None:
    patient = new_patient()
    phone = enrolled_patient_client(server, patient)
    record_infusion(clinician, patient.id, hours_ago=24 * 24, kind="induction")
    record_infusion(clinician, patient.id, hours_ago=24 * 10, kind="scheduled_booster")
    log_past_checkins(phone, days=28)
    small = chromium.new_context(viewport={"width": 320, "height": 640}, has_touch=True)
    try:
        page = small.new_page()
        sign_in_browser(page, server, patient.email)
        page.get_by_role("link", name="History").click()
        page.get_by_role("button", name="30 days").click()
        expect(page.locator("#mood-chart canvas")).to_be_visible()
        expect(page.locator("#phq9-chart canvas")).to_be_visible()
        expect(page.locator("#gad7-chart canvas")).to_be_visible()
        expect(
            page.get_by_text("PHQ-9 and GAD-7 developed by Drs. Robert L. Spitzer")
        ).to_be_visible()
        expect(page.get_by_text("10 days since your last treatment")).to_be_visible()
        # Reliable change in words, from before the course (16) to the latest score: never advice.
        phq9 = page.get_by_role("region", name="PHQ-9 (lower is better)")
        expect(
            phq9.get_by_text(re.compile(r"down 9 points since before treatment \(16 → 7\)"))
        ).to_be_visible()
        gad7 = page.get_by_role("region", name="GAD-7 (lower is better)")
        expect(
            gad7.get_by_text(re.compile(r"down 7 points since before treatment \(14 → 7\)"))
        ).to_be_visible()
        assert "booster" not in page.locator("main").inner_text().lower()
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        assert page.locator("#mood-chart canvas").bounding_box()["width"] <= 320
        check_accessibility(page, "history")

        page.get_by_text("Show the numbers: Mood").click()
        expect(page.locator("table").first.locator("tbody tr")).to_have_count(28)
        # Two PHQ-9s on one day are told apart by their times.
        phq9.get_by_text("Show the numbers: PHQ-9").click()
        same_day = phq9.locator("tbody tr td:first-child")
        expect(same_day).to_have_count(5)
        assert sum(1 for text in same_day.all_inner_texts() if re.search(r"\d:\d\d", text)) == 2

        before = shown_range(page)
        pinch_out(page, small.new_cdp_session(page), "mood-chart")
        expect(page.locator(".range-note")).not_to_have_text(before)
        page.get_by_role("button", name="Show all").click()
        expect(page.locator(".range-note")).to_have_text(before)
        page.get_by_role("button", name="Zoom in").click()
        expect(page.locator(".range-note")).not_to_have_text(before)
    finally:
        small.close()


def test_reminder_settings_save_and_a_bad_time_shows_what_to_fix(
    context: Any, server: str, new_patient: Callable[..., Patient]
) -> None:
    patient = new_patient()
    page = context.new_page()
    enroll_in_browser(page, server, patient)
    page.get_by_role("link", name="Reminders").click()
    daily = page.get_by_role("group", name="Daily mood")
    daily.get_by_role("checkbox", name="Daily mood").check()
    daily.get_by_label("Time").fill("19:30")
    page.get_by_role("button", name="Save reminders").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    saved = page.evaluate("fetch('/api/me/reminders').then(r => r.json())")
    assert saved["daily_mood_at"] == "19:30"

    daily.get_by_label("Time").fill("23:15")
    page.get_by_role("button", name="Save reminders").click()
    error = page.locator("#daily_mood_at-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("quiet")
    expect(daily.get_by_label("Time")).to_have_attribute("aria-invalid", "true")
    check_accessibility(page, "reminders with an error")
    assert (
        page.evaluate("fetch('/api/me/reminders').then(r => r.json())")["daily_mood_at"] == "19:30"
    )


def test_after_an_infusion_the_side_effect_check_is_due_and_pain_is_asked_when_enabled(
    context: Any, server: str, clinician: httpx.Client, new_patient: Callable[..., Patient]
) -> None:
    patient = new_patient(pain_enabled=True)
    enrolled_patient_client(server, patient).close()
    record_infusion(clinician, patient.id, hours_ago=3, kind="induction")
    page = context.new_page()
    sign_in_browser(page, server, patient.email)

    expect(page.get_by_text("How much pain are you in today?")).to_be_visible()
    page.get_by_role("region", name="How much pain are you in today?").get_by_role(
        "button", name=re.compile(r"^2 out of 10")
    ).click()
    expect(page.get_by_text(re.compile("Saved 2/10"))).to_be_visible()
    expect(page.get_by_text("0 days since your last treatment")).to_be_visible()

    page.get_by_role("link", name="Side-effect check after your treatment").click()
    check_accessibility(page, "side effects")
    for item in ("Feeling detached", "Nausea", "Headache", "Dizziness", "Drowsiness"):
        page.get_by_role("group", name=re.compile(item)).get_by_label("None").check()
    page.get_by_role("group", name="Nausea or vomiting").get_by_label("Mild").check()
    page.get_by_label("Anything else you noticed").fill("Tired in the evening (synthetic)")
    page.get_by_role("button", name="Save my answers").click()
    expect(page.get_by_text("Your clinic has your answers.")).to_be_visible()

    [after] = checkins_on_server(clinician, patient.id, "after")
    assert after["answers"] == [0, 1, 0, 0, 0]
    assert after["note"] == "Tired in the evening (synthetic)"
    assert [p["answers"] for p in checkins_on_server(clinician, patient.id, "pain")] == [[2]]
    page.get_by_role("link", name="Today", exact=True).click()
    expect(page.get_by_role("link", name="Side-effect check after your treatment")).to_have_count(0)


def test_gad7_gives_the_score_and_band_at_the_end(
    context: Any, server: str, clinician: httpx.Client, new_patient: Callable[..., Patient]
) -> None:
    patient = new_patient()
    page = context.new_page()
    enroll_in_browser(page, server, patient)
    page.goto(f"{server}/#/checkin/gad7")
    expect(page.get_by_text("Question 1 of 7")).to_be_visible()
    check_accessibility(page, "gad7 item")
    for _ in range(3):
        page.get_by_role("button", name="Nearly every day").click()
    for _ in range(4):
        page.get_by_role("button", name="Not at all").click()
    expect(page.get_by_text("Level: Mild")).to_be_visible()
    expect(page.get_by_role("heading", name="Please reach out now")).to_have_count(0)
    check_accessibility(page, "gad7 result")
    [gad7] = checkins_on_server(clinician, patient.id, "gad7")
    assert gad7["score"] == 9
    page.get_by_role("link", name="Today", exact=True).click()
    expect(page.get_by_role("link", name=re.compile("PHQ-9 .* is due this week"))).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("GAD-7 .* is due"))).to_have_count(0)


def test_a_spanish_speaking_patient_gets_the_app_in_spanish(
    context: Any, server: str, new_patient: Callable[..., Patient]
) -> None:
    patient = new_patient(locale="es-MX")
    page = context.new_page()
    # The enrollment page follows the phone (English); once signed in, the patient's locale rules.
    enroll_in_browser(page, server, patient, heading="Hoy")

    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("link", name="Recordatorios")).to_be_visible()
    check_accessibility(page, "today in Spanish")


def test_a_patient_signs_out_and_back_in(
    context: Any, server: str, clinician: httpx.Client, new_patient: Callable[..., Patient]
) -> None:
    patient = new_patient()
    page = context.new_page()
    enroll_in_browser(page, server, patient)
    scale_button(page, 5).click()
    expect(page.get_by_text(re.compile("Saved 5/10 .* Sent"))).to_be_visible()

    page.get_by_role("link", name="Account").click()
    expect(page.get_by_text(f"Signed in as {patient.email}.")).to_be_visible()
    check_accessibility(page, "account")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    check_accessibility(page, "sign in")
    page.get_by_label("Email").fill(patient.email)
    page.get_by_label("Password", exact=True).fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("The email or password is not right.")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Today", level=1)).to_be_visible()
    assert len(checkins_on_server(clinician, patient.id, "mood")) == 1


def test_the_mood_screen_of_a_reminder_link_logs_with_one_tap_in_dark_mode_too(
    context: Any, server: str, clinician: httpx.Client, new_patient: Callable[..., Patient]
) -> None:
    patient = new_patient()
    page = context.new_page()
    enroll_in_browser(page, server, patient)
    page.emulate_media(color_scheme="dark")
    check_accessibility(page, "today, dark")
    page.goto(f"{server}/#/checkin/mood")
    expect(page.get_by_role("heading", name="Daily mood", level=1)).to_be_visible()
    check_accessibility(page, "mood screen, dark")
    scale_button(page, 8).click()
    expect(page.get_by_text(re.compile("Saved 8/10 .* Sent to your clinic"))).to_be_visible()
    assert [m["answers"] for m in checkins_on_server(clinician, patient.id, "mood")] == [[8]]
    page.get_by_role("link", name="History").click()
    expect(page.locator("#mood-chart canvas")).to_be_visible()
    check_accessibility(page, "history, dark")


def test_clinic_staff_who_sign_in_to_the_app_are_taken_to_the_clinic_workspace(
    context: Any, server: str, clinician: httpx.Client
) -> None:
    page = context.new_page()
    page.goto(f"{server}/#/signin")
    page.get_by_label("Email").fill("doc@e2e.test")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server}/clinic/#/inbox")
    # Signed out of the workspace, back at the app's sign-in: the app remembered the clinician
    # it signed in, and must not keep opening the workspace for them.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()


def test_the_reminders_screen_fits_a_phone_and_its_button_stands_clear_of_the_field_above(
    context: Any, server: str, new_patient: Callable[..., Patient], tmp_path: Any
) -> None:
    page = context.new_page()
    enroll_in_browser(page, server, new_patient())
    page.get_by_role("link", name="Reminders").click()
    expect(page.get_by_role("button", name="Save reminders")).to_be_visible()

    field = page.get_by_label("Name for this phone").bounding_box()
    button = page.get_by_role("button", name="Turn on reminders on this phone").bounding_box()
    assert button["y"] - (field["y"] + field["height"]) >= 8
    height = page.evaluate("document.documentElement.scrollHeight")
    screenshot = tmp_path / "reminders-390px.png"
    page.screenshot(path=str(screenshot), full_page=True)
    print(f"reminders screen: {height} px tall at 390 px; screenshot: {screenshot}")
    # 2,130 px before issue 12 (schedule and notifications only); the journal prompt and the
    # extra check-ins have their settings here too since.
    assert height <= 1800
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    check_accessibility(page, "reminders")


def test_an_extra_phq9_is_explained_and_the_patient_pauses_extra_checkins_for_a_week(
    context: Any,
    server: str,
    clinician: httpx.Client,
    new_patient: Callable[..., Patient],
    tmp_path: Any,
) -> None:
    patient = new_patient()
    phone = enrolled_patient_client(server, patient)
    now = datetime.now(UTC)

    def phq9(score: int, days_ago: float) -> None:
        answers = [min(3, max(0, score - 3 * item)) for item in range(8)] + [0, 1]
        taken_at = (now - timedelta(days=days_ago)).isoformat()
        sent = phone.post(
            "/api/checkins",
            json={"instrument": "phq9", "answers": answers, "taken_at": taken_at},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert sent.status_code == 201, sent.text

    # Relief down from 20 to 5 after an induction, then a PHQ-9 of 15 yesterday: the one that
    # confirms or refutes it is asked for the day after tomorrow.
    phq9(20, 10.1)
    record_infusion(clinician, patient.id, hours_ago=240, kind="induction")
    phq9(5, 7)
    phq9(15, 1)
    phone.close()
    page = context.new_page()
    sign_in_browser(page, server, patient.email)
    page.get_by_role("link", name="Reminders").click()

    extra = page.get_by_role("region", name="Extra check-ins")
    expect(extra.get_by_text(re.compile(r"^Next extra PHQ-9: "))).to_be_visible()
    expect(extra.get_by_text(re.compile("Your last PHQ-9 was higher than before"))).to_be_visible()
    extra.scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "extra-checkins-390px.png"), full_page=True)
    extra.get_by_role("button", name="Pause extra check-ins for a week").click()
    expect(extra.get_by_text(re.compile("^Extra check-ins are paused until"))).to_be_visible()
    expect(extra.get_by_text(re.compile(r"^Next extra PHQ-9: "))).to_have_count(0)
    check_accessibility(page, "extra check-ins")
    page.screenshot(path=str(tmp_path / "extra-checkins-paused-390px.png"), full_page=True)
    extra.get_by_role("button", name="Resume extra check-ins").click()
    expect(extra.get_by_role("button", name="Pause extra check-ins for a week")).to_be_visible()
