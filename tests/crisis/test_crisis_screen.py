"""The crisis screen of CLINICAL.md §5, worked out from plain data: the patient's country (set,
else their time zone's), the phone's country when it is elsewhere, the clinic's own lists and
phone, and one language for every word."""

from __future__ import annotations

import pytest

from afterglow.accounts.clinic_settings import ClinicSettings, CrisisResource
from afterglow.catalogue import Catalogue, catalogue
from afterglow.crisis import reviews
from afterglow.crisis.lists import BUILT_IN
from afterglow.crisis.reviews import (
    CRISIS_TEXTS,
    CrisisText,
    CrisisTextReview,
    crisis_text_fingerprint,
    crisis_text_reviewed,
)
from afterglow.crisis.screen import CrisisScreen, crisis_screen

ENGLISH = catalogue().strings["en"]
SPANISH = catalogue().strings["es"]


def screen(
    *,
    locale: str = "en-US",
    country: str | None = None,
    timezone: str = "America/New_York",
    phone_zone: str | None = None,
    settings: ClinicSettings | None = None,
    words: Catalogue | None = None,
) -> CrisisScreen:
    return crisis_screen(
        words or catalogue(),
        settings or ClinicSettings(),
        locale=locale,
        country=country,
        timezone=timezone,
        phone_zone=phone_zone,
    )


def contacts(shown: CrisisScreen) -> list[str]:
    return [r.contact for r in shown.resources]


def every_word(shown: CrisisScreen) -> list[str]:
    clinic = [shown.clinic_phone.label] if shown.clinic_phone else []
    return [
        shown.title,
        shown.message,
        *(r.label for r in shown.resources),
        *clinic,
        shown.clinic_next,
        shown.not_emergency_care,
        shown.offline_note,
        shown.refused_note,
        shown.continue_label,
    ]


@pytest.fixture
def spanish_reviewed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Spanish as it would be once a clinician who reads it confirmed today's text."""
    review = CrisisTextReview(
        "Dr Synthetic Reviewer", "2026-11-29", crisis_text_fingerprint(SPANISH)
    )
    monkeypatch.setitem(CRISIS_TEXTS, "es", CrisisText(review=review))


def test_a_london_patient_is_shown_999_samaritans_and_nhs_111_not_988_or_911() -> None:
    shown = screen(locale="en-GB", country="GB", timezone="Europe/London")

    assert [(r.label, r.contact, r.kind) for r in shown.resources] == [
        ("Samaritans: call 116 123, free, day or night", "116 123", "phone"),
        ("NHS 111: call 111, then choose option 2 for mental health", "111", "phone"),
        ("Immediate danger: call 999", "999", "emergency"),
    ]
    assert not {"988", "911"} & set(contacts(shown))
    assert "988" not in shown.not_emergency_care and "911" not in shown.not_emergency_care
    assert shown.not_emergency_care == (
        "This app is not monitored around the clock and is not emergency care. If you might "
        "act on these thoughts, call 999 now."
    )


def test_a_patient_with_no_country_set_gets_the_country_of_their_time_zone() -> None:
    assert screen(country=None, timezone="Europe/London").country == "GB"
    assert contacts(screen(country=None, timezone="America/Mexico_City")) == ["800 911 2000", "911"]
    # A country set at enrollment wins over the zone.
    assert screen(country="CA", timezone="America/New_York").country == "CA"


@pytest.mark.parametrize(
    ("country", "expected"),
    [
        ("US", ["988", "988", "https://988lifeline.org", "988", "911"]),
        ("GB", ["116 123", "111", "999"]),
        ("ES", ["024", "112"]),
        ("MX", ["800 911 2000", "911"]),
        ("CA", ["988", "988", "911"]),
        ("PR", ["988", "988", "https://988lifeline.org", "988", "911"]),  # a US territory
    ],
)
def test_each_country_of_clinical_md_gets_its_own_list(country: str, expected: list[str]) -> None:
    assert contacts(screen(country=country)) == expected


def test_the_us_list_is_988_by_call_text_and_chat_veterans_press_1_and_911() -> None:
    labels = [r.label for r in screen(country="US").resources]

    assert labels == [
        "988 Suicide & Crisis Lifeline: call",
        "988 Suicide & Crisis Lifeline: text",
        "988 Lifeline chat",
        "Veterans Crisis Line: call 988, then press 1",
        "Immediate danger: call 911",
    ]


