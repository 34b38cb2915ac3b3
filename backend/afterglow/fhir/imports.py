"""Check-ins read from a FHIR Bundle of QuestionnaireResponses and Observations.

Other systems' forms give their questions other linkIds (LOINC's own PHQ-9 says "14363", LHC-Forms
"/44250-9"), so a question is known by its code, never by its linkId: a response's items through
the Questionnaire it names (in the Bundle, or Afterglow's own), an Observation by its own code. The
check-ins found then go through the history import (history/service.py): all or nothing,
importing again adds nothing, and each problem is named by where it is in the Bundle.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from afterglow.accounts.access import open_patient
from afterglow.accounts.viewer import Viewer
from afterglow.errors import InvalidInput, Problem
from afterglow.fhir.codes import AFTERGLOW_SYSTEM, LOINC, questionnaire_url
from afterglow.fhir.questionnaires import KnownItem, known_items, questionnaire
from afterglow.history.schemas import MAX_RECORDS, HistoryImport, ImportedCheckin, SectionResult
from afterglow.history.service import MAX_ERRORS_LISTED, import_history
from afterglow.instruments.registry import REGISTRY, Instrument

IMPORTED = frozenset({"completed", "amended"})
OBSERVED = frozenset({"final", "amended", "corrected"})
WITHDRAWN = frozenset({"entered-in-error", "stopped", "cancelled"})
NOTE = (AFTERGLOW_SYSTEM, "note")


class ImportOutcome(msgspec.Struct):
    checkins: SectionResult
    safety_alerts_raised: int
    # Resources read but not imported, by type: derived Observations whose response is in the
    # Bundle, other records (Patient, infusions ...), withdrawn ones (entered in error).
    left_out: dict[str, int]


def _panels() -> dict[tuple[str, str], Instrument]:
    return {(LOINC, i.loinc_panel): i for i in REGISTRY.values() if i.loinc_panel}


def _totals() -> dict[tuple[str, str], Instrument]:
    return {(LOINC, i.loinc_total): i for i in REGISTRY.values() if i.loinc_total}


def _singles() -> dict[tuple[str, str], Instrument]:
    """Checklists reported as one Observation with a component per item (side effects)."""
    return {(AFTERGLOW_SYSTEM, i.id): i for i in REGISTRY.values() if i.scoring == "none"}


@dataclass
class Found:
    """One check-in being put together from a response or Observations, and where each part is."""

    instrument: Instrument
    path: str
    answers: dict[int, tuple[int, str]] = field(default_factory=dict)
    total: tuple[Any, str] | None = None
    note: str | None = None
    # An answer was refused (and said so): the check-in is not put together.
    refused: bool = False


@dataclass
class Reading:
    checkins: list[ImportedCheckin] = field(default_factory=list)
    # For each check-in: its place in the Bundle, where its time is, where each answer is.
    places: list[tuple[str, str, dict[int, str]]] = field(default_factory=list)
    left_out: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def locate(self, problem: Problem) -> Problem:
        """A history import problem (`checkins[3].answers[1]`) named by its place in the Bundle."""
        head, _, rest = problem.field.partition("]")
        if not head.startswith("checkins["):
            return problem
        index = int(head.removeprefix("checkins["))
        path, time_path, answer_paths = self.places[index]
        if rest.startswith(".taken_at"):
            return Problem(time_path, problem.message)
        if rest.startswith(".answers["):
            position = int(rest.removeprefix(".answers[").partition("]")[0])
            return Problem(answer_paths.get(position, path), problem.message)
        return Problem(path, problem.message)


def _codings(value: Any) -> list[tuple[str, str]]:
    """(system, code) of a CodeableConcept's or a list of Codings' codings."""
    items = value.get("coding") if isinstance(value, dict) else value
    if not isinstance(items, list):
        return []
    return [
        (c["system"], c["code"])
        for c in items
        if isinstance(c, dict)
        and isinstance(c.get("system"), str)
        and isinstance(c.get("code"), str)
    ]


def _list(value: Any) -> list[Any]:
    """A list a sender may have sent as something else: read as empty (never a 500)."""
    return value if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _ref_key(reference: Any) -> str | None:
    if not isinstance(reference, dict) or not isinstance(reference.get("reference"), str):
        return None
    return str(reference["reference"])


class Bundle:
    """The Bundle's entries, indexed by fullUrl and by `Type/id`."""

    def __init__(self, data: dict[str, Any], reading: Reading) -> None:
        self.entries: list[tuple[int, dict[str, Any]]] = []
        self.by_ref: dict[str, int] = {}
        self.questionnaires: dict[str, dict[str, Any]] = {}
        if data.get("resourceType") != "Bundle":
            reading.add("resourceType", "send a FHIR Bundle (resourceType Bundle)")
            return
        entries = data.get("entry")
        if not isinstance(entries, list) or not entries:
            reading.add("entry", "the Bundle has no entries to import")
            return
        for i, entry in enumerate(entries):
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
                reading.add(f"entry[{i}]", "each entry needs a resource with its resourceType")
                continue
            self.entries.append((i, resource))
            kind = resource["resourceType"]
            if isinstance(entry.get("fullUrl"), str):
                self.by_ref[entry["fullUrl"]] = i
            if isinstance(resource.get("id"), str):
                self.by_ref[f"{kind}/{resource['id']}"] = i
            if kind == "Questionnaire" and isinstance(resource.get("url"), str):
                self.questionnaires[resource["url"]] = resource
                if isinstance(resource.get("version"), str):
                    self.questionnaires[f"{resource['url']}|{resource['version']}"] = resource
        self.resources = dict(self.entries)

    def resolve(self, reference: Any) -> int | None:
        key = _ref_key(reference)
        if key is None:
            return None
        if key in self.by_ref:
            return self.by_ref[key]
        # An absolute URL of a resource: its last two segments are Type/id.
        tail = "/".join(key.rstrip("/").split("/")[-2:])
        return self.by_ref.get(tail)

    def questionnaire(self, canonical: str) -> dict[str, Any] | None:
        if canonical in self.questionnaires:
            return self.questionnaires[canonical]
        plain = canonical.partition("|")[0]
        if plain in self.questionnaires:
            return self.questionnaires[plain]
        for instrument in REGISTRY.values():
            if plain == questionnaire_url(instrument.id):
                return questionnaire(instrument)
        return None


