"""Reminders by Web Push: turning them on from an explanation, showing pushes, tapping them.

Headless Chromium has no push service, so `PushManager.subscribe()` is stubbed with a test
subscription, and pushes are delivered to the service worker through the DevTools Protocol.
Tapping a notification is the service worker's `notificationclick`, dispatched in the worker.
"""

from __future__ import annotations

import base64
import json
import os
import re
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from playwright.sync_api import expect

from .e2e_support import (
    Patient,
    check_accessibility,
    checkins_on_server,
    enroll_in_browser,
    open_app_enrolled,
    scale_button,
)


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def push_stub() -> str:
    """An init script: subscribe() returns a test subscription; permission prompts are counted."""
    public = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    subscription = {
        "endpoint": f"https://fcm.googleapis.com/fcm/send/e2e-{uuid.uuid4().hex}",
        "expirationTime": None,
        "keys": {"p256dh": b64url(public), "auth": b64url(os.urandom(16))},
    }
    return f"""
    (() => {{
      const json = {json.dumps(subscription)};
      const subscribed = () => sessionStorage.getItem('e2e-subscribed') === '1';
      const subscription = {{
        endpoint: json.endpoint,
        expirationTime: null,
        options: {{ userVisibleOnly: true }},
        getKey: () => null,
        toJSON: () => json,
        unsubscribe: async () => {{ sessionStorage.removeItem('e2e-subscribed'); return true; }},
      }};
      if (self.PushManager) {{
        PushManager.prototype.subscribe = async function () {{
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


def test_push_turns_on_after_an_explanation_shows_reminders_and_opens_the_right_screen(
    context: Any, server: str, new_patient: Callable[..., Patient]
) -> None:
    context.grant_permissions(["notifications"], origin=server)
    context.add_init_script(push_stub())
    patient = new_patient()
    page = open_app_enrolled(context, server, patient)

    page.get_by_role("link", name="Reminders").click()
    expect(page.get_by_text("Afterglow can remind you on this phone")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('e2e-prompts')") is None, "no prompt on load"
    check_accessibility(page, "reminders")
    page.get_by_label("Name for this phone").fill("Synthetic test phone")
    page.get_by_role("button", name="Turn on reminders on this phone").click()
    expect(page.get_by_text("Reminders are on for this phone.")).to_be_visible()
    expect(page.get_by_text("Synthetic test phone (this phone)")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('e2e-prompts')") == "1"
    devices = page.evaluate("fetch('/api/push/subscriptions').then(r => r.json())")
    assert [d["device_label"] for d in devices] == ["Synthetic test phone"]

    page.get_by_role("link", name="Today", exact=True).click()
    page.evaluate(
        """() => { window.pushMessages = [];
            navigator.serviceWorker.addEventListener('message', e => window.pushMessages.push(e.data)); }"""
    )
    push = PushDelivery(context, page, server)
    push.deliver(
        page,
        json.dumps(
            {
                "title": "Your weekly PHQ-9",
                "body": "Two minutes, nine questions.",
                "url": "/#/checkin/phq9",
                "kind": "weekly_phq9",
                "tag": "weekly_phq9-e2e",
                "lang": "en",
            }
        ),
    )
    [shown] = shown_notifications(page, "Your weekly PHQ-9")
    assert shown["body"] == "Two minutes, nine questions."
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
    expect(page.get_by_text("No devices get reminders yet.")).to_be_visible()
    assert page.evaluate("fetch('/api/push/subscriptions').then(r => r.json())") == []


def test_the_mood_reminder_logs_the_mood_from_the_notification_without_opening_the_app(
    context: Any, server: str, clinician: httpx.Client, new_patient: Callable[..., Patient]
) -> None:
    context.grant_permissions(["notifications"], origin=server)
    patient = new_patient()
    page = open_app_enrolled(context, server, patient)
    scale_button(page, 6).click()
    expect(page.get_by_text(re.compile("Saved 6/10 .* Sent to your clinic"))).to_be_visible()
    page.get_by_role("link", name="History").click()

    push = PushDelivery(context, page, server)
    push.deliver(
        page,
        json.dumps(
            {
                "title": "How is your mood today?",
                "body": "One tap is enough.",
                "url": "/#/checkin/mood",
                "kind": "daily_mood",
                "tag": "daily_mood-e2e",
                "lang": "en",
            }
        ),
    )
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
