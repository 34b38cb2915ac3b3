"""Instruments in the patient's language: the wording registry and `instrument_in`. Pure, no
database."""

from __future__ import annotations

from dataclasses import replace

import pytest

from afterglow.instruments.localized import check_wording, instrument_in, language_of
from afterglow.instruments.registry import REGISTRY, SPITZER_ATTRIBUTION
from afterglow.instruments.scoring import score_answers
from afterglow.instruments.wordings import GAD7_ES, PHQ9_ES, WORDINGS, ItemWording


def texts(instrument_id: str, locale: str) -> list[str]:
    """Every word a patient reads of the instrument, in order."""
    instrument = instrument_in(instrument_id, locale).instrument
    words = [instrument.name, instrument.stem or "", instrument.free_text_label or ""]
    for item in instrument.items:
        words += [item.text, *(o.label for o in item.options)]
    return words


def test_a_spanish_patient_reads_the_phq9_as_the_published_spanish_us_form_words_it():
    phq9 = instrument_in("phq9", "es-MX")
    assert phq9.lang == "es"
    assert phq9.origin == "published"
    assert phq9.review == "awaiting_clinician"
    instrument = phq9.instrument
    assert instrument.stem == (
        "Durante las últimas 2 semanas, ¿qué tan seguido ha tenido molestias debido a los "
        "siguientes problemas?"
    )
    assert instrument.items[0].text == "Poco interés o placer en hacer cosas"
    assert instrument.items[8].text == (
        "Pensamientos de que estaría mejor muerto(a) o de lastimarse de alguna manera"
    )
    assert [o.label for o in instrument.items[0].options] == [
        "Ningún día",
        "Varios días",
        "Más de la mitad de los días",
        "Casi todos los días",
    ]
    assert [o.label for o in instrument.items[9].options] == [
        "No ha sido difícil",
        "Un poco difícil",
        "Muy difícil",
        "Extremadamente difícil",
    ]


@pytest.mark.parametrize(
    ("instrument_id", "answers", "score"),
    [("phq9", [1, 2, 1, 0, 3, 2, 1, 0, 1, 3], 11), ("gad7", [1, 2, 1, 0, 3, 2, 1], 10)],
)
def test_a_spanish_questionnaire_keeps_every_item_id_answer_value_and_loinc_code_of_the_english_one(
    instrument_id, answers, score
):
    english, spanish = REGISTRY[instrument_id], instrument_in(instrument_id, "es").instrument
    assert [(i.id, i.loinc, i.scored, i.required) for i in spanish.items] == [
        (i.id, i.loinc, i.scored, i.required) for i in english.items
    ]
    assert [[(o.value, o.loinc) for o in i.options] for i in spanish.items] == [
        [(o.value, o.loinc) for o in i.options] for i in english.items
    ]
    assert (spanish.loinc_panel, spanish.loinc_total, spanish.bands, spanish.safety_item) == (
        english.loinc_panel,
        english.loinc_total,
        english.bands,
        english.safety_item,
    )
    # Answers mean the same whatever the language they were read in.
    assert score_answers(instrument_id, answers).score == score


@pytest.mark.parametrize("wording", [PHQ9_ES, GAD7_ES], ids=["phq9", "gad7"])
def test_a_spanish_questionnaire_keeps_the_english_attribution_because_one_copy_alone_carries_the_spanish(
    wording,
):
    spanish = instrument_in(wording.instrument_id, "es")
    assert len([s for s in wording.sources if "attribution" in s.covers]) < 2
    assert wording.attribution is None
    assert spanish.instrument.attribution == SPITZER_ATTRIBUTION
    assert spanish.attribution_lang == "en"


@pytest.mark.parametrize(
    "wording",
    [w for w in WORDINGS.values() if w.origin == "published"],
    ids=lambda w: f"{w.instrument_id}-{w.lang}",
)
def test_every_word_of_a_published_translation_is_carried_by_two_independent_copies(wording):
    english = REGISTRY[wording.instrument_id]
    elements = ["stem"] + [
        f"{kind}:{item.id}" for item in english.items for kind in ("item", "options")
    ]
    if wording.attribution:
        elements.append("attribution")
    thin = [e for e in elements if sum(e in s.covers for s in wording.sources) < 2]
    assert thin == []
    assert wording.review == "awaiting_clinician"
    assert len({s.where for s in wording.sources}) == len(wording.sources)


