"""Reminders by Web Push: turning them on from an explanation, real reminders, tapping them.

Headless Chromium has no push service, so `PushManager.subscribe()` is stubbed to return the
subscription of a phone on a loopback push service (tests/e2e/push_support.py). The patient turns
reminders on in the app, so the server stores that subscription; a real reminder tick on the
server's database encrypts and signs the reminder and sends it there; the service decrypts it,
and the test hands exactly that plaintext to the page's service worker through the DevTools
Protocol, as the phone's browser would. Tapping a notification is the service worker's
`notificationclick`, dispatched in the worker.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import expect

from fake_push_service import BrowserDevice, Received

from .e2e_support import (
    Patient,
    check_accessibility,
    checkins_on_server,
    enroll_in_browser,
    open_app_enrolled,
    scale_button,
    sign_in,
)
from .push_support import LoopbackPush

NEW_YORK = ZoneInfo("America/New_York")  # the synthetic patients' zone


def push_stub(phone: BrowserDevice) -> str:
    """An init script: subscribe() returns `phone`'s subscription and keeps the server key it was
    given (base64url); permission prompts are counted."""
    subscription = phone.subscription()
    del subscription["device_label"]
    subscription["expirationTime"] = None
    return rf"""
    (() => {{
      const json = {json.dumps(subscription)};
      const subscribed = () => sessionStorage.getItem('e2e-subscribed') === '1';
      const base64url = (key) => btoa(String.fromCharCode(...new Uint8Array(key)))
        .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
      const subscription = {{
        endpoint: json.endpoint,
        expirationTime: null,
        options: {{ userVisibleOnly: true }},
        getKey: () => null,
        toJSON: () => json,
        unsubscribe: async () => {{ sessionStorage.removeItem('e2e-subscribed'); return true; }},
      }};
      if (self.PushManager) {{
        PushManager.prototype.subscribe = async function (options) {{
          sessionStorage.setItem('e2e-server-key', base64url(options.applicationServerKey));
          sessionStorage.setItem('e2e-subscribed', '1');
          return subscription;
        }};
        PushManager.prototype.getSubscription = async function () {{
          return subscribed() ? subscription : null;
        }};
      }}
      if (self.Notification) {{
        const ask = Notification.requestPermission.bind(Notification);
        Notification.requestPermission = (...args) => {{
          sessionStorage.setItem('e2e-prompts', String(Number(sessionStorage.getItem('e2e-prompts') || 0) + 1));
          return ask(...args);
        }};
      }}
    }})();
    """


def a_phone(context: Any, server: str, loopback_push: LoopbackPush) -> BrowserDevice:
    """A phone whose browser subscribes on the loopback push service, notifications allowed."""
    phone = loopback_push.device(f"phone-{uuid.uuid4().hex[:8]}")
    context.grant_permissions(["notifications"], origin=server)
    context.add_init_script(push_stub(phone))
    return phone


def turn_on_reminders(page: Any, label: str) -> None:
    page.get_by_role("link", name="Reminders").click()
    page.get_by_label("Name for this phone").fill(label)
    page.get_by_role("button", name="Turn on reminders on this phone").click()
    expect(page.get_by_text("Reminders are on for this phone.")).to_be_visible()


def a_reminder_in_a_few_minutes(server: str, patient: Patient, which: str) -> dict[str, Any]:
    """Set the patient's schedule (as they could on the Reminders screen) to just `which`
    ("weekly_phq9" or "daily_mood") a few minutes from now; returns the next reminder."""
    soon = (datetime.now(NEW_YORK) + timedelta(minutes=3)).replace(second=0, microsecond=0)
    if soon.hour == 23 and soon.minute > 50:
        soon = (soon + timedelta(minutes=15)).replace(minute=5)  # a full day to send it in
    schedule: dict[str, Any] = {
        "daily_mood_at": None,
        "weekly_phq9": None,
        "weekly_gad7": None,
        "quiet_start": "00:00",  # equal times: no quiet hours
        "quiet_end": "00:00",
        "infusion_nudges": False,
    }
    if which == "weekly_phq9":
        schedule["weekly_phq9"] = {"weekday": soon.weekday(), "at": f"{soon:%H:%M}"}
    else:
        schedule["daily_mood_at"] = f"{soon:%H:%M}"
    api = sign_in(server, patient.email)
    try:
        response = api.put("/api/me/reminders", json=schedule)
    finally:
        api.close()
    assert response.status_code == 200, response.text
    settings = response.json()
    assert settings["push_devices"] == 1
    next_reminder: dict[str, Any] = settings["next_reminder"]
    assert next_reminder["kind"] == which
    assert datetime.fromisoformat(next_reminder["fire_at"]) == soon
    return next_reminder


def sent_by_the_tick(
    loopback_push: LoopbackPush,
    server_environment: dict[str, str],
    phone: BrowserDevice,
    reminder: dict[str, Any],
) -> tuple[Received, str]:
    """Run the real tick just before and just after the reminder is due; what reached `phone`."""
    fire_at = datetime.fromisoformat(reminder["fire_at"])
    loopback_push.tick(server_environment, fire_at - timedelta(seconds=1))
    assert loopback_push.received(phone) == [], "nothing before it is due"
    loopback_push.tick(server_environment, fire_at + timedelta(seconds=5))
    [(message, plaintext)] = loopback_push.received(phone)
    return message, plaintext.decode()


class PushDelivery:
    """Delivers push payloads to the app's service worker through the DevTools Protocol."""

    def __init__(self, context: Any, page: Any, server: str) -> None:
        self.server = server
        self.registrations: dict[str, str] = {}
        self.cdp = context.new_cdp_session(page)
        self.cdp.on(
            "ServiceWorker.workerRegistrationUpdated",
            lambda event: self.registrations.update(
                {r["scopeURL"]: r["registrationId"] for r in event["registrations"]}
            ),
        )
        self.cdp.send("ServiceWorker.enable")

    def deliver(self, page: Any, data: str) -> None:
        for _ in range(50):
            if f"{self.server}/" in self.registrations:
                break
            page.wait_for_timeout(50)
        self.cdp.send(
            "ServiceWorker.deliverPushMessage",
            {
                "origin": self.server,
                "registrationId": self.registrations[f"{self.server}/"],
                "data": data,
            },
        )


