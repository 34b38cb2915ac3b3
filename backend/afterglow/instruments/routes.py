"""HTTP for the instrument registry: the app renders every questionnaire from this."""

from __future__ import annotations

import msgspec
from litestar import Controller, get

from afterglow.accounts.auth import PUBLIC
from afterglow.instruments.registry import REGISTRY, Instrument


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


def instrument_out(instrument: Instrument) -> InstrumentOut:
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
        bands=[BandOut(b.low, b.high, b.id, b.label) for b in instrument.bands],
        score_range=list(instrument.score_range) if instrument.score_range else None,
        loinc_panel=instrument.loinc_panel,
        loinc_total=instrument.loinc_total,
        attribution=instrument.attribution,
        free_text_label=instrument.free_text_label,
        opt_in=instrument.opt_in,
        cadence=instrument.cadence,
    )


_CATALOGUE = [instrument_out(i) for i in REGISTRY.values()]


class InstrumentController(Controller):
    path = "/api/instruments"
    tags = ["Instruments"]

    @get(
        "/",
        opt=PUBLIC,
        operation_id="listInstruments",
        policy="public",
        summary="Every instrument: items, options, scoring, bands, LOINC codes",
        description="Wording and options of PHQ-9 and GAD-7 are exact and must be shown with their attribution.",
    )
    async def catalogue(self) -> list[InstrumentOut]:
        return _CATALOGUE