def test_a_country_without_a_list_gets_112_in_europe_and_a_plain_sentence_elsewhere() -> None:
    """The reading chosen: what is known to work is said (112 answers across the EU, the EEA
    and Switzerland); elsewhere a number we cannot vouch for is not guessed."""
    france = screen(country="FR", timezone="Europe/Paris")
    japan = screen(country="JP", timezone="Asia/Tokyo")
    nowhere = screen(country=None, timezone="Etc/UTC")

    assert [(r.label, r.contact) for r in france.resources] == [
        ("Immediate danger: call 112", "112")
    ]
    assert france.not_emergency_care.endswith("call 112 now.")
    for shown in (japan, nowhere):
        assert [(r.label, r.contact) for r in shown.resources] == [
            ("Immediate danger: call your local emergency number", "")
        ]
        assert shown.not_emergency_care.endswith("call your local emergency number now.")
    assert nowhere.country is None


def test_a_phone_in_another_country_adds_that_countrys_emergency_number_first() -> None:
    shown = screen(country="US", phone_zone="Europe/Madrid")

    assert shown.here == "ES"
    assert (shown.resources[0].label, shown.resources[0].contact) == (
        "Where you are now: call 112 in an emergency",
        "112",
    )
    assert contacts(shown)[1:] == contacts(screen(country="US"))
    assert shown.not_emergency_care.endswith("call 112 now.")


def test_a_phone_in_a_country_with_the_same_emergency_number_adds_no_second_line() -> None:
    shown = screen(country="MX", timezone="America/Mexico_City", phone_zone="America/Toronto")

    assert shown.here == "CA"
    assert contacts(shown) == ["800 911 2000", "911"]


def test_a_phone_where_no_number_is_known_says_to_call_the_local_emergency_number() -> None:
    shown = screen(locale="en-GB", country="GB", timezone="Europe/London", phone_zone="Asia/Tokyo")

    assert shown.resources[0].label == "Where you are now: call the local emergency number"
    assert contacts(shown)[1:] == ["116 123", "111", "999"]
    assert shown.not_emergency_care.endswith("call your local emergency number now.")


@pytest.mark.parametrize(
    "phone_zone",
    [None, "America/Chicago", "US/Eastern", "America/Puerto_Rico", "Etc/UTC", "Mars/Olympus"],
)
def test_a_phone_at_home_or_in_no_known_country_adds_nothing(phone_zone: str | None) -> None:
    shown = screen(country="US", phone_zone=phone_zone)

    assert shown.here is None
    assert contacts(shown) == ["988", "988", "https://988lifeline.org", "988", "911"]


def test_a_phone_named_by_an_older_zone_name_is_still_placed() -> None:
    # Chrome names India's zone Asia/Calcutta, the tz database Asia/Kolkata.
    assert screen(country="US", phone_zone="Asia/Calcutta").here == "IN"


def test_a_patient_of_no_country_gets_the_list_of_the_country_the_phone_is_in() -> None:
    shown = screen(country=None, timezone="Etc/UTC", phone_zone="Europe/London")

    assert (shown.country, shown.here) == ("GB", None)
    assert contacts(shown) == ["116 123", "111", "999"]


def test_the_clinic_phone_stands_apart_with_when_the_clinic_will_see_the_answer() -> None:
    shown = screen(country="GB", settings=ClinicSettings(clinic_phone="+44 20 7946 0000"))

    assert shown.clinic_phone is not None
    assert (shown.clinic_phone.label, shown.clinic_phone.contact) == (
        "Call your clinic: +44 20 7946 0000",
        "+44 20 7946 0000",
    )
    assert "+44 20 7946 0000" not in contacts(shown)
    assert shown.clinic_next == "Your clinic will see this answer, but not straight away."
    assert "not monitored around the clock" in shown.not_emergency_care
    assert screen(country="GB").clinic_phone is None


