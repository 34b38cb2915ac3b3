"""Validate and score answers against an instrument definition. Pure functions, no I/O."""

from __future__ import annotations

from dataclasses import dataclass

from afterglow.instruments.registry import REGISTRY, Instrument


class AnswerError(ValueError):
    """Answers that do not fit the instrument; `field` names what to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Scored:
    instrument: Instrument
    answers: tuple[int, ...]
    score: int | None
    band: str | None
    band_label: str | None
    item9: int | None


def get_instrument(instrument_id: str) -> Instrument:
    try:
        return REGISTRY[instrument_id]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise AnswerError(
            "instrument", f"unknown instrument {instrument_id!r}; use one of: {known}"
        ) from None


def score_answers(instrument_id: str, answers: list[int] | tuple[int, ...]) -> Scored:
    """Check the answers (count and range, in item order) and compute score, band and item 9."""
    instrument = get_instrument(instrument_id)
    n_required, n_all = instrument.required_items, len(instrument.items)
    if not n_required <= len(answers) <= n_all:
        expected = str(n_all) if n_required == n_all else f"{n_required} or {n_all}"
        raise AnswerError(
            "answers",
            f"{instrument.id} takes {expected} answers in item order, got {len(answers)}",
        )
    for index, (item, value) in enumerate(zip(instrument.items, answers, strict=False)):
        allowed = [o.value for o in item.options]
        if isinstance(value, bool) or not isinstance(value, int) or value not in allowed:
            raise AnswerError(
                f"answers[{index}]",
                f"answer {index + 1} ({item.id}) must be a whole number from "
                f"{min(allowed)} to {max(allowed)}, got {value!r}",
            )
    values = tuple(answers)
    score: int | None
    if instrument.scoring == "sum":
        score = sum(v for item, v in zip(instrument.items, values, strict=False) if item.scored)
    elif instrument.scoring == "single":
        score = values[0]
    else:
        score = None
    band = instrument.band_for(score) if score is not None else None
    item9: int | None = None
    if instrument.safety_item is not None:
        position = [item.id for item in instrument.items].index(instrument.safety_item)
        item9 = values[position]
    return Scored(
        instrument=instrument,
        answers=values,
        score=score,
        band=band.id if band else None,
        band_label=band.label if band else None,
        item9=item9,
    )
