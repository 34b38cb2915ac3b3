"""Every string the patient app shows is in each shipped language, with the same placeholders."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from afterglow.catalogue import ENGLISH_ONLY

PWA = Path(__file__).resolve().parents[2] / "pwa"
LANGUAGES = ("en", "es")
# Keys the code builds from data: the key prefix and every value it can take.
BUILT_KEYS = {
    "history.": ("mood_title", "phq9_title", "gad7_title"),
    "history.standing_silent_": ("mood", "phq9"),
    "history.change_": ("better_baseline", "worse_baseline", "worse_nadir"),
    "push.why_": ("private", "unsupported"),
    "reminders.kind_": (
        "daily_mood",
        "post_infusion_mood",
        "weekly_phq9",
        "weekly_gad7",
        "after_2h",
        "after_24h",
        "phq9_day7",
        "phq9_day14",
        "waning_phq9",
        "confirm_phq9",
        "nadir_phq9",
        "alert_escalation",
        "journal",
    ),
    "journal.prompt.": ("stood_out", "day_after", "carry_forward", "text"),
    "reminders.extra_why_": ("waning_phq9", "confirm_phq9", "nadir_phq9"),
    "band.": ("minimal", "mild", "moderate", "moderately_severe", "severe"),
    "instrument.": ("mood", "pain", "phq9", "gad7", "after"),
}


def catalogue(lang: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((PWA / "app" / "i18n" / f"{lang}.json").read_text())
    return data


def keys_used_in_code() -> set[str]:
    used: set[str] = set()
    for path in [*(PWA / "app").rglob("*.js"), PWA / "sw.js"]:
        text = path.read_text()
        used |= set(re.findall(r"""\bt(?:Crisis)?\(\s*'([a-z0-9_.]+)'""", text))
        used |= set(re.findall(r"""catalogue\['([a-z0-9_.]+)'\]""", text))
        used |= {f"nav.{name}" for name in re.findall(r"'nav\.([a-z]+)'", text)}
    for prefix, values in BUILT_KEYS.items():
        used |= {prefix + value for value in values}
    return used


def resolves(key: str, strings: dict[str, str]) -> bool:
    """A key is there as itself, or as plural forms (key.one and key.other)."""
    return key in strings or {f"{key}.one", f"{key}.other"} <= strings.keys()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_string_the_code_asks_for_is_in_the_catalogue(lang: str) -> None:
    strings = catalogue(lang)

    missing = sorted(k for k in keys_used_in_code() if not resolves(k, strings))

    assert missing == []


def test_the_languages_have_the_same_keys_and_placeholders() -> None:
    english, spanish = catalogue("en"), catalogue("es")

    assert english.keys() - ENGLISH_ONLY == spanish.keys()
    for key, text in spanish.items():
        placeholders = set(re.findall(r"\{(\w+)\}", text))
        assert placeholders == set(re.findall(r"\{(\w+)\}", english[key])), key


def test_no_text_is_left_in_the_html_shell() -> None:
    """The shell has no words of its own: everything a patient reads comes from a catalogue."""
    page = (PWA / "index.html").read_text()
    body = page.split("<body>", 1)[1]

    assert re.sub(r"<[^>]+>", "", body).strip() == ""
