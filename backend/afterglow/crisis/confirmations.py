"""A clinic's own confirmation of a language's crisis text (CLINICAL.md §5), from plain data.

Afterglow's review (`reviews`) lets every clinic show a language's crisis screen. Until there is
one, a clinic with a clinician who reads the language may confirm the text for its own patients:
the clinician reads every crisis text those patients may be shown in that language (the screen's
own sentences, and the list of each country its patients are in: Afterglow's, or the clinic's
own lines in that language), side by side with English, and confirms it. The confirmation keeps
the fingerprint of exactly that text (`reviews.crisis_text_fingerprint`, the one rule), the
countries whose lists it covers, who and when. Any change to the text (a release that rewords
it, an admin rewording the clinic's own lines) leaves the fingerprint behind, and the screen is
English, whole, until a clinician confirms the new text. A patient of a country whose list the
clinician did not read is shown English too.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import msgspec

from afterglow.accounts.clinic_settings import CRISIS_CONFIRMATIONS, ClinicSettings
from afterglow.catalogue import ENGLISH, fill
from afterglow.crisis.lists import BUILT_IN, COUNTRY_KEYS, list_country
from afterglow.crisis.reviews import crisis_keys, crisis_text_fingerprint, crisis_text_reviewed

log = logging.getLogger(__name__)

# The clinic's own lines, by country and place in the list, among the catalogue's crisis keys.
OWN_LINE = "crisis.clinic.{country}.{n}"
# The screen's own sentences in the order a patient meets them; texts added later follow.
SCREEN_ORDER = (
    "crisis.title",
    "crisis.message",
    "crisis.here_emergency",
    "crisis.here_local",
    "crisis.emergency",
    "crisis.local_emergency",
    "crisis.clinic_phone",
    "crisis.clinic_next",
    "crisis.not_emergency",
    "crisis.not_emergency_local",
    "crisis.offline_note",
    "crisis.refused_note",
    "crisis.continue",
    "crisis.journal_message",
    "crisis.journal_clinic_next",
)

Status = Literal["reviewed", "confirmed", "partly", "changed", "awaiting"]


class CrisisTextConfirmation(msgspec.Struct, frozen=True, kw_only=True):
    """A clinician of the clinic who reads the language confirmed this exact crisis text."""

    text_sha256: str
    # The countries whose lists the text held (the clinic's patients' countries then).
    countries: tuple[str, ...]
    clinician_id: int
    clinician_name: str
    confirmed_at: datetime


def stored_confirmations(row: Mapping[str, Any] | None) -> dict[str, CrisisTextConfirmation]:
    """The confirmations a clinic's settings row holds, by language. Never raises: the crisis
    screen reads this, and an entry that does not fit is no confirmation (English), logged."""
    raw = (row or {}).get(CRISIS_CONFIRMATIONS)
    if not isinstance(raw, dict):
        return {}
    found: dict[str, CrisisTextConfirmation] = {}
    for lang, entry in raw.items():
        try:
            found[lang] = msgspec.convert(entry, CrisisTextConfirmation)
        except msgspec.ValidationError:
            log.warning("clinic settings: a crisis text confirmation that does not fit: %s", lang)
    return found


def with_confirmation(
    row: Mapping[str, Any], lang: str, confirmation: CrisisTextConfirmation | None
) -> dict[str, Any]:
    """A settings row with `lang`'s confirmation stored (None: withdrawn)."""
    raw = row.get(CRISIS_CONFIRMATIONS)
    confirmations = dict(raw) if isinstance(raw, dict) else {}
    if confirmation is None:
        confirmations.pop(lang, None)
    else:
        confirmations[lang] = msgspec.to_builtins(confirmation)
    kept = {key: value for key, value in row.items() if key != CRISIS_CONFIRMATIONS}
    return {**kept, CRISIS_CONFIRMATIONS: confirmations} if confirmations else kept


def has_list(country: str, settings: ClinicSettings) -> bool:
    """Whether patients of `country` (a list country) are shown a list of their own."""
    return country in BUILT_IN or bool(settings.crisis_resources.get(country))


def listed_countries(homes: Iterable[str | None], settings: ClinicSettings) -> tuple[str, ...]:
    """The countries among patients' `homes` that have a list, each once, in order."""
    listed = {list_country(home) for home in homes}
    return tuple(sorted(c for c in listed if c and has_list(c, settings)))


def clinic_crisis_text(
    strings: Mapping[str, str],
    english: Mapping[str, str],
    settings: ClinicSettings,
    lang: str,
    countries: Iterable[str],
) -> dict[str, str]:
    """Every crisis text in `lang` that a clinic's patients in `countries` may be shown, by key:
    the screen's own sentences, then each country's list (the clinic's own lines as
    `crisis.clinic.<country>.<n>`, else Afterglow's). A text `lang` lacks is ""."""
    texts = {key: strings.get(key, "") for key in crisis_keys(english) if key not in COUNTRY_KEYS}
    for country in countries:
        own = settings.crisis_resources.get(country)
        if own:
            for n, line in enumerate(own):
                texts[OWN_LINE.format(country=country, n=n)] = line.label.get(lang, "")
        else:
            texts.update({r.key: strings.get(r.key, "") for r in BUILT_IN.get(country, ())})
    return texts


