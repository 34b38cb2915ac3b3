"""Afterglow's own words for patients: one catalogue, read by the server and the app alike.

The catalogue is the patient app's `pwa/app/i18n/<lang>.json` (flat keys, plural forms as
`key.one` and `key.other`, `{name}` placeholders). The app imports those files (its service
worker precaches them); the server reads the same files here, for reminder pushes and the crisis
screen (`afterglow.crisis`). Spanish speaks to the patient as "usted", as the published Spanish PHQ-9
and GAD-7 do. The instruments' own wording is not here: it comes from the instrument registry.

A text a language lacks falls back to English whole: a push's title and body come from one
language, and the crisis screen is all in the patient's language (once reviewed:
`afterglow.crisis.reviews`) or all in English.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from afterglow.settings import DEFAULT_PWA_DIR

ENGLISH = "en"
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
