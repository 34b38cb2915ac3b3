"""The service worker's CSRF token follows a new sign-in, so the outbox it replays still arrives.

The token belongs to the session (a new one at every sign-in). The service worker reads the
cookie where it can (Chromium's cookieStore); Safari and Firefox give a service worker no
cookie access, so it keeps a copy, which may be from before the sign-in. These tests take
cookieStore away from the worker to be that browser.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from playwright.sync_api import expect

from .e2e_support import (
    PASSWORD,
    Patient,
    checkins_on_server,
    open_app_enrolled,
    scale_button,
)

WITHOUT_COOKIE_ACCESS = """() => {
    Object.defineProperty(self, 'cookieStore', { value: undefined, configurable: true });
}"""


def service_worker(context: Any, server: str) -> Any:
    [worker] = [w for w in context.service_workers if w.url.startswith(f"{server}/sw.js")]
    return worker


def sign_out_and_in_again(page: Any, patient: Patient) -> None:
    page.get_by_role("link", name="Account").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    page.get_by_label("Email").fill(patient.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Today", level=1)).to_be_visible()


def leave_a_check_in_waiting(context: Any, page: Any) -> None:
    """A mood logged offline and the app closed: only the worker is left to send it."""
    context.set_offline(True)
    scale_button(page, 7).click()
    expect(page.get_by_text("1 check-in waiting to send")).to_be_visible()
    page.close()


def back_online_the_worker_sends(context: Any, worker: Any) -> None:
    """Online again: Background Sync starts the worker's replay; flush once more to wait for it."""
    context.set_offline(False)
    worker.evaluate("() => self.AfterglowOutbox.flush()")


def test_after_a_new_sign_in_the_service_worker_replays_the_outbox_with_the_new_token(
    context: Any, server: str, clinician: httpx.Client, new_patient: Callable[..., Patient]
) -> None:
    patient = new_patient()
    page = open_app_enrolled(context, server, patient)
    worker = service_worker(context, server)
    worker.evaluate(WITHOUT_COOKIE_ACCESS)
    first_token = worker.evaluate("() => self.AfterglowOutbox.getState('csrf')")

    sign_out_and_in_again(page, patient)
    leave_a_check_in_waiting(context, page)
    back_online_the_worker_sends(context, worker)

    assert [m["answers"] for m in checkins_on_server(clinician, patient.id, "mood")] == [[7]]
    assert worker.evaluate("() => self.AfterglowOutbox.getState('csrf')") != first_token


def test_a_service_worker_holding_a_token_from_before_the_sign_in_gets_the_new_one(
    context: Any, server: str, clinician: httpx.Client, new_patient: Callable[..., Patient]
) -> None:
    patient = new_patient()
    page = open_app_enrolled(context, server, patient)
    worker = service_worker(context, server)
    worker.evaluate(WITHOUT_COOKIE_ACCESS)
    before_sign_in = worker.evaluate("() => self.AfterglowOutbox.getState('csrf')")

    sign_out_and_in_again(page, patient)
    leave_a_check_in_waiting(context, page)
    # As if the app had not run since the sign-in: the worker's copy is the old session's.
    worker.evaluate(f"() => self.AfterglowOutbox.setState('csrf', {before_sign_in!r})")
    back_online_the_worker_sends(context, worker)

    assert [m["answers"] for m in checkins_on_server(clinician, patient.id, "mood")] == [[7]]