def test_spanish_crisis_text_awaits_a_clinicians_review_so_a_spanish_patient_sees_it_all_in_english() -> (
    None
):
    """The reading chosen: "reviewed" means a clinician who reads Spanish confirmed this exact
    text. Today's Spanish follows published names where they exist (cited in
    crisis/reviews.py), but its sentences are Afterglow's own and nobody has confirmed them."""
    shown = screen(locale="es-MX", country="MX", timezone="America/Mexico_City")

    assert not crisis_text_reviewed("es", SPANISH, ENGLISH)
    assert shown.lang == "en"
    assert every_word(shown) == every_word(screen(locale="en-US", country="MX"))
    assert not set(every_word(shown)) & set(SPANISH.values())


def test_a_reviewed_language_words_the_whole_screen(spanish_reviewed: None) -> None:
    settings = ClinicSettings(clinic_phone="55 5555 0100")
    shown = screen(locale="es-MX", country="MX", timezone="America/Mexico_City", settings=settings)

    assert shown.lang == "es"
    assert shown.title == SPANISH["crisis.title"]
    assert [r.label for r in shown.resources] == [
        "Línea de la Vida: llame al 800 911 2000, gratis, las 24 horas",
        "Peligro inmediato: llame al 911",
    ]
    assert shown.clinic_phone is not None
    assert shown.clinic_phone.label == "Llame a su clínica: 55 5555 0100"
    assert not set(every_word(shown)) & set(ENGLISH.values())


def test_an_edit_of_a_reviewed_text_needs_a_new_review(spanish_reviewed: None) -> None:
    edited = {**SPANISH, "crisis.message": SPANISH["crisis.message"] + " Editado."}
    words = Catalogue({"en": ENGLISH, "es": edited})

    assert crisis_text_reviewed("es", SPANISH, ENGLISH)
    assert not crisis_text_reviewed("es", edited, ENGLISH)
    assert screen(locale="es-MX", country="MX", words=words).lang == "en"


def test_a_language_missing_a_crisis_text_is_never_reviewed(spanish_reviewed: None) -> None:
    partial = {k: v for k, v in SPANISH.items() if k != "crisis.gb.nhs111"}
    review = CrisisTextReview(
        "Dr Synthetic Reviewer", "2026-11-29", crisis_text_fingerprint(partial)
    )
    texts = {"es": CrisisText(review=review)}

    assert not crisis_text_reviewed("es", partial, ENGLISH, texts)


OWN_MX = (
    CrisisResource(
        {"en": "Clinic night line", "es": "Línea nocturna de la clínica"}, "55 5555 0199", "phone"
    ),
    CrisisResource({"en": "Emergency: 911", "es": "Emergencias: 911"}, "911", "emergency"),
)


def test_a_clinics_own_list_replaces_that_countrys_list_in_the_patients_language(
    spanish_reviewed: None,
) -> None:
    settings = ClinicSettings(crisis_resources={"MX": OWN_MX})

    spanish = screen(locale="es-MX", country="MX", settings=settings)
    english = screen(locale="en-US", country="MX", settings=settings)
    elsewhere = screen(locale="es-MX", country="US", settings=settings)

    assert [(r.label, r.contact) for r in spanish.resources] == [
        ("Línea nocturna de la clínica", "55 5555 0199"),
        ("Emergencias: 911", "911"),
    ]
    assert [r.label for r in english.resources] == ["Clinic night line", "Emergency: 911"]
    assert contacts(elsewhere) == contacts(screen(country="US"))


def test_a_clinic_list_not_worded_in_the_patients_language_makes_the_screen_english_whole(
    spanish_reviewed: None,
) -> None:
    english_only = (CrisisResource({"en": "Clinic night line"}, "55 5555 0199", "phone"),)
    settings = ClinicSettings(crisis_resources={"MX": english_only})

    shown = screen(locale="es-MX", country="MX", settings=settings)

    assert shown.lang == "en"
    assert [r.label for r in shown.resources] == ["Clinic night line"]
    assert shown.title == ENGLISH["crisis.title"]


def test_every_built_in_line_is_worded_in_every_language_of_the_app() -> None:
    for lang in catalogue().languages:
        strings = catalogue().strings[lang]
        for country, lines in BUILT_IN.items():
            for line in lines:
                assert strings.get(line.key), (lang, country, line.key)


def test_the_spanish_sources_name_texts_that_exist() -> None:
    for lang, text in reviews.CRISIS_TEXTS.items():
        assert set(text.sources) <= set(catalogue().strings[lang]), lang