def unworded(texts: Mapping[str, str]) -> list[str]:
    """The keys of a clinic's crisis text that are not worded in its language."""
    return [key for key, text in texts.items() if not text.strip()]


def confirmation_covers(
    confirmation: CrisisTextConfirmation,
    strings: Mapping[str, str],
    english: Mapping[str, str],
    settings: ClinicSettings,
    lang: str,
    country: str | None,
) -> bool:
    """Whether the confirmation covers what a patient of `country` is shown in `lang` today:
    the clinician read that country's list (a country with none needs only the screen's own
    sentences), and the text it covers is still exactly what they read."""
    listed = list_country(country)
    if listed is not None and has_list(listed, settings) and listed not in confirmation.countries:
        return False
    texts = clinic_crisis_text(strings, english, settings, lang, confirmation.countries)
    return not unworded(texts) and crisis_text_fingerprint(texts) == confirmation.text_sha256


@dataclass(frozen=True)
class TextLine:
    """One crisis text as a patient reads it, beside its English. `country`: None for the
    screen's own sentences, else the country whose list it is in."""

    key: str
    country: str | None
    english: str
    text: str


@dataclass(frozen=True)
class ClinicCrisisText:
    """A language's crisis text for a clinic's patients, and whether they are shown it.

    `status`: `reviewed` (Afterglow's review covers it), `confirmed` (the clinic's confirmation
    covers today's text for every country its patients are in), `partly` (it does, but not for
    `uncovered` countries, whose patients see English), `changed` (the text changed since it was
    confirmed: English for everyone), `awaiting` (no confirmation: English)."""

    lang: str
    status: Status
    countries: tuple[str, ...]
    uncovered: tuple[str, ...]
    text_sha256: str
    lines: tuple[TextLine, ...]
    unworded: tuple[str, ...]
    confirmation: CrisisTextConfirmation | None


def _sentence_order(key: str) -> tuple[int, str]:
    return (SCREEN_ORDER.index(key), "") if key in SCREEN_ORDER else (len(SCREEN_ORDER), key)


def _lines(
    strings: Mapping[str, str],
    english: Mapping[str, str],
    settings: ClinicSettings,
    lang: str,
    countries: tuple[str, ...],
) -> tuple[TextLine, ...]:
    """The text as patients read it: a country's lines with that country's numbers; the
    screen's own sentences with the number of the clinic's first country (else 112) and the
    clinic's phone (`{phone}` until the clinic sets one)."""
    first = next(iter(countries), None)
    number = next(
        (
            line.contact
            for line in settings.crisis_resources.get(first or "") or BUILT_IN.get(first or "", ())
            if line.kind == "emergency"
        ),
        "112",
    )
    phone = settings.clinic_phone or "{phone}"
    sentences = sorted(
        (key for key in crisis_keys(english) if key not in COUNTRY_KEYS), key=_sentence_order
    )
    lines = [
        TextLine(
            key,
            None,
            fill(english[key], number=number, phone=phone),
            fill(strings.get(key, ""), number=number, phone=phone),
        )
        for key in sentences
    ]
    for country in countries:
        own = settings.crisis_resources.get(country)
        if own:
            lines.extend(
                TextLine(
                    OWN_LINE.format(country=country, n=n),
                    country,
                    line.label.get(ENGLISH, ""),
                    line.label.get(lang, ""),
                )
                for n, line in enumerate(own)
            )
        else:
            lines.extend(
                TextLine(
                    r.key,
                    country,
                    fill(english[r.key], number=r.contact),
                    fill(strings.get(r.key, ""), number=r.contact),
                )
                for r in BUILT_IN.get(country, ())
            )
    return tuple(lines)


def clinic_text_status(
    strings: Mapping[str, str],
    english: Mapping[str, str],
    settings: ClinicSettings,
    lang: str,
    countries: tuple[str, ...],
    confirmation: CrisisTextConfirmation | None,
) -> ClinicCrisisText:
    """`lang`'s crisis text for a clinic whose patients are in `countries` (list countries),
    with what its patients are shown."""
    texts = clinic_crisis_text(strings, english, settings, lang, countries)
    uncovered: tuple[str, ...] = ()
    status: Status
    if crisis_text_reviewed(lang, strings, english):
        status = "reviewed"
    elif confirmation is None:
        status = "awaiting"
    elif not confirmation_covers(confirmation, strings, english, settings, lang, None):
        status = "changed"
    else:
        uncovered = tuple(c for c in countries if c not in confirmation.countries)
        status = "partly" if uncovered else "confirmed"
    return ClinicCrisisText(
        lang=lang,
        status=status,
        countries=countries,
        uncovered=uncovered,
        text_sha256=crisis_text_fingerprint(texts),
        lines=_lines(strings, english, settings, lang, countries),
        unworded=tuple(unworded(texts)),
        confirmation=confirmation,
    )
