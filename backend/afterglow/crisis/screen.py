"""What the crisis screen says to one patient (CLINICAL.md §5), worked out from plain data.

Resources follow the patient's country: the one set for them, else their time zone's. That
country's list is the clinic's own when it wrote one, else Afterglow's (`BUILT_IN`); a country
with neither gets its emergency number when it is known (112 across the EU and EEA), else a plain
"call your local emergency number". When the phone's own time zone is in another country whose
emergency number differs (or is not known), the first line is that country's emergency number,
and the not-emergency sentence names it: help must work where the patient is. The clinic's phone stands apart, with a true sentence about when
the clinic will see the answer.

Every word is in one language: the patient's, when its crisis text was reviewed by Afterglow
(`reviews`) or confirmed by a clinician of the clinic for the patient's country (`confirmations`),
and the clinic's own list for the country is worded in it; otherwise English, whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from afterglow.accounts.clinic_settings import ClinicSettings
from afterglow.accounts.countries import country_of_zone
from afterglow.catalogue import ENGLISH, Catalogue, fill
from afterglow.crisis.confirmations import CrisisTextConfirmation, confirmation_covers
from afterglow.crisis.lists import BUILT_IN, EMERGENCY, EMERGENCY_112, list_country
from afterglow.crisis.reviews import crisis_text_reviewed
from afterglow.fields import is_iana_zone

# The header the app names the phone's current IANA time zone in (for the travel line).
PHONE_ZONE_HEADER = "X-Time-Zone"


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
    catalogue: Catalogue,
    locale: str | None,
    settings: ClinicSettings,
    country: str | None,
    confirmations: Mapping[str, CrisisTextConfirmation] | None = None,
) -> str:
    """The patient's language when the clinic's own list for the country (if any) is worded in
    it and its crisis text is reviewed by Afterglow, or confirmed by the clinic (`confirmations`,
    by language) exactly as it stands for this country; English otherwise."""
    lang = catalogue.language_of(locale)
    if lang == ENGLISH:
        return ENGLISH
    own = settings.crisis_resources.get(list_country(country) or "", ())
    if not all(lang in r.label for r in own):
        return ENGLISH
    strings, english = catalogue.strings[lang], catalogue.strings[ENGLISH]
    if crisis_text_reviewed(lang, strings, english):
        return lang
    confirmation = (confirmations or {}).get(lang)
    if confirmation and confirmation_covers(
        confirmation, strings, english, settings, lang, country
    ):
        return lang
    return ENGLISH


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
    confirmations: Mapping[str, CrisisTextConfirmation] | None = None,
) -> CrisisScreen:
    """The crisis screen of a patient of `settings`' clinic: their `locale`, `country` (None:
    their `timezone`'s, else the phone's) and, when the app sent it, the time zone the phone is
    in now. `confirmations`: the clinic's own confirmations of languages' crisis texts."""
    here = phone_country(phone_zone)
    # With no country of their own (a zone of no country, such as UTC), where the phone is.
    home = country or country_of_zone(timezone) or here
    travelling = here is not None and list_country(here) != list_country(home)
    lang = screen_language(catalogue, locale, settings, home, confirmations)
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