def _question_codes(items: Any, found: dict[str, tuple[str, str]]) -> None:
    """linkId -> the first code of each question Afterglow knows (nested groups too)."""
    if not isinstance(items, list):
        return
    known = known_items()
    totals = _totals()
    for item in items:
        if not isinstance(item, dict):
            continue
        link = item.get("linkId")
        if isinstance(link, str):
            for code in _codings(item.get("code")):
                if code in known or code in totals or code == NOTE:
                    found.setdefault(link, code)
                    break
        _question_codes(item.get("item"), found)


def _value(known: KnownItem, holder: dict[str, Any], path: str, reading: Reading) -> int | None:
    """The answer a response item or Observation gives to a known question, as its value."""
    item = known.item
    allowed = {option.value for option in item.options}
    for key in ("valueCoding", "valueCodeableConcept"):
        if key in holder:
            codes = _codings([holder[key]] if key == "valueCoding" else holder[key])
            for option in item.options:
                own = (AFTERGLOW_SYSTEM, f"{item.id}-{option.value}")
                if (LOINC, option.loinc) in codes or own in codes:
                    return option.value
            reading.add(
                f"{path}.{key}",
                f"is not one of the answers to {item.text!r} "
                f"({', '.join(o.loinc or str(o.value) for o in item.options)})",
            )
            return None
    number: Any = holder.get("valueInteger", holder.get("valueDecimal"))
    if number is None and isinstance(holder.get("valueQuantity"), dict):
        number = holder["valueQuantity"].get("value")
    if isinstance(number, int | float) and not isinstance(number, bool) and number in allowed:
        return int(number)
    reading.add(
        path,
        f"answer {item.text!r} with one of its coded answers or a whole number from "
        f"{min(allowed)} to {max(allowed)}",
    )
    return None


