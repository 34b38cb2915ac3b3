"""What the crisis screen says to one patient (CLINICAL.md §5), worked out from plain data.

Resources follow the patient's country: the one set for them, else their time zone's. That
country's list is the clinic's own when it wrote one, else Afterglow's (`BUILT_IN`); a country
with neither gets its emergency number when it is known (112 across the EU and EEA), else a plain
"call your local emergency number". When the phone's own time zone is in another country whose
emergency number differs (or is not known), the first line is that country's emergency number,
and the not-emergency sentence names it: help must work where the patient is. The clinic's phone stands apart, with a true sentence about when
the clinic will see the answer.

Every word is in one language: the patient's, when its crisis text was reviewed (`reviews`) and
the clinic's own list for the country is worded in it; otherwise English, whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from afterglow.accounts.clinic_settings import ClinicSettings
from afterglow.accounts.countries import country_of_zone
from afterglow.catalogue import ENGLISH, Catalogue, fill
from afterglow.crisis.reviews import crisis_text_reviewed
from afterglow.fields import is_iana_zone

Kind = Literal["phone", "text", "chat", "emergency", "other"]
EMERGENCY = "crisis.emergency"
# The header the app names the phone's current IANA time zone in (for the travel line).
PHONE_ZONE_HEADER = "X-Time-Zone"


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


@dataclass(frozen=True)
class Resource:
    label: str
    # A number to call or text, a chat address, or "" for a line that only says what to do.
    contact: str
    kind: str


@dataclass(frozen=True)
class CrisisScreen:
    lang: str
    # The country whose list is shown, and the country the phone is in when that differs.
    country: str | None
    here: str | None
    title: str
    message: str
    resources: tuple[Resource, ...]
    clinic_phone: Resource | None
    clinic_next: str
    not_emergency_care: str
    offline_note: str
    refused_note: str
    continue_label: str


def list_country(country: str | None) -> str | None:
    return SAME_LIST_AS.get(country, country) if country else None


def emergency_number(country: str | None, settings: ClinicSettings) -> str | None:
    """The number to call in immediate danger in `country`, when known."""
    listed = list_country(country)
    if listed is None:
        return None
    own = (r.contact for r in settings.crisis_resources.get(listed, ()) if r.kind == "emergency")
    built_in = (r.contact for r in BUILT_IN.get(listed, ()) if r.kind == "emergency")
    return next(own, None) or next(built_in, None) or ("112" if listed in EMERGENCY_112 else None)


def phone_country(phone_zone: str | None) -> str | None:
    """The country of the time zone the phone says it is in; None when it names none."""
    if not phone_zone or not is_iana_zone(phone_zone):
        return None
    return country_of_zone(phone_zone)


def screen_language(
    catalogue: Catalogue, locale: str | None, settings: ClinicSettings, country: str | None
) -> str:
    """The patient's language when its crisis text is reviewed and the clinic's own list for
    the country (if any) is worded in it; English otherwise."""
    lang = catalogue.language_of(locale)
    english = catalogue.strings[ENGLISH]
    if not crisis_text_reviewed(lang, catalogue.strings[lang], english):
        return ENGLISH
    own = settings.crisis_resources.get(list_country(country) or "", ())
    return lang if all(lang in r.label for r in own) else ENGLISH


def _country_list(
    strings: dict[str, str], lang: str, settings: ClinicSettings, country: str | None
) -> tuple[Resource, ...]:
    listed = list_country(country)
    own = settings.crisis_resources.get(listed or "")
    if own:
        # A label the clinic has not written in this language (a row from before a language
        # was added) shows the bare number, never another language's words.
        return tuple(Resource(r.label.get(lang, r.contact), r.contact, r.kind) for r in own)
    if listed in BUILT_IN:
        return tuple(
            Resource(fill(strings[r.key], number=r.contact), r.contact, r.kind)
            for r in BUILT_IN[listed]
        )
    number = emergency_number(listed, settings)
    if number:
        return (Resource(fill(strings[EMERGENCY], number=number), number, "emergency"),)
    return (Resource(strings["crisis.local_emergency"], "", "other"),)


def crisis_screen(
    catalogue: Catalogue,
    settings: ClinicSettings,
    *,
    locale: str | None,
    country: str | None,
    timezone: str,
    phone_zone: str | None = None,
) -> CrisisScreen:
    """The crisis screen of a patient of `settings`' clinic: their `locale`, `country` (None:
    their `timezone`'s, else the phone's) and, when the app sent it, the time zone the phone is
    in now."""
    here = phone_country(phone_zone)
    # With no country of their own (a zone of no country, such as UTC), where the phone is.
    home = country or country_of_zone(timezone) or here
    travelling = here is not None and list_country(here) != list_country(home)
    lang = screen_language(catalogue, locale, settings, home)
    strings = catalogue.strings[lang]

    resources = _country_list(strings, lang, settings, home)
    number_home = emergency_number(home, settings)
    number_here = emergency_number(here, settings) if travelling else number_home
    # A second line only when it says something new (not for 911 in the US to a Mexican phone).
    if travelling and (number_here is None or number_here != number_home):
        line = (
            Resource(
                fill(strings["crisis.here_emergency"], number=number_here), number_here, "emergency"
            )
            if number_here
            else Resource(strings["crisis.here_local"], "", "other")
        )
        resources = (line, *resources)
    clinic = (
        Resource(
            fill(strings["crisis.clinic_phone"], phone=settings.clinic_phone),
            settings.clinic_phone,
            "phone",
        )
        if settings.clinic_phone
        else None
    )
    not_emergency = (
        fill(strings["crisis.not_emergency"], number=number_here)
        if number_here
        else strings["crisis.not_emergency_local"]
    )
    return CrisisScreen(
        lang=lang,
        country=home,
        here=here if travelling else None,
        title=strings["crisis.title"],
        message=strings["crisis.message"],
        resources=resources,
        clinic_phone=clinic,
        clinic_next=strings["crisis.clinic_next"],
        not_emergency_care=not_emergency,
        offline_note=strings["crisis.offline_note"],
        refused_note=strings["crisis.refused_note"],
        continue_label=strings["crisis.continue"],
    )
