"""HTTP for the instrument registry: the app renders every questionnaire from this, in the
patient's language."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get
from litestar.params import QueryParameter

from afterglow.accounts.auth import PUBLIC, client_address
from afterglow.accounts.models import Patient
from afterglow.accounts.sessions import SESSION_COOKIE, resolve_session
from afterglow.catalogue import catalogue
from afterglow.http import DB, AppSettings, Now
from afterglow.instruments.localized import (
    LOCALE_PATTERN,
    LocalizedInstrument,
    instrument_in,
    language_of,
)
from afterglow.instruments.registry import REGISTRY
from afterglow.instruments.wordings import UNAVAILABLE, WORDINGS


class OptionOut(msgspec.Struct):
    value: int
    label: str
    loinc: str | None


class ItemOut(msgspec.Struct):
    id: str
    text: str
    options: list[OptionOut]
    loinc: str | None
    scored: bool
    required: bool


class BandOut(msgspec.Struct):
    low: int
    high: int
    id: str
    label: str


class InstrumentOut(msgspec.Struct):
    id: str
    name: str
    stem: str | None
    items: list[ItemOut]
    scoring: str
    bands: list[BandOut]
    score_range: list[int] | None
    loinc_panel: str | None
    loinc_total: str | None
    attribution: str | None
    free_text_label: str | None
    opt_in: bool
    cadence: str
    # The language of every word above (the attribution aside), and the one asked for: they
    # differ when that language has no wording of this instrument and it is shown in English.
    lang: str = "en"
    requested_lang: str = "en"
    attribution_lang: str | None = None
    # `published`: a licensed instrument's published translation; `afterglow`: Afterglow's own
    # words; null: the English original.
    wording_origin: str | None = None
    # `awaiting_clinician` while a published translation taken from copies is unconfirmed.
    review: str | None = None


def instrument_out(localized: LocalizedInstrument) -> InstrumentOut:
    instrument = localized.instrument
    # Severity band names are Afterglow's words, from the catalogue of the wording's language.
    strings = catalogue().strings.get(localized.lang, {})
    return InstrumentOut(
        id=instrument.id,
        name=instrument.name,
        stem=instrument.stem,
        items=[
            ItemOut(
                id=item.id,
                text=item.text,
                options=[OptionOut(o.value, o.label, o.loinc) for o in item.options],
                loinc=item.loinc,
                scored=item.scored,
                required=item.required,
            )
            for item in instrument.items
        ],
        scoring=instrument.scoring,
        bands=[
            BandOut(b.low, b.high, b.id, strings.get(f"band.{b.id}", b.label))
            for b in instrument.bands
        ],
        score_range=list(instrument.score_range) if instrument.score_range else None,
        loinc_panel=instrument.loinc_panel,
        loinc_total=instrument.loinc_total,
        attribution=instrument.attribution,
        free_text_label=instrument.free_text_label,
        opt_in=instrument.opt_in,
        cadence=instrument.cadence,
        lang=localized.lang,
        requested_lang=localized.requested,
        attribution_lang=localized.attribution_lang,
        wording_origin=localized.origin,
        review=localized.review,
    )


@lru_cache(maxsize=64)
def catalogue_in(lang: str) -> list[InstrumentOut]:
    """Every instrument in one language (`es`), built once per language and process."""
    return [instrument_out(instrument_in(instrument_id, lang)) for instrument_id in REGISTRY]


class SourceOut(msgspec.Struct):
    where: str
    what: str
    covers: list[str]


class WordingOut(msgspec.Struct):
    instrument: str
    instrument_name: str
    lang: str
    # `published` (a licensed instrument's translation), `afterglow` (our own words) or
    # `english` (no usable wording: patients of this language read it in English).
    status: str
    review: str
    note: str
    sources: list[SourceOut]


def wordings_out() -> list[WordingOut]:
    """Every wording other than English, and every language an instrument falls back in."""
    rows = [
        WordingOut(
            instrument=w.instrument_id,
            instrument_name=REGISTRY[w.instrument_id].name,
            lang=w.lang,
            status=w.origin,
            review=w.review,
            note=w.note,
            sources=[SourceOut(s.where, s.what, sorted(s.covers)) for s in w.sources],
        )
        for w in WORDINGS.values()
    ]
    rows += [
        WordingOut(
            instrument=instrument_id,
            instrument_name=REGISTRY[instrument_id].name,
            lang=lang,
            status="english",
            review="not_required",
            note=note,
            sources=[],
        )
        for (instrument_id, lang), note in UNAVAILABLE.items()
    ]
    order = list(REGISTRY)
    return sorted(rows, key=lambda r: (r.lang, order.index(r.instrument)))


Locale = Annotated[
    str | None,
    QueryParameter(
        pattern=LOCALE_PATTERN,
        max_length=5,
        description="A language or locale (es, es-MX). Left out: a signed-in patient's own "
        "language, else English.",
    ),
]


async def _own_locale(
    request: Request[Any, Any, Any], db: DB, settings: AppSettings, now: Now
) -> str | None:
    """The stored language of the patient whose session the request carries, if any."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    viewer = await resolve_session(db, settings, token, now, client_address(request, settings))
    if viewer is None or viewer.patient_id is None:
        return None
    patient = await db.get(Patient, viewer.patient_id)
    return patient.locale if patient else None


class InstrumentController(Controller):
    path = "/api/instruments"
    tags = ["Instruments"]

    @get(
        "/",
        opt=PUBLIC,
        operation_id="listInstruments",
        policy="public",
        summary="Every instrument: items, options, scoring, bands, LOINC codes, in a language",
        description="Wording and options of PHQ-9 and GAD-7 are exact and must be shown with their "
        "attribution. `lang` picks the language; without it a signed-in patient gets their own "
        "stored language. An instrument with no wording in that language comes whole in English "
        "(`lang` then differs from `requested_lang`), never partly translated.",
    )
    async def catalogue(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        settings: AppSettings,
        now: Now,
        lang: Locale = None,
    ) -> list[InstrumentOut]:
        locale = lang if lang is not None else await _own_locale(request, db, settings, now)
        return catalogue_in(language_of(locale))

    @get(
        "/wordings",
        opt=PUBLIC,
        operation_id="listInstrumentWordings",
        policy="public",
        summary="Each instrument's translations: where they come from and whether confirmed",
        description="Published translations taken from copies (not from the publisher's own "
        "file) name each copy and wait for a clinician's confirmation (`review: "
        "awaiting_clinician`); `status: english` marks a language an instrument is shown in "
        "English for, with the reason.",
    )
    async def wordings(self) -> list[WordingOut]:
        return wordings_out()
