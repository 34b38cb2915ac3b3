"""Afterglow's own crisis lists by country (CLINICAL.md §5), which a clinic's own lists replace
country by country. Words are the catalogue's (`key`, `{number}` filled with the contact)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["phone", "text", "chat", "emergency", "other"]
EMERGENCY = "crisis.emergency"


@dataclass(frozen=True)
class BuiltInResource:
    """A line of Afterglow's own list: its words are the catalogue's `key`, `{number}` filled."""

    key: str
    contact: str
    kind: Kind


BUILT_IN: dict[str, tuple[BuiltInResource, ...]] = {
    "US": (
        BuiltInResource("crisis.us.call", "988", "phone"),
        BuiltInResource("crisis.us.text", "988", "text"),
        BuiltInResource("crisis.us.chat", "https://988lifeline.org", "chat"),
        BuiltInResource("crisis.us.veterans", "988", "phone"),
        BuiltInResource(EMERGENCY, "911", "emergency"),
    ),
    "GB": (
        BuiltInResource("crisis.gb.samaritans", "116 123", "phone"),
        BuiltInResource("crisis.gb.nhs111", "111", "phone"),
        BuiltInResource(EMERGENCY, "999", "emergency"),
    ),
    "ES": (
        BuiltInResource("crisis.es.line024", "024", "phone"),
        BuiltInResource(EMERGENCY, "112", "emergency"),
    ),
    "MX": (
        BuiltInResource("crisis.mx.linea_vida", "800 911 2000", "phone"),
        BuiltInResource(EMERGENCY, "911", "emergency"),
    ),
    "CA": (
        BuiltInResource("crisis.ca.call", "988", "phone"),
        BuiltInResource("crisis.ca.text", "988", "text"),
        BuiltInResource(EMERGENCY, "911", "emergency"),
    ),
}
# US territories, where 988 and 911 answer as in the states: they get the US list.
SAME_LIST_AS = {"PR": "US", "VI": "US", "GU": "US", "AS": "US", "MP": "US"}
# 112 answers in every EU and EEA country and in Switzerland (Spain has its own list above).
EMERGENCY_112 = frozenset(
    {
        "AT", "BE", "BG", "CH", "CY", "CZ", "DE", "DK", "EE", "FI", "FR", "GR", "HR", "HU", "IE",
        "IS", "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK",
    }
)  # fmt: skip
# The catalogue texts that belong to one country's list (the emergency line words every list's
# emergency number, and 112 alone, so it belongs to none).
COUNTRY_KEYS = frozenset(r.key for lines in BUILT_IN.values() for r in lines) - {EMERGENCY}


def list_country(country: str | None) -> str | None:
    return SAME_LIST_AS.get(country, country) if country else None
