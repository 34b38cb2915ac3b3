"""An instrument in a patient's language: `instrument_in("phq9", "es-MX")`.

The answer is the registry's `Instrument` with its words replaced by a wording of `wordings.py`,
everything else (item ids, option values, scoring, bands, LOINC codes) untouched; or the English
instrument whole when that language has no wording for it. Pure: no database, no catalogue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from afterglow.instruments.registry import REGISTRY, Instrument, Item
from afterglow.instruments.wordings import UNAVAILABLE, WORDINGS, Origin, Review, Wording

ENGLISH = "en"
# A locale as the app and the clinic store it: a language, and a region or not (es, es-MX).
LOCALE_PATTERN = r"^[a-zA-Z]{2}([-_][a-zA-Z]{2})?$"


def language_of(locale: str | None) -> str:
    """`es-MX` -> `es`; English for nothing or for what is not a locale."""
    if not locale or not re.match(LOCALE_PATTERN, locale):
        return ENGLISH
    return re.split(r"[-_]", locale)[0].lower()


@dataclass(frozen=True)
class LocalizedInstrument:
    """An instrument as a patient of one language reads it."""

    instrument: Instrument
    lang: str  # the language of every word of `instrument` (its attribution aside)
    requested: str  # the language asked for
    attribution_lang: str | None
    origin: Origin | None  # None: English, the registry's own words
    review: Review | None
    # Why a language other than English is served in English, when we looked into it.
    fallback_note: str | None = None

    @property
    def is_fallback(self) -> bool:
        return self.lang != self.requested


def _item_in(item: Item, wording: Wording) -> Item:
    words = wording.items[item.id]
    options = tuple(
        replace(option, label=label)
        for option, label in zip(item.options, words.options, strict=True)
    )
    return replace(item, text=words.text, options=options)


def _apply(instrument: Instrument, wording: Wording) -> Instrument:
    return replace(
        instrument,
        name=wording.name,
        stem=wording.stem,
        items=tuple(_item_in(item, wording) for item in instrument.items),
        attribution=wording.attribution or instrument.attribution,
        free_text_label=(
            wording.free_text_label if instrument.free_text_label is not None else None
        ),
    )


def instrument_in(instrument_id: str, locale: str | None) -> LocalizedInstrument:
    """The instrument in the language of `locale` (`es`, `es-MX`), or in English whole.

    Raises KeyError for an instrument the registry does not have."""
    english = REGISTRY[instrument_id]
    lang = language_of(locale)
    wording = WORDINGS.get((instrument_id, lang))
    if wording is None:
        note = UNAVAILABLE.get((instrument_id, lang))
        if lang != ENGLISH and note is None:
            note = f"No {lang!r} wording of {english.name}: shown in English."
        return LocalizedInstrument(
            english,
            ENGLISH,
            lang,
            ENGLISH if english.attribution else None,
            None,
            None,
            note,
        )
    return LocalizedInstrument(
        _apply(english, wording),
        lang,
        lang,
        (lang if wording.attribution else ENGLISH) if english.attribution else None,
        wording.origin,
        wording.review,
    )


def check_wording(wording: Wording) -> None:
    """A wording must word exactly the items and options of its English instrument, so that
    answers mean the same in every language. Raises ValueError naming what does not fit."""
    english = REGISTRY[wording.instrument_id]
    ids = [item.id for item in english.items]
    if list(wording.items) != ids:
        raise ValueError(f"{wording.lang} {english.id}: items {list(wording.items)} != {ids}")
    for item in english.items:
        words = wording.items[item.id]
        if len(words.options) != len(item.options):
            raise ValueError(
                f"{wording.lang} {item.id}: {len(words.options)} option labels for "
                f"{len(item.options)} options"
            )
    if (english.stem is None) != (wording.stem is None):
        raise ValueError(f"{wording.lang} {english.id}: a stem where English has none, or none")
    if (english.free_text_label is None) != (wording.free_text_label is None):
        raise ValueError(f"{wording.lang} {english.id}: the free-text label does not match")


for _wording in WORDINGS.values():
    check_wording(_wording)
