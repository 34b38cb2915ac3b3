"""Afterglow's own words for patients: one catalogue, read by the server and the app alike.

The catalogue is the patient app's `pwa/app/i18n/<lang>.json` (flat keys, plural forms as
`key.one` and `key.other`, `{name}` placeholders). The app imports those files (its service
worker precaches them); the server reads the same files here, for reminder pushes and the crisis
message of a check-in. Spanish speaks to the patient as "usted", as the published Spanish PHQ-9
and GAD-7 do. The instruments' own wording is not here: it comes from the instrument registry.

A text a language lacks falls back to English whole: a push's title and body come from one
language, and the crisis screen is all in the patient's language or all in English.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from afterglow.accounts.clinic_settings import (
    NOT_EMERGENCY_CARE,
    US_CRISIS_RESOURCES,
    ClinicSettings,
    CrisisResource,
)
from afterglow.settings import DEFAULT_PWA_DIR

ENGLISH = "en"
# Every word of the crisis screen: a language has all of these (reviewed) or none.
CRISIS_PREFIX = "crisis."
# The clinic-settings defaults (CLINICAL.md §5) and the catalogue keys that word them.
DEFAULT_RESOURCE_KEYS = dict(
    zip(
        US_CRISIS_RESOURCES,
        (
            "crisis.default_call",
            "crisis.default_text",
            "crisis.default_chat",
            "crisis.default_veterans",
            "crisis.default_emergency",
        ),
        strict=True,
    )
)
# Texts only staff read (safety alert escalations); staff have no language setting.
ENGLISH_ONLY = frozenset(
    {
        "notification.alert_escalation.title",
        "notification.alert_escalation.title_urgent",
        "notification.alert_escalation.body",
    }
)


def fill(text: str, **params: object) -> str:
    """`{name}` placeholders filled as the app fills them; unknown ones stay as they are."""
    return re.sub(
        r"\{(\w+)\}",
        lambda m: str(params[m.group(1)]) if m.group(1) in params else m.group(0),
        text,
    )


@dataclass(frozen=True)
class CrisisWords:
    """What the crisis screen says that is Afterglow's own or the clinic's, in one language."""

    lang: str
    message: str
    resources: tuple[CrisisResource, ...]
    not_emergency_care: str


@dataclass(frozen=True)
class Catalogue:
    strings: dict[str, dict[str, str]]

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted(self.strings))

    def language_of(self, locale: str | None) -> str:
        """`es-MX` -> `es` when there is a Spanish catalogue; English otherwise (as the app)."""
        base = re.split(r"[-_]", (locale or "").lower())[0]
        return base if base in self.strings else ENGLISH

    def texts(self, lang: str, *keys: str) -> tuple[str, tuple[str, ...]]:
        """The language used and the texts: all from `lang` when it has every one, else all
        from English (never half-translated)."""
        strings = self.strings.get(lang, {})
        if not all(key in strings for key in keys):
            lang, strings = ENGLISH, self.strings[ENGLISH]
        return lang, tuple(strings[key] for key in keys)

    def crisis_language(self, lang: str) -> str:
        """`lang` when its catalogue has the whole crisis text, else English."""
        english = self.strings[ENGLISH]
        strings = self.strings.get(lang, {})
        complete = all(key in strings for key in english if key.startswith(CRISIS_PREFIX))
        return lang if complete else ENGLISH

    def crisis_words(self, locale: str, settings: ClinicSettings) -> CrisisWords:
        """The crisis message, resources and not-emergency statement for a patient. Afterglow's
        defaults are worded from the catalogue; what a clinic wrote itself is kept as written."""
        lang = self.crisis_language(self.language_of(locale))
        strings = self.strings[lang]
        resources = tuple(
            CrisisResource(strings[DEFAULT_RESOURCE_KEYS[r]], r.contact, r.kind)
            if r in DEFAULT_RESOURCE_KEYS
            else r
            for r in settings.crisis_resources_for(locale)
        )
        if settings.clinic_phone:
            # The clinic's own number, before "immediate danger: call 911" (which stays last).
            label = fill(strings["crisis.clinic_phone"], phone=settings.clinic_phone)
            clinic = CrisisResource(label, settings.clinic_phone, "phone")
            emergency = [r for r in resources if r.kind == "emergency"]
            resources = (
                *(r for r in resources if r.kind != "emergency"),
                clinic,
                *emergency,
            )
        notice = settings.not_emergency_notice
        if notice == NOT_EMERGENCY_CARE:
            notice = strings["crisis.not_emergency"]
        return CrisisWords(lang, strings["crisis.message"], resources, notice)


def catalogue_dir() -> Path:
    """The app's catalogue folder: under AFTERGLOW_PWA_DIR, as the server serves the app."""
    pwa = os.environ.get("AFTERGLOW_PWA_DIR")
    return (Path(pwa).resolve() if pwa else DEFAULT_PWA_DIR) / "app" / "i18n"


def load_catalogue(directory: Path) -> Catalogue:
    """Every `<lang>.json` in `directory`; English must be there (it is the fallback)."""
    strings: dict[str, dict[str, str]] = {}
    for path in sorted(directory.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise ValueError(f"{path}: a catalogue is one JSON object of strings")
        strings[path.stem] = data
    if ENGLISH not in strings:
        raise FileNotFoundError(f"{directory / 'en.json'} is missing")
    return Catalogue(strings)


@cache
def catalogue() -> Catalogue:
    """The catalogue, read once per process."""
    return load_catalogue(catalogue_dir())
