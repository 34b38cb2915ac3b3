"""Alerts that reach someone, in Chromium: a clinician turns on notifications in the workspace
(the loopback push service stands in for the browser's), gets a test and then an escalation
from the real tick, whose click opens the alert in the workspace; acknowledges it with a note;
a clinician without a device gets the escalation by email (a real SMTP server, aiosmtpd) with a
link that opens the alert; an escalation that reached nobody heads the inbox.
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from afterglow.settings import Settings
from fake_smtp_server import FakeSmtpServer

from ..e2e_support import Patient, enrolled_patient_client
from ..push_support import LoopbackPush
from ..test_app_push import push_stub, shown_notifications
from .clinic_support import BOTH, make_staff

ITEM9_TWO = [2, 2, 2, 1, 1, 2, 1, 1, 2]


@pytest.fixture(scope="module")
def smtp() -> Iterator[FakeSmtpServer]:
    server = FakeSmtpServer().start()
    yield server
    server.stop()


def raise_alert(
    server: str, clinician: httpx.Client, new_patient: Callable[..., Patient]
) -> tuple[Patient, int]:
    """A new patient answers PHQ-9 item 9 with 2: an urgent alert, escalating in an hour."""
    patient = new_patient()
    client = enrolled_patient_client(server, patient)
    answered = client.post(
        "/api/checkins",
        json={"instrument": "phq9", "answers": ITEM9_TWO},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    client.close()
    assert answered.status_code == 201, answered.text
    alerts = clinician.get("/api/alerts", params={"patient_id": patient.id}).json()
    return patient, alerts[0]["id"]


def escalation_time() -> datetime:
    return datetime.now(UTC) + timedelta(hours=1, seconds=5)


def deliver_to_workspace(page: Any, server: str, data: str) -> None:
    """Hand a push's plaintext to the workspace's service worker, as the browser would
    (DevTools Protocol: the registration of scope /clinic/)."""
    registrations: dict[str, str] = {}
    cdp = page.context.new_cdp_session(page)
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.update(
            {r["scopeURL"]: r["registrationId"] for r in event["registrations"]}
        ),
    )
    cdp.send("ServiceWorker.enable")
    scope = f"{server}/clinic/"
    for _ in range(50):
        if scope in registrations:
            break
        page.wait_for_timeout(50)
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": server, "registrationId": registrations[scope], "data": data},
    )


def tap(context: Any, title: str) -> None:
    """Click the notification, as the clinician would, in the workspace's service worker."""
    worker = next(w for w in context.service_workers if w.url.endswith("/clinic/sw.js"))
    worker.evaluate(
        """async (title) => {
            const [notification] = (await self.registration.getNotifications())
                .filter(n => n.title === title);
            self.dispatchEvent(new NotificationEvent('notificationclick', {notification}));
        }""",
        title,
    )


