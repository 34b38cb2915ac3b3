"""What a reminder notification says, in the patient's language.

Notifications show on a lock screen: they name the check-in, never a score, a diagnosis or why
the care team asks.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from afterglow.reminders.schedule import INSTRUMENT, ReminderKind, Slot

LANGUAGES = ("en", "es")

_TEXT: dict[str, dict[ReminderKind, tuple[str, str]]] = {
    "en": {
        ReminderKind.DAILY_MOOD: (
            "How is your mood today?",
            "Tap to log it: it takes a few seconds.",
        ),
        ReminderKind.POST_INFUSION_MOOD: (
            "How are you feeling today?",
            "Day {day} after your infusion: tap to log your mood.",
        ),
        ReminderKind.WEEKLY_PHQ9: ("Your weekly PHQ-9", "Nine short questions, about 2 minutes."),
        ReminderKind.WEEKLY_GAD7: ("Your weekly GAD-7", "Seven short questions, about 2 minutes."),
        ReminderKind.AFTER_2H: (
            "How are you after your infusion?",
            "A quick check on how you feel now.",
        ),
        ReminderKind.AFTER_24H: (
            "One day after your infusion",
            "A quick check on how you feel today.",
        ),
        ReminderKind.PHQ9_DAY7: (
            "One week since your infusion",
            "Please take the PHQ-9: nine short questions.",
        ),
        ReminderKind.PHQ9_DAY14: (
            "Two weeks since your infusion",
            "Please take the PHQ-9: nine short questions.",
        ),
        ReminderKind.WANING_PHQ9: (
            "A PHQ-9 check-in, please",
            "Your care team would like an update: nine short questions.",
        ),
    },
    "es": {
        ReminderKind.DAILY_MOOD: (
            "¿Cómo está su ánimo hoy?",
            "Toque para registrarlo: solo lleva unos segundos.",
        ),
        ReminderKind.POST_INFUSION_MOOD: (
            "¿Cómo se siente hoy?",
            "Día {day} después de su infusión: toque para registrar su ánimo.",
        ),
        ReminderKind.WEEKLY_PHQ9: (
            "Su PHQ-9 semanal",
            "Nueve preguntas breves, unos 2 minutos.",
        ),
        ReminderKind.WEEKLY_GAD7: (
            "Su GAD-7 semanal",
            "Siete preguntas breves, unos 2 minutos.",
        ),
        ReminderKind.AFTER_2H: (
            "¿Cómo está después de su infusión?",
            "Una revisión rápida de cómo se siente ahora.",
        ),
        ReminderKind.AFTER_24H: (
            "Un día después de su infusión",
            "Una revisión rápida de cómo se siente hoy.",
        ),
        ReminderKind.PHQ9_DAY7: (
            "Una semana desde su infusión",
            "Por favor, responda el PHQ-9: nueve preguntas breves.",
        ),
        ReminderKind.PHQ9_DAY14: (
            "Dos semanas desde su infusión",
            "Por favor, responda el PHQ-9: nueve preguntas breves.",
        ),
        ReminderKind.WANING_PHQ9: (
            "Un PHQ-9, por favor",
            "Su equipo de atención quiere saber cómo está: nueve preguntas breves.",
        ),
    },
}


def language_of(locale: str) -> str:
    """The notification language for a patient locale such as `es-MX`; English otherwise."""
    language = locale.split("-")[0].lower()
    return language if language in LANGUAGES else "en"


def reminder_payload(slot: Slot, locale: str, timezone: str) -> dict[str, Any]:
    """The JSON the service worker receives: what to show, and the screen a tap opens."""
    lang = language_of(locale)
    title, body = _TEXT[lang][slot.kind]
    if slot.infusion is not None:
        infusion_day = slot.infusion.given_at.astimezone(ZoneInfo(timezone)).date()
        body = body.format(day=(slot.local_date - infusion_day).days)
    return {
        "title": title,
        "body": body,
        "url": slot.url,
        "kind": slot.kind.value,
        "tag": reminder_topic(slot),
        "lang": lang,
    }


def reminder_topic(slot: Slot) -> str:
    """The Web Push Topic: a newer reminder for the same check-in replaces an unread older one."""
    return INSTRUMENT[slot.kind]
