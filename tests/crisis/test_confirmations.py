"""A clinic's confirmation of a language's crisis text, from plain data: what it covers, and that
any change to what it covers puts the screen back in English, whole."""

from __future__ import annotations

from datetime import UTC, datetime

from test_crisis_screen import every_word

from afterglow.accounts.clinic_settings import ClinicSettings, CrisisResource
from afterglow.catalogue import Catalogue, catalogue
from afterglow.crisis.confirmations import (
    CrisisTextConfirmation,
    clinic_crisis_text,
    clinic_text_status,
)
from afterglow.crisis.lists import BUILT_IN
from afterglow.crisis.reviews import crisis_keys, crisis_text_fingerprint
from afterglow.crisis.screen import CrisisScreen, crisis_screen

ENGLISH = catalogue().strings["en"]
SPANISH = catalogue().strings["es"]
NONE = ClinicSettings()


def confirmed(
    countries: tuple[str, ...],
    settings: ClinicSettings = NONE,
    strings: dict[str, str] = SPANISH,
) -> dict[str, CrisisTextConfirmation]:
    """Spanish as a clinician of the clinic confirmed it today, with those countries' lists."""
    text = clinic_crisis_text(strings, ENGLISH, settings, "es", countries)
    return {
        "es": CrisisTextConfirmation(
            text_sha256=crisis_text_fingerprint(text),
            countries=countries,
            clinician_id=7,
            clinician_name="Dr Synthetic",
            confirmed_at=datetime(2026, 11, 30, 9, 0, tzinfo=UTC),
        )
    }


def spanish_patient(
    country: str,
    confirmations: dict[str, CrisisTextConfirmation],
    settings: ClinicSettings = NONE,
    words: Catalogue | None = None,
) -> CrisisScreen:
    return crisis_screen(
        words or catalogue(),
        settings,
        locale="es-US",
        country=country,
        timezone="America/New_York",
        confirmations=confirmations,
    )


def words_of(shown: CrisisScreen) -> set[str]:
    return set(every_word(shown))


def test_the_text_of_every_countrys_list_is_the_languages_whole_crisis_text() -> None:
    """One fingerprint rule: a clinic's text holding every list is exactly what Afterglow's
    own review fingerprints."""
    everything = clinic_crisis_text(SPANISH, ENGLISH, NONE, "es", tuple(BUILT_IN))

    assert everything == crisis_keys(SPANISH)
    assert crisis_text_fingerprint(everything) == crisis_text_fingerprint(SPANISH)


def test_a_confirmation_words_the_screen_of_the_countries_whose_lists_were_read() -> None:
    us = spanish_patient("US", confirmed(("US",)))
    mexico = spanish_patient("MX", confirmed(("US",)))

    assert us.lang == "es"
    assert not words_of(us) & set(ENGLISH.values())
    assert mexico.lang == "en"
    assert not words_of(mexico) & set(SPANISH.values())


def test_a_country_with_no_list_needs_only_the_screens_own_sentences() -> None:
    france = spanish_patient("FR", confirmed(()))

    assert france.lang == "es"
    assert [r.label for r in france.resources] == ["Peligro inmediato: llame al 112"]


def test_a_release_rewording_a_confirmed_text_puts_the_screen_back_in_english_whole() -> None:
    reworded = {**SPANISH, "crisis.us.veterans": SPANISH["crisis.us.veterans"] + " (24 h)"}
    words = Catalogue({"en": ENGLISH, "es": reworded})

    shown = spanish_patient("US", confirmed(("US",)), words=words)

    assert shown.lang == "en"
    assert not words_of(shown) & set(SPANISH.values())
    status = clinic_text_status(reworded, ENGLISH, NONE, "es", ("US",), confirmed(("US",))["es"])
    assert status.status == "changed"


def test_a_release_rewording_another_countrys_list_leaves_the_confirmation_standing() -> None:
    reworded = {**SPANISH, "crisis.gb.nhs111": SPANISH["crisis.gb.nhs111"] + " (24 h)"}
    words = Catalogue({"en": ENGLISH, "es": reworded})

    assert spanish_patient("US", confirmed(("US",)), words=words).lang == "es"


def test_a_clinic_line_not_worded_in_the_language_is_never_confirmed() -> None:
    english_only = ClinicSettings(
        crisis_resources={"US": (CrisisResource({"en": "Emergency: 911"}, "911", "emergency"),)}
    )

    status = clinic_text_status(SPANISH, ENGLISH, english_only, "es", ("US",), None)

    assert status.unworded == ("crisis.clinic.US.0",)
    shown = spanish_patient("US", confirmed(("US",), english_only), english_only)
    assert shown.lang == "en"