def _time(value: Any, path: str, reading: Reading) -> datetime | None:
    if not isinstance(value, str):
        reading.add(path, "when it was answered is needed, with its UTC offset")
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        reading.add(path, f"{value!r} is not a date and time, e.g. 2025-03-01T09:00:00-05:00")
        return None


def _finish(found: Found, taken_at: datetime | None, time_path: str, reading: Reading) -> None:
    """Answers in item order, checked for holes and against a stated total, as a check-in."""
    instrument = found.instrument
    if found.refused:
        return
    if not found.answers:
        reading.add(found.path, f"has no answers to the {instrument.name} questions")
        return
    count = max(found.answers) + 1
    missing = [instrument.items[p] for p in range(count) if p not in found.answers]
    missing += [item for item in instrument.items[count:] if item.required]
    if missing:
        names = ", ".join(f"{item.text!r}" for item in missing)
        reading.add(found.path, f"{instrument.name}: no answer to {names}")
        return
    answers = [found.answers[p][0] for p in range(count)]
    if found.total is not None:
        stated, total_path = found.total
        computed = sum(
            value for item, value in zip(instrument.items, answers, strict=False) if item.scored
        )
        if stated != computed:
            reading.add(
                total_path,
                f"the total {stated!r} is not the sum of the answers ({computed}); "
                "check which answers were mapped",
            )
            return
    if taken_at is None:
        return
    reading.checkins.append(
        ImportedCheckin(
            instrument=instrument.id, answers=answers, taken_at=taken_at, note=found.note
        )
    )
    reading.places.append(
        (found.path, time_path, {p: where for p, (_, where) in found.answers.items()})
    )


def _taken(resource: dict[str, Any], path: str, imported: frozenset[str], reading: Reading) -> bool:
    """Whether a resource's status lets it be imported: withdrawn ones are left out (counted),
    unfinished ones refused by name."""
    status = _str(resource.get("status"))
    if status in WITHDRAWN:
        reading.left_out[f"{resource['resourceType']} ({status})"] += 1
        return False
    if status not in imported:
        reading.add(
            f"{path}.status",
            f"only {' or '.join(sorted(imported))} answers are imported, not {status!r}",
        )
        return False
    return True


def _response(bundle: Bundle, i: int, resource: dict[str, Any], reading: Reading) -> None:
    path = f"entry[{i}].resource"
    if not _taken(resource, path, IMPORTED, reading):
        return
    canonical = resource.get("questionnaire")
    if not isinstance(canonical, str):
        reading.add(f"{path}.questionnaire", "name the Questionnaire this response answers")
        return
    form = bundle.questionnaire(canonical)
    if form is None:
        reading.add(
            f"{path}.questionnaire",
            f"the Questionnaire {canonical} is not in the Bundle: add it, so that its questions "
            "can be matched by their LOINC codes, or send the Observations instead",
        )
        return
    codes: dict[str, tuple[str, str]] = {}
    _question_codes(form.get("item"), codes)
    found: Found | None = None
    known, totals = known_items(), _totals()
    for item, item_path in _walk(resource.get("item"), f"{path}.item"):
        code = codes.get(_str(item.get("linkId")) or "")
        answers = item.get("answer")
        if code is None or not isinstance(answers, list) or not answers:
            continue
        answer = answers[0] if isinstance(answers[0], dict) else {}
        answer_path = f"{item_path}.answer[0]"
        if code == NOTE:
            note = answer.get("valueString")
            if found is not None and isinstance(note, str):
                found.note = note
            continue
        instrument = known[code].instrument if code in known else totals[code]
        if found is None:
            found = Found(instrument, path)
        elif found.instrument is not instrument:
            reading.add(
                item_path, f"answers {instrument.name} in a {found.instrument.name} response"
            )
            return
        if code in totals:
            found.total = (answer.get("valueInteger", answer.get("valueDecimal")), answer_path)
            continue
        value = _value(known[code], answer, answer_path, reading)
        if value is None:
            found.refused = True
        else:
            found.answers[known[code].position] = (value, answer_path)
    if found is None:
        reading.add(
            path,
            "none of its questions is one Afterglow asks (PHQ-9, GAD-7, mood, pain or side "
            "effects, known by their LOINC or Afterglow codes)",
        )
        return
    taken_at = _time(resource.get("authored"), f"{path}.authored", reading)
    _finish(found, taken_at, f"{path}.authored", reading)