def shown_notifications(page: Any, title: str) -> list[Any]:
    """The notifications on screen with this title, once there is at least one."""
    for _ in range(50):
        notifications: list[Any] = page.evaluate(
            """title => navigator.serviceWorker.ready
                .then(r => r.getNotifications())
                .then(ns => ns.filter(n => n.title === title).map(n => ({
                    title: n.title, body: n.body, data: n.data, tag: n.tag,
                    actions: n.actions.map(a => ({action: a.action, title: a.title})),
                })))""",
            title,
        )
        if notifications:
            return notifications
        page.wait_for_timeout(100)
    raise AssertionError(f"no notification {title!r} was shown")


def tap_notification(context: Any, title: str, action: str = "") -> None:
    """What the phone does when the patient taps the notification (or one of its buttons)."""
    worker = next(w for w in context.service_workers if w.url.endswith("/sw.js"))
    worker.evaluate(
        """async ([title, action]) => {
            const [notification] = (await self.registration.getNotifications())
                .filter(n => n.title === title);
            self.dispatchEvent(new NotificationEvent('notificationclick', {notification, action}));
        }""",
        [title, action],
    )


def test_push_turns_on_after_an_explanation_and_a_reminder_from_the_tick_opens_its_check_in(
    context: Any,
    server: str,
    server_environment: dict[str, str],
    loopback_push: LoopbackPush,
    new_patient: Callable[..., Patient],
) -> None:
    phone = a_phone(context, server, loopback_push)
    patient = new_patient()
    page = open_app_enrolled(context, server, patient)

    page.get_by_role("link", name="Reminders").click()
    expect(page.get_by_text("Get reminders on this phone at the times below")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('e2e-prompts')") is None, "no prompt on load"
    check_accessibility(page, "reminders")
    page.get_by_label("Name for this phone").fill("Synthetic test phone")
    page.get_by_role("button", name="Turn on reminders on this phone").click()
    expect(page.get_by_text("Reminders are on for this phone.")).to_be_visible()
    expect(page.get_by_text("Synthetic test phone (this phone)")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('e2e-prompts')") == "1"
    devices = page.evaluate("fetch('/api/push/subscriptions').then(r => r.json())")
    assert [d["device_label"] for d in devices] == ["Synthetic test phone"]

    reminder = a_reminder_in_a_few_minutes(server, patient, "weekly_phq9")
    message, plaintext = sent_by_the_tick(loopback_push, server_environment, phone, reminder)
    assert message.payload["kind"] == "weekly_phq9"
    assert message.payload["url"] == "/#/checkin/phq9"
    assert message.payload["title"] == "Your weekly PHQ-9"
    # Signed with the key the app subscribed with: the server's own VAPID key.
    assert message.vapid_key == page.evaluate("sessionStorage.getItem('e2e-server-key')")

    page.get_by_role("link", name="Today", exact=True).click()
    page.evaluate(
        """() => { window.pushMessages = [];
            navigator.serviceWorker.addEventListener('message', e => window.pushMessages.push(e.data)); }"""
    )
    push = PushDelivery(context, page, server)
    push.deliver(page, plaintext)
    [shown] = shown_notifications(page, "Your weekly PHQ-9")
    assert shown["body"] == "Nine short questions, about 2 minutes."
    assert shown["data"]["url"] == "/#/checkin/phq9"
    assert shown["actions"] == []
    page.wait_for_function("window.pushMessages.some(m => m.type === 'push')")

    tap_notification(context, "Your weekly PHQ-9")
    expect(page).to_have_url(re.compile(r"/#/checkin/phq9$"))
    expect(page.get_by_text("Question 1 of 9")).to_be_visible()

    push.deliver(page, "not json at all")
    shown_notifications(page, "Afterglow")

    page.get_by_role("link", name="Reminders").click()
    page.get_by_role("button", name="Turn off reminders on Synthetic test phone").click()
    expect(page.get_by_role("button", name="Turn on reminders on this phone")).to_be_visible()
    expect(page.get_by_text("Synthetic test phone (this phone)")).to_have_count(0)
    assert page.evaluate("fetch('/api/push/subscriptions').then(r => r.json())") == []


def test_the_mood_reminder_logs_the_mood_from_the_notification_without_opening_the_app(
    context: Any,
    server: str,
    server_environment: dict[str, str],
    loopback_push: LoopbackPush,
    clinician: httpx.Client,
    new_patient: Callable[..., Patient],
) -> None:
    phone = a_phone(context, server, loopback_push)
    patient = new_patient()
    page = open_app_enrolled(context, server, patient)
    turn_on_reminders(page, "Synthetic mood phone")
    reminder = a_reminder_in_a_few_minutes(server, patient, "daily_mood")
    message, plaintext = sent_by_the_tick(loopback_push, server_environment, phone, reminder)
    assert (message.payload["kind"], message.payload["url"]) == ("daily_mood", "/#/checkin/mood")

    # The phone was off for a while: the patient logged a mood before the reminder reached it.
    page.get_by_role("link", name="Today", exact=True).click()
    scale_button(page, 6).click()
    expect(page.get_by_text(re.compile("Saved 6/10 .* Sent to your clinic"))).to_be_visible()
    page.get_by_role("link", name="History").click()

    push = PushDelivery(context, page, server)
    push.deliver(page, plaintext)
    [shown] = shown_notifications(page, "How is your mood today?")
    assert shown["actions"] == [
        {"action": "mood:6", "title": "Same as last time: 6/10"},
        {"action": "open", "title": "Choose another"},
    ]

    tap_notification(context, "How is your mood today?", action="mood:6")

    for _ in range(50):
        moods = checkins_on_server(clinician, patient.id, "mood")
        if len(moods) == 2:
            break
        page.wait_for_timeout(100)
    assert [m["answers"] for m in moods] == [[6], [6]]
    expect(page).to_have_url(re.compile(r"/#/history$"))


def test_on_an_iphone_outside_the_installed_app_it_explains_the_home_screen_first(
    chromium: Any, server: str, new_patient: Callable[..., Patient]
) -> None:
    iphone = chromium.new_context(
        viewport={"width": 390, "height": 844},
        user_agent=(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
        ),
    )
    # Safari outside the Home Screen app has no Push API at all.
    iphone.add_init_script("delete window.PushManager; delete window.Notification;")
    try:
        patient = new_patient()
        page = iphone.new_page()
        enroll_in_browser(page, server, patient)
        page.get_by_role("link", name="Reminders").click()
        expect(
            page.get_by_text("reminders work once Afterglow is on your Home Screen")
        ).to_be_visible()
        expect(page.get_by_text("Choose “Add to Home Screen”, then “Add”.")).to_be_visible()
        expect(page.get_by_role("button", name="Turn on reminders on this phone")).to_have_count(0)
    finally:
        iphone.close()


def test_when_reminders_cannot_be_turned_on_it_says_why(
    chromium: Any, server: str, new_patient: Callable[..., Patient]
) -> None:
    """Not "try again later": notifications blocked (as in a private window), then a push
    service that does not answer."""
    blocked = chromium.new_context(viewport={"width": 390, "height": 844})
    blocked.add_init_script(
        "Object.defineProperty(Notification, 'permission', { get: () => 'denied' });"
        "Notification.requestPermission = async () => 'denied';"
    )
    silent = chromium.new_context(viewport={"width": 390, "height": 844})
    silent.grant_permissions(["notifications"], origin=server)
    silent.add_init_script(
        "PushManager.prototype.getSubscription = async () => null;"
        "PushManager.prototype.subscribe = async () => {"
        "  throw new DOMException('Registration failed - push service error', 'AbortError'); };"
    )
    try:
        page = blocked.new_page()
        enroll_in_browser(page, server, new_patient())
        page.get_by_role("link", name="Reminders").click()
        expect(
            page.get_by_text("Notifications are blocked for Afterglow in this browser")
        ).to_be_visible()
        expect(
            page.get_by_text("In a private (incognito) window they are always blocked")
        ).to_be_visible()
        expect(page.get_by_role("button", name="Turn on reminders on this phone")).to_have_count(0)

        page = silent.new_page()
        enroll_in_browser(page, server, new_patient())
        page.get_by_role("link", name="Reminders").click()
        page.get_by_role("button", name="Turn on reminders on this phone").click()
        expect(page.get_by_role("alert")).to_contain_text(
            "This browser's notification service did not answer"
        )
        assert "try again later" not in page.locator("main").inner_text().lower()
        check_accessibility(page, "reminders, push refused")
    finally:
        blocked.close()
        silent.close()
