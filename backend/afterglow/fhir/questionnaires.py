"""Each instrument of the registry as a FHIR Questionnaire, and how its items and answers are coded.

One rule for every instrument, so a new scale exports with no new code: an item is coded with its
LOINC code when the registry has one (pain: the 0-10 numeric rating, 72514-3), else with
Afterglow's own code, the item's id; that code is also the item's `linkId`. An answer is coded
with its LOINC answer code when it has one, else with Afterglow's `<item>-<value>`; a 0-10 scale
is an integer item. The wording is the registry's English, word for word.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cache
from typing import Any

from afterglow.fhir.codes import (
    AFTERGLOW_CONCEPTS,
    AFTERGLOW_SYSTEM,
    LOINC,
    LOINC_FORM,
    LOINC_PANEL_DISPLAY,
    LOINC_TOTAL_DISPLAY,
    MAX_VALUE,
    MIN_VALUE,
    ORDINAL_VALUE,
    PAIN_LOINC,
    afterglow,
    coding,
    questionnaire_url,
)
from afterglow.instruments.registry import REGISTRY, Instrument, Item, Option

NOTE_LINK_ID = "note"


def item_coding(instrument: Instrument, item: Item) -> dict[str, Any]:
    if item.loinc is not None:
        return coding(LOINC, item.loinc, item.text)
    if instrument.id == "pain":
        return coding(LOINC, PAIN_LOINC, "Pain severity - 0-10 verbal numeric rating [Score]")
    return coding(AFTERGLOW_SYSTEM, item.id, item.text)


def link_id(instrument: Instrument, item: Item) -> str:
    return str(item_coding(instrument, item)["code"])


def is_scale(instrument: Instrument, item: Item) -> bool:
    """A single 0-N slider (mood, pain): an integer item rather than N+1 choices."""
    return instrument.scoring == "single" and all(o.loinc is None for o in item.options)


def answer_coding(item: Item, option: Option) -> dict[str, Any]:
    if option.loinc is not None:
        return coding(LOINC, option.loinc, option.label)
    return coding(AFTERGLOW_SYSTEM, f"{item.id}-{option.value}", option.label)


def total_link_id(instrument: Instrument) -> str | None:
    return instrument.loinc_total if instrument.scoring == "sum" else None


def note_text(instrument: Instrument) -> str:
    return instrument.free_text_label or "Note"


def _question(instrument: Instrument, item: Item) -> dict[str, Any]:
    question: dict[str, Any] = {
        "linkId": link_id(instrument, item),
        "code": [item_coding(instrument, item)],
        "text": item.text,
        "required": item.required,
    }
    if is_scale(instrument, item):
        low, high = item.options[0], item.options[-1]
        question["text"] = f"{item.text} ({low.value} = {low.label}, {high.value} = {high.label})"
        question["type"] = "integer"
        question["extension"] = [
            {"url": MIN_VALUE, "valueInteger": low.value},
            {"url": MAX_VALUE, "valueInteger": high.value},
        ]
        return question
    question["type"] = "choice"
    question["answerOption"] = [
        {
            "extension": [{"url": ORDINAL_VALUE, "valueDecimal": option.value}],
            "valueCoding": answer_coding(item, option),
        }
        for option in item.options
    ]
    return question


def questionnaire(instrument: Instrument) -> dict[str, Any]:
    """The instrument as a Questionnaire (the stem first, as a display item)."""
    items: list[dict[str, Any]] = []
    if instrument.stem:
        items.append({"linkId": "stem", "text": instrument.stem, "type": "display"})
    items.extend(_question(instrument, item) for item in instrument.items)
    total = total_link_id(instrument)
    if total is not None:
        items.append(
            {
                "linkId": total,
                "code": [coding(LOINC, total, LOINC_TOTAL_DISPLAY.get(total))],
                "text": "Total score",
                "type": "integer",
                "readOnly": True,
            }
        )
    items.append(
        {
            "linkId": NOTE_LINK_ID,
            "code": [afterglow("note")],
            "text": note_text(instrument),
            "type": "text",
            "required": False,
        }
    )
    found: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": f"afterglow-{instrument.id}",
        "url": questionnaire_url(instrument.id),
        "name": "Afterglow" + "".join(part.capitalize() for part in instrument.id.split("_")),
        "title": instrument.name,
        "status": "active",
        "subjectType": ["Patient"],
        "publisher": "Afterglow",
        "description": f"{instrument.name}, as Afterglow asks it ({instrument.cadence}).",
    }
    if instrument.id in LOINC_FORM:
        found["derivedFrom"] = [LOINC_FORM[instrument.id]]
    if instrument.attribution:
        found["copyright"] = instrument.attribution
    if instrument.loinc_panel:
        found["code"] = [
            coding(LOINC, instrument.loinc_panel, LOINC_PANEL_DISPLAY.get(instrument.loinc_panel))
        ]
    found["item"] = items
    return found


@cache
def _questionnaires() -> tuple[dict[str, Any], ...]:
    return tuple(questionnaire(instrument) for instrument in REGISTRY.values())


async def instrument_questionnaires() -> list[dict[str, Any]]:
    """A Questionnaire for every instrument Afterglow publishes (fresh copies: callers may edit)."""
    return copy.deepcopy(list(_questionnaires()))


def attribution_lines() -> list[str]:
    """Each distinct attribution the instruments carry, once."""
    return sorted({i.attribution for i in REGISTRY.values() if i.attribution})


@dataclass(frozen=True)
class KnownItem:
    """Where a coded question lands in Afterglow: which instrument, which answer position."""

    instrument: Instrument
    position: int

    @property
    def item(self) -> Item:
        return self.instrument.items[self.position]


@cache
def known_items() -> dict[tuple[str, str], KnownItem]:
    """(system, code) of every question Afterglow asks -> the instrument and item it is."""
    found: dict[tuple[str, str], KnownItem] = {}
    for instrument in REGISTRY.values():
        for position, item in enumerate(instrument.items):
            code = item_coding(instrument, item)
            found[(code["system"], code["code"])] = KnownItem(instrument, position)
    return found


def afterglow_concepts() -> list[tuple[str, str, str]]:
    """Every code of Afterglow's code system: the fixed ones and each instrument's own items
    and answers (code, display, definition)."""
    found = [
        (code, display, definition) for code, (display, definition) in AFTERGLOW_CONCEPTS.items()
    ]
    seen = {code for code, _, _ in found}
    for instrument in REGISTRY.values():
        for item in instrument.items:
            question = item_coding(instrument, item)
            if question["system"] == AFTERGLOW_SYSTEM and question["code"] not in seen:
                seen.add(question["code"])
                found.append((item.id, item.text, f"{instrument.name}: {item.text}"))
            if is_scale(instrument, item):
                continue
            for option in item.options:
                answer = answer_coding(item, option)
                if answer["system"] == AFTERGLOW_SYSTEM and answer["code"] not in seen:
                    seen.add(answer["code"])
                    found.append(
                        (
                            answer["code"],
                            option.label,
                            f"{item.text}: {option.label} ({option.value})",
                        )
                    )
    return found


def afterglow_code_system() -> dict[str, Any]:
    """Afterglow's code system as a CodeSystem resource: every code its resources use, defined."""
    concepts = afterglow_concepts()
    return {
        "resourceType": "CodeSystem",
        "id": "afterglow",
        "url": AFTERGLOW_SYSTEM,
        "name": "Afterglow",
        "title": "Afterglow outcome-tracking concepts",
        "status": "active",
        "publisher": "Afterglow",
        "description": (
            "Concepts Afterglow records that no standard code system names: the daily mood, "
            "side effects after an infusion, infusion and clinical event kinds, safety alerts "
            "and relief episodes."
        ),
        "caseSensitive": True,
        "content": "complete",
        "count": len(concepts),
        "concept": [
            {"code": code, "display": display, "definition": definition}
            for code, display, definition in concepts
        ],
    }