def _walk(items: Any, path: str) -> list[tuple[dict[str, Any], str]]:
    """Every item of a response, nested groups and answers' items included, with its path."""
    found: list[tuple[dict[str, Any], str]] = []
    if not isinstance(items, list):
        return found
    for n, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        here = f"{path}[{n}]"
        found.append((item, here))
        found.extend(_walk(item.get("item"), f"{here}.item"))
        answers = item.get("answer")
        if isinstance(answers, list):
            for a, answer in enumerate(answers):
                if isinstance(answer, dict):
                    found.extend(_walk(answer.get("item"), f"{here}.answer[{a}].item"))
    return found


def _effective(
    resource: dict[str, Any], path: str, reading: Reading
) -> tuple[datetime | None, str]:
    for key in ("effectiveDateTime", "effectiveInstant"):
        if key in resource:
            return _time(resource[key], f"{path}.{key}", reading), f"{path}.{key}"
    period = resource.get("effectivePeriod")
    if isinstance(period, dict):
        return _time(period.get("start"), f"{path}.effectivePeriod.start", reading), (
            f"{path}.effectivePeriod.start"
        )
    reading.add(path, "an Observation needs effectiveDateTime: when it was answered")
    return None, path


def _observations(bundle: Bundle, reading: Reading) -> None:
    """Panels with their members, checklists with their components, and single answers."""
    known, panels, totals, singles = known_items(), _panels(), _totals(), _singles()
    members: set[int] = set()
    observations = [(i, r) for i, r in bundle.entries if r["resourceType"] == "Observation"]
    for _, resource in observations:
        if set(_codings(resource.get("code"))) & panels.keys():
            for member in _list(resource.get("hasMember")):
                index = bundle.resolve(member)
                if index is not None:
                    members.add(index)
    loose: dict[tuple[str, str], Found] = {}
    times: dict[tuple[str, str], tuple[datetime | None, str]] = {}
    for i, resource in observations:
        path = f"entry[{i}].resource"
        derived = [bundle.resolve(ref) for ref in _list(resource.get("derivedFrom"))]
        if any(
            d is not None and bundle.resources[d]["resourceType"] == "QuestionnaireResponse"
            for d in derived
        ):
            reading.left_out["Observation (derived from a response in the Bundle)"] += 1
            continue
        if i in members:
            continue
        codes = set(_codings(resource.get("code")))
        mine = codes & (panels.keys() | known.keys() | totals.keys() | singles.keys())
        if not mine:
            reading.left_out["Observation"] += 1
            continue
        if not _taken(resource, path, OBSERVED, reading):
            continue
        code = sorted(mine)[0]
        taken_at, time_path = _effective(resource, path, reading)
        note = (
            " ".join(
                n["text"]
                for n in _list(resource.get("note"))
                if isinstance(n, dict) and isinstance(n.get("text"), str)
            )
            or None
        )
        if code in panels or code in singles:
            instrument = panels.get(code) or singles[code]
            found = Found(instrument, path, note=note)
            parts = [
                (bundle.resources[m], f"entry[{m}].resource")
                for m in (bundle.resolve(ref) for ref in _list(resource.get("hasMember")))
                if m is not None
            ] + [
                (component, f"{path}.component[{c}]")
                for c, component in enumerate(_list(resource.get("component")))
                if isinstance(component, dict)
            ]
            for part, part_path in parts:
                _take(found, part, part_path, known, totals, reading)
            _finish(found, taken_at, time_path, reading)
        elif code in totals:
            reading.add(
                path,
                "a total score alone cannot be imported: Afterglow keeps every answer; send the "
                "item Observations (the panel's hasMember) or the QuestionnaireResponse",
            )
        else:
            instrument = known[code].instrument
            key = (instrument.id, str(taken_at))
            group = loose.setdefault(key, Found(instrument, path, note=note))
            times.setdefault(key, (taken_at, time_path))
            _take(group, resource, path, known, totals, reading)
    for key, group in loose.items():
        _finish(group, *times[key], reading)


