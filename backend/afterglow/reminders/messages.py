"""What a reminder notification says, in the patient's language, from the catalogue.

Notifications show on a lock screen: they name the check-in, never a score, a diagnosis or why
the care team asks.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from afterglow.catalogue import catalogue, fill
from afterglow.reminders.schedule import INSTRUMENT, Slot


def language_of(locale: str) -> str:
    """The notification language for a patient locale such as `es-MX`; English otherwise."""
    return catalogue().language_of(locale)


def reminder_payload(slot: Slot, locale: str, timezone: str) -> dict[str, Any]:
    """The JSON the service worker receives: what to show, and the screen a tap opens. The
    words are the catalogue's (`notification.<kind>.title` and `.body`), title and body in the
    patient's language, or both in English where that language has no text for this reminder."""
    kind = slot.kind.value
    lang, (title, body) = catalogue().texts(
        language_of(locale), f"notification.{kind}.title", f"notification.{kind}.body"
    )
    if slot.infusion is not None:
        infusion_day = slot.infusion.given_at.astimezone(ZoneInfo(timezone)).date()
        body = fill(body, day=(slot.local_date - infusion_day).days)
    return {
        "title": title,
        "body": body,
        "url": slot.url,
        "kind": kind,
        "tag": reminder_topic(slot),
        "lang": lang,
    }


def reminder_topic(slot: Slot) -> str:
    """The Web Push Topic: a newer reminder for the same check-in replaces an unread older one."""
    return INSTRUMENT[slot.kind]
