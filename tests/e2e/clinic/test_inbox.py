"""The triage inbox in Chromium: the order on screen is the API's, marking a patient reviewed
lowers the needs-attention count, and the keyboard alone gets from the inbox to a patient."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from playwright.sync_api import expect

from ..e2e_support import Patient
from .clinic_support import BOTH, DESKTOP
from .test_alerts import raise_alert

NOW = datetime.now(UTC)


def day(n: float) -> str:
    return (NOW + timedelta(days=n)).isoformat()


def phq9(total: int, when: str) -> dict[str, Any]:
    answers = [3] * (total // 3) + ([total % 3] if total % 3 else [])
    return {"instrument": "phq9", "answers": answers + [0] * (9 - len(answers)), "taken_at": when}


def history(*, relapse: bool = False, waning: bool = False, silent: bool = False) -> dict[str, Any]:
    """An induction course ending day -24 (baseline 20, nadir 5), with daily moods."""
    scores = [(-36, 20), (-21, 6), (-17, 5), (-13, 6)]
    scores += [(-9, 15), (-5, 16)] if relapse else [(-9, 5), (-5, 6)]
    last = -5 if silent else -2 if waning else 0
    moods = [(d, 8) for d in range(-22, last)]
    if waning:
        moods += [(-2, 3), (-1, 4), (-0.1, 3)]
    return {
        "infusions": [
            {"given_at": day(d), "route": "iv", "kind": "induction"}
            for d in (-34, -32, -30, -28, -26, -24)
        ],
        "checkins": [phq9(score, day(d)) for d, score in scores]
        + [{"instrument": "mood", "answers": [m], "taken_at": day(d)} for d, m in moods],
    }


def relapsing_history() -> dict[str, Any]:
    """Three episodes that relapsed and a booster 6 days ago: enough of the patient's own
    relapses for a booster window."""
    infusions = [
        {"given_at": day(d), "route": "iv", "kind": "induction"}
        for d in (-110, -108, -106, -104, -102, -100)
    ]
    scores = [(-112, 20)]
    for start in (-100, -78, -56):
        scores += [(start + 3, 6), (start + 7, 5), (start + 11, 8), (start + 15, 14)]
        scores.append((start + 19, 16))
        infusions.append(
            {"given_at": day(start + 22), "route": "iv", "kind": "symptom_triggered_booster"}
        )
    scores += [(-31, 6), (-27, 5), (-23, 8), (-19, 14), (-15, 16), (-3, 6), (-1, 5)]
    infusions.append({"given_at": day(-6), "route": "iv", "kind": "symptom_triggered_booster"})
    return {
        "infusions": infusions,
        "checkins": [phq9(score, day(d)) for d, score in scores]
        + [{"instrument": "mood", "answers": [8], "taken_at": day(-d - 0.1)} for d in range(6)],
    }


def add_patient(clinician: httpx.Client, name: str, story: dict[str, Any] | None) -> Patient:
    """A synthetic patient with the history `story` (none: just enrolled)."""
    tag = uuid.uuid4().hex[:8]
    email = f"inbox-{tag}@e2e.test"
    response = clinician.post(
        "/api/patients/",
        json={"display_name": name, "email": email, "timezone": "America/New_York"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    patient = Patient(body["patient"]["id"], email, body["enrollment"]["url"], name)
    if story is not None:
        imported = clinician.post(f"/api/patients/{patient.id}/history", json=story)
        assert imported.status_code == 200, imported.text
    return patient


def triage(clinician: httpx.Client) -> dict[str, Any]:
    response = clinician.get("/api/clinic/patients", params={"sort": "urgency", "limit": 50})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def shown_order(page: Any) -> list[int]:
    ids: list[int] = page.eval_on_selector_all(
        "tr[data-patient]", "rows => rows.map((r) => Number(r.dataset.patient))"
    )
    return ids


def test_the_inbox_shows_the_apis_order_and_review_lowers_the_count(
    clinic_page: Callable[..., Any], clinician: httpx.Client, check_screen: Any
) -> None:
    made = {
        "relapse": add_patient(clinician, "Synthetic Rosa M.", history(relapse=True)),
        "waning": add_patient(clinician, "Synthetic Ben K.", history(waning=True)),
        "silent": add_patient(clinician, "Synthetic Carla D.", history(silent=True)),
        "holding": add_patient(clinician, "Synthetic Dev P.", history()),
        "window": add_patient(clinician, "Synthetic Eli W.", relapsing_history()),
        "new": add_patient(clinician, "Synthetic Fay N.", None),
    }
    # These were seen: only new scores bring them back.
    for kind in ("silent", "holding", "window"):
        assert clinician.post(f"/api/patients/{made[kind].id}/review").status_code == 200
    unreviewed = add_patient(clinician, "Synthetic Gus T.", history())

    page = clinic_page(size=DESKTOP)
    page.locator("tr[data-patient]").first.wait_for()
    listed = triage(clinician)

    assert shown_order(page) == [p["patient_id"] for p in listed["patients"]]
    count = page.locator(".attention-number")
    assert count.inner_text() == str(listed["needs_attention"])
    relapsed_row = page.locator(f'tr[data-patient="{made["relapse"].id}"]')
    assert "Relapsed" in relapsed_row.inner_text()
    silent_row = page.locator(f'tr[data-patient="{made["silent"].id}"]').inner_text()
    assert "last check-in 5 days ago" in silent_row and "No recent data" in silent_row
    assert page.locator(f'tr[data-patient="{made["waning"].id}"] svg.sparkline').count() == 1
    window = page.locator(f'tr[data-patient="{made["window"].id}"] .window').inner_text()
    assert "from own relapses" in window
    assert "no check-in yet" in page.locator(f'tr[data-patient="{made["new"].id}"]').inner_text()
    check_screen(page, "inbox", sizes=BOTH)

    page.set_viewport_size(DESKTOP)
    before = int(count.inner_text())
    page.get_by_role("button", name=f"Mark reviewed ({unreviewed.name})").click()
    page.wait_for_function(
        "(n) => Number(document.querySelector('.attention-number').textContent) === n",
        arg=before - 1,
    )
    after = triage(clinician)
    assert after["needs_attention"] == before - 1
    assert shown_order(page) == [p["patient_id"] for p in after["patients"]]
    # The focus stays with the patient just reviewed.
    focused = page.evaluate("document.activeElement.closest('tr')?.dataset.patient")
    assert focused == str(unreviewed.id)


def test_the_keyboard_alone_opens_a_patient_from_the_inbox(clinic_page: Callable[..., Any]) -> None:
    page = clinic_page(size=DESKTOP)
    page.locator("tr[data-patient]").first.wait_for()
    first = page.locator("tr[data-patient]").first.get_attribute("data-patient")

    reached = None
    for _ in range(40):
        page.keyboard.press("Tab")
        reached = page.evaluate(
            "document.activeElement.classList.contains('patient-link')"
            " ? document.activeElement.closest('tr').dataset.patient : null"
        )
        if reached:
            break
    assert reached == first
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/clinic/#/patients/{first}")


def test_the_keyboard_alone_goes_from_the_inbox_to_a_patient_and_acknowledges_their_alert(
    server: str,
    clinician: httpx.Client,
    new_patient: Callable[..., Patient],
    clinic_page: Callable[..., Any],
) -> None:
    """Triage -> patient -> acknowledge, as a clinician who works without a mouse would."""
    patient, alert_id = raise_alert(server, clinician, new_patient)
    page = clinic_page(size=DESKTOP)
    page.locator("tr[data-patient]").first.wait_for()

    def tab_until(script: str) -> None:
        for _ in range(60):
            page.keyboard.press("Tab")
            if page.evaluate(script):
                return
        raise AssertionError(f"the keyboard never reached {script}")

    tab_until("document.activeElement.id === 'inbox-search'")
    page.keyboard.type(patient.name)
    page.locator(f"tr[data-patient='{patient.id}']").wait_for()
    expect(page.locator("tr[data-patient]")).to_have_count(1)
    tab_until(
        "document.activeElement.classList.contains('patient-link')"
        f" && document.activeElement.closest('tr').dataset.patient === '{patient.id}'"
    )
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/clinic/#/patients/{patient.id}")

    # The patient's one open alert is a link to that alert.
    tab_until(f"document.activeElement.getAttribute('href') === '#/alerts/{alert_id}'")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/clinic/#/alerts/{alert_id}")
    tab_until("document.activeElement.tagName === 'TEXTAREA'")
    page.keyboard.type("Called the patient; safety plan reviewed (keyboard only).")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
    page.keyboard.press("Enter")

    expect(page.get_by_text("Acknowledged. Escalation is stopped.").first).to_be_attached()
    acknowledged = clinician.get(f"/api/alerts/{alert_id}").json()
    assert acknowledged["status"] == "acknowledged"
    assert acknowledged["ack_note"] == "Called the patient; safety plan reviewed (keyboard only)."