def test_notifications_on_in_the_workspace_an_escalation_opens_the_alert_and_it_is_acknowledged(
    clinic_page: Callable[..., Any],
    check_screen: Callable[..., Any],
    server: str,
    server_environment: dict[str, str],
    clinician: httpx.Client,
    new_patient: Callable[..., Patient],
    loopback_push: LoopbackPush,
) -> None:
    email = f"alerts-{uuid.uuid4().hex[:6]}@e2e.test"
    make_staff(server, email, "Dr Alerts Synthetic").close()
    page = clinic_page(email=email, hash="#/alerts")
    laptop = loopback_push.device(f"laptop-{uuid.uuid4().hex[:6]}")
    page.context.grant_permissions(["notifications"], origin=server)
    page.context.add_init_script(push_stub(laptop))
    page.goto(f"{server}/clinic/#/notifications")
    page.reload()

    page.get_by_label("Name for this device").fill("Clinic laptop")
    page.get_by_role("button", name="Turn on notifications on this device").click()
    expect(page.get_by_text("Notifications are on for this device.").first).to_be_visible()
    expect(page.get_by_text("(this device)")).to_be_visible()
    page.get_by_role("button", name="Send a test notification").click()
    expect(page.get_by_text("A test notification is on its way")).to_be_visible()
    check_screen(page, "notifications", sizes=BOTH)
    loopback_push.tick(server_environment, datetime.now(UTC) + timedelta(seconds=2))
    [(test, _)] = loopback_push.received(laptop)
    assert test.payload["url"] == "/clinic/#/notifications"

    patient, alert_id = raise_alert(server, clinician, new_patient)
    loopback_push.tick(server_environment, escalation_time())
    escalation, plaintext = loopback_push.received(laptop)[-1]
    assert escalation.payload["kind"] == "alert_escalation"
    assert escalation.payload["url"] == f"/clinic/#/alerts/{alert_id}"
    assert patient.name not in plaintext.decode()

    deliver_to_workspace(page, server, plaintext.decode())
    [shown] = shown_notifications(page, "Urgent safety alert waiting")
    assert shown["data"]["url"] == f"/clinic/#/alerts/{alert_id}"
    tap(page.context, "Urgent safety alert waiting")
    expect(page).to_have_url(re.compile(rf"/clinic/#/alerts/{alert_id}$"))
    expect(page.get_by_role("heading", name=f"Safety alert: {patient.name}")).to_be_visible()
    history = page.get_by_role("region", name="Notifications and emails sent about this alert")
    expect(
        history.get_by_role("row", name=re.compile("Dr Alerts Synthetic Notification Delivered"))
    ).to_be_visible()
    check_screen(page, "alert", sizes=BOTH)

    page.get_by_label("What did you do?").fill(
        "Called the patient; safety plan reviewed; seen tomorrow."
    )
    page.get_by_role("button", name=f"Acknowledge the alert for {patient.name}").click()
    expect(
        page.get_by_role("status").filter(has_text="Acknowledged. Escalation is stopped.")
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Acknowledged by Dr Alerts Synthetic")).to_be_visible()

    page.get_by_role("link", name="All alerts").click()
    closed = page.get_by_role("region", name=re.compile("^Acknowledged"))
    expect(
        closed.get_by_text("Called the patient; safety plan reviewed; seen tomorrow.")
    ).to_be_visible()
    check_screen(page, "alerts", sizes=BOTH)

    # Off again, so the later tests' escalations go to this clinician by email.
    page.goto(f"{server}/clinic/#/notifications")
    page.get_by_role("button", name="Turn off notifications on Clinic laptop").click()
    expect(page.get_by_text("No device of yours has notifications on yet.")).to_be_visible()


def test_a_clinician_without_a_device_gets_the_escalation_by_email_and_one_that_reached_nobody_heads_the_inbox(
    clinic_page: Callable[..., Any],
    check_screen: Callable[..., Any],
    server: str,
    server_environment: dict[str, str],
    clinician: httpx.Client,
    new_patient: Callable[..., Patient],
    loopback_push: LoopbackPush,
    smtp: FakeSmtpServer,
) -> None:
    email = f"mail-{uuid.uuid4().hex[:6]}@e2e.test"
    make_staff(server, email, "Dr Mail Synthetic").close()
    # This server has no email set up: the escalation reaches nobody (a device another test of
    # this module turned on for a clinician would take it, so those are marked broken first).
    with sqlite3.connect(
        Settings.from_env(server_environment).database_url.split("///", 1)[1]
    ) as db:
        db.execute("UPDATE push_subscription SET broken_at = CURRENT_TIMESTAMP")
    unreached, unreached_id = raise_alert(server, clinician, new_patient)
    loopback_push.tick(server_environment, escalation_time())
    # With email set up (AFTERGLOW_SMTP_* pointing at the test's SMTP server) it reaches everyone.
    patient, alert_id = raise_alert(server, clinician, new_patient)
    loopback_push.tick({**server_environment, **smtp.env()}, escalation_time())

    [mail] = [m for m in smtp.to(email) if f"/clinic/#/alerts/{alert_id}" in m.body]
    assert mail.subject == "Urgent: a safety alert is waiting in Afterglow"
    assert patient.name not in mail.raw.decode() and patient.email not in mail.raw.decode()
    link = re.search(r"http://\S+/clinic/#/alerts/\d+", mail.body)
    assert link is not None and link.group(0) == f"{server}/clinic/#/alerts/{alert_id}"

    page = clinic_page(email=email, hash=f"#/alerts/{alert_id}")
    expect(page.get_by_role("heading", name=f"Safety alert: {patient.name}")).to_be_visible()
    history = page.get_by_role("region", name="Notifications and emails sent about this alert")
    expect(
        history.get_by_role("row", name=re.compile("Dr Mail Synthetic Email Delivered"))
    ).to_be_visible()

    page.get_by_role("link", name="All alerts").click()
    top = page.get_by_role("region", name="Escalations that reached nobody")
    expect(top.get_by_role("link", name=f"Open the alert for {unreached.name}")).to_be_visible()
    expect(top.get_by_text("Not delivered").first).to_be_visible()
    assert page.locator("main h2").first.inner_text() == "Escalations that reached nobody"
    check_screen(page, "alerts-not-delivered", sizes=BOTH)
    top.get_by_role("link", name=f"Open the alert for {unreached.name}").click()
    expect(page.get_by_role("cell", name=re.compile("AFTERGLOW_SMTP_HOST")).first).to_be_visible()
    assert unreached_id != alert_id


def test_an_admin_names_the_on_call_clinician_and_the_clinic_phone_patients_see(
    clinic_page: Callable[..., Any], clinic_admin: httpx.Client, server: str
) -> None:
    email = f"oncall-{uuid.uuid4().hex[:6]}@e2e.test"
    make_staff(server, email, "Dr On Call Synthetic").close()
    page = clinic_page("admin", hash="#/admin/settings")
    page.get_by_label("On-call clinician").select_option(label=f"Dr On Call Synthetic ({email})")
    phone = page.get_by_label("Clinic phone number for patients")
    phone.fill("call the front desk")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text(re.compile("give a number patients can dial")).first).to_be_visible()
    phone.fill("+1 555 010 0199")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    stored = clinic_admin.get("/api/clinic/settings").json()
    staff = {s["email"]: s["id"] for s in clinic_admin.get("/api/staff/").json()}
    assert (stored["on_call_user_id"], stored["clinic_phone"]) == (staff[email], "+1 555 010 0199")
    # Back to none, so that other tests' crisis screens stay as they were.
    page.get_by_label("On-call clinician").select_option(value="")
    phone.fill("")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    assert clinic_admin.get("/api/clinic/settings").json()["clinic_phone"] is None