def test_a_spanish_patient_reads_the_gad7_as_the_published_spanish_us_form_words_it():
    gad7 = instrument_in("gad7", "es-US")
    assert (gad7.lang, gad7.requested, gad7.is_fallback) == ("es", "es", False)
    assert (gad7.origin, gad7.review, gad7.fallback_note) == (
        "published",
        "awaiting_clinician",
        None,
    )
    instrument = gad7.instrument
    assert instrument.stem == (
        "Durante las últimas 2 semanas, ¿qué tan seguido ha tenido molestias debido a los "
        "siguientes problemas?"
    )
    assert [item.text for item in instrument.items] == [
        "Se ha sentido nervioso(a), ansioso(a) o con los nervios de punta",
        "No ha sido capaz de parar o controlar su preocupación",
        "Se ha preocupado demasiado por motivos diferentes",
        "Ha tenido dificultad para relajarse",
        "Se ha sentido tan inquieto(a) que no ha podido quedarse quieto(a)",
        "Se ha molestado o irritado fácilmente",
        "Ha tenido miedo de que algo terrible fuera a pasar",
    ]
    assert {tuple(o.label for o in item.options) for item in instrument.items} == {
        ("Ningún día", "Varios días", "Más de la mitad de los días", "Casi todos los días")
    }
    english_words = set(texts("gad7", "en")) - {""}
    assert english_words.isdisjoint(texts("gad7", "es"))


def test_the_spanish_gad7_asks_and_answers_as_the_spanish_phq9_does_as_the_us_forms_do():
    gad7, phq9 = instrument_in("gad7", "es").instrument, instrument_in("phq9", "es").instrument
    assert gad7.stem == phq9.stem
    assert [o.label for o in gad7.items[0].options] == [o.label for o in phq9.items[0].options]


def test_a_language_afterglow_has_no_wording_in_gets_every_instrument_in_english_whole():
    for instrument_id in REGISTRY:
        french = instrument_in(instrument_id, "fr-CA")
        assert french.instrument == REGISTRY[instrument_id]
        assert (french.lang, french.requested) == ("en", "fr")
        assert french.fallback_note
    assert instrument_in("phq9", None).instrument == REGISTRY["phq9"]


def test_afterglows_own_scales_are_worded_in_spanish_by_afterglow_and_say_so():
    for instrument_id in ("mood", "pain", "after"):
        spanish = instrument_in(instrument_id, "es")
        assert (spanish.lang, spanish.origin, spanish.review) == ("es", "afterglow", "not_required")
        english_words = set(texts(instrument_id, "en")) - {str(n) for n in range(1, 10)} - {""}
        assert english_words.isdisjoint(texts(instrument_id, "es")), instrument_id


def test_the_spanish_mood_scale_is_anchored_in_spanish_at_both_ends():
    [item] = instrument_in("mood", "es").instrument.items
    assert (item.options[0].label, item.options[-1].label) == ("El peor", "El mejor")
    [pain] = instrument_in("pain", "es").instrument.items
    assert (pain.options[0].label, pain.options[-1].label) == ("Sin dolor", "El peor dolor")


def test_a_wording_that_leaves_out_an_item_or_an_answer_is_refused():
    without_item_9 = replace(
        PHQ9_ES, items={k: v for k, v in PHQ9_ES.items.items() if k != "phq9_9"}
    )
    with pytest.raises(ValueError, match="items"):
        check_wording(without_item_9)
    three_answers = replace(
        PHQ9_ES, items={**PHQ9_ES.items, "phq9_1": ItemWording("x", ("a", "b", "c"))}
    )
    with pytest.raises(ValueError, match="3 option labels for 4 options"):
        check_wording(three_answers)


@pytest.mark.parametrize(
    ("locale", "lang"),
    [
        ("es", "es"),
        ("es-MX", "es"),
        ("es_US", "es"),
        ("EN-gb", "en"),
        ("", "en"),
        ("spanish", "en"),
    ],
)
def test_a_locale_names_its_language(locale, lang):
    assert language_of(locale) == lang
