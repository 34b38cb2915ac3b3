"""What reminder notifications say: every kind, in English and Spanish, small, and discreet."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from afterglow.catalogue import catalogue
from afterglow.reminders.messages import language_of, reminder_payload
from afterglow.reminders.schedule import URL, InfusionAnchor, ReminderKind, Slot


@pytest.mark.parametrize("locale", ["en-US", "es-MX"])
@pytest.mark.parametrize("kind", list(ReminderKind))
def test_every_reminder_has_a_short_discreet_text_in_each_language(
    kind: ReminderKind, locale: str
) -> None:
    infusion = InfusionAnchor(7, datetime(2026, 11, 20, 15, 0, tzinfo=UTC))
    slot = Slot(
        kind,
        date(2026, 11, 23),
        datetime(2026, 11, 24, 1, 0, tzinfo=UTC),
        datetime(2026, 11, 24, 5, 0, tzinfo=UTC),
        "mood:2026-11-23",
        URL[kind],
        infusion,
    )
    payload = reminder_payload(slot, locale, "America/New_York")
    encoded = json.dumps(payload).encode()
    assert len(encoded) < 1024  # Web Push allows 4 KB; lock screens show a line or two
    assert payload["url"] == URL[kind] and payload["kind"] == kind.value
    assert "{" not in payload["body"]
    for word in ("score", "depress", "suicid", "waning"):
        assert word not in (payload["title"] + payload["body"]).lower()


def test_post_infusion_reminders_count_days_in_the_patients_calendar() -> None:
    # Given at 22:00 on the 20th in New York (03:00 UTC on the 21st): the 23rd is day 3.
    infusion = InfusionAnchor(1, datetime(2026, 11, 21, 3, 0, tzinfo=UTC))
    slot = Slot(
        ReminderKind.POST_INFUSION_MOOD,
        date(2026, 11, 23),
        datetime(2026, 11, 24, 1, 0, tzinfo=UTC),
        datetime(2026, 11, 24, 5, 0, tzinfo=UTC),
        "mood:2026-11-23",
        URL[ReminderKind.POST_INFUSION_MOOD],
        infusion,
    )
    assert "Day 3 after" in reminder_payload(slot, "en-US", "America/New_York")["body"]


def test_unknown_languages_fall_back_to_english() -> None:
    assert [language_of(x) for x in ("es", "es-419", "fr-CA", "EN-gb")] == ["es", "es", "en", "en"]


def test_reminders_say_the_catalogues_words_in_the_patients_language_else_english() -> None:
    slot = Slot(
        ReminderKind.DAILY_MOOD,
        date(2026, 11, 23),
        datetime(2026, 11, 24, 1, 0, tzinfo=UTC),
        datetime(2026, 11, 24, 5, 0, tzinfo=UTC),
        "mood:2026-11-23",
        URL[ReminderKind.DAILY_MOOD],
        None,
    )
    strings = catalogue().strings

    for locale, lang in (("es-MX", "es"), ("en-US", "en"), ("fr-CA", "en")):
        payload = reminder_payload(slot, locale, "America/New_York")
        assert (payload["title"], payload["body"], payload["lang"]) == (
            strings[lang]["notification.daily_mood.title"],
            strings[lang]["notification.daily_mood.body"],
            lang,
        )