def _take(
    found: Found,
    part: dict[str, Any],
    path: str,
    known: dict[tuple[str, str], KnownItem],
    totals: dict[tuple[str, str], Instrument],
    reading: Reading,
) -> None:
    """One item Observation (or component) into the check-in it belongs to."""
    for code in _codings(part.get("code")):
        if code in totals and totals[code] is found.instrument:
            quantity = part.get("valueQuantity")
            stated = (
                quantity.get("value") if isinstance(quantity, dict) else part.get("valueInteger")
            )
            found.total = (stated, path)
            return
        if code in known:
            item = known[code]
            if item.instrument is not found.instrument:
                reading.add(
                    path, f"answers {item.instrument.name} in a {found.instrument.name} record"
                )
                found.refused = True
                return
            value = _value(item, part, path, reading)
            if value is None:
                found.refused = True
            else:
                found.answers[item.position] = (value, path)
            return


def read_bundle(data: dict[str, Any]) -> Reading:
    """Every check-in a Bundle holds, or every problem that keeps it from being imported."""
    reading = Reading()
    bundle = Bundle(data, reading)
    for i, resource in bundle.entries:
        kind = resource["resourceType"]
        if kind == "QuestionnaireResponse":
            _response(bundle, i, resource, reading)
        elif kind != "Observation":
            reading.left_out[kind] += 1
    if bundle.entries:
        _observations(bundle, reading)
    if len(reading.checkins) > MAX_RECORDS:
        reading.add(
            "entry", f"holds {len(reading.checkins)} check-ins; send at most {MAX_RECORDS} at once"
        )
    if reading.problems:
        raise InvalidInput(
            f"{len(reading.problems)} problem(s) in the Bundle; nothing was imported.",
            reading.problems[:MAX_ERRORS_LISTED],
        )
    return reading


async def import_responses(
    db: AsyncSession, viewer: Viewer, patient_id: int, data: dict[str, Any], now: datetime
) -> ImportOutcome:
    """A clinician's import into one of their patients (audited with its count); the caller
    commits. Who may import is settled before anything about the Bundle is said."""
    try:
        reading: Reading | None = read_bundle(data)
        refused: InvalidInput | None = None
    except InvalidInput as error:
        reading, refused = None, error
    patient = await open_patient(
        db,
        viewer,
        patient_id,
        "fhir.import",
        staff_only=True,
        detail={"checkins": len(reading.checkins) if reading else 0},
    )
    if refused is not None or reading is None:
        assert refused is not None
        raise refused
    try:
        result = await import_history(
            db, patient, HistoryImport(checkins=reading.checkins), now, viewer.user_id
        )
    except InvalidInput as error:
        raise InvalidInput(
            error.message.replace("record(s)", "check-in(s)"),
            [reading.locate(problem) for problem in error.problems],
        ) from None
    return ImportOutcome(
        checkins=result.checkins,
        safety_alerts_raised=result.safety_alerts_raised,
        left_out=dict(sorted(reading.left_out.items())),
    )
