"""Afterglow's records as FHIR R4 resources: plain functions from a record's values to JSON dicts.

No database and no clock here (export.py reads the rows). Which resource each record becomes:
a check-in is a QuestionnaireResponse (the source of truth) and the Observations derived from it;
an infusion a MedicationAdministration (and a blood-pressure Observation per reading); a
hospitalisation an Encounter, a suicide attempt a Condition, a start of ECT/TMS a Procedure, a
medication change an Observation; a safety alert a Flag; a relief episode an Observation; a
journal entry the patient shares with the clinic a Communication from the patient.

Resources share their constant parts (an item's codes, an answer's coding) with one another:
encode them, never edit one in place.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from typing import Any

from afterglow.catalogue import catalogue
from afterglow.fhir.codes import (
    ACT_CODE,
    BCP47,
    BP_DIASTOLIC,
    BP_PANEL,
    BP_SYSTOLIC,
    CONDITION_VERIFICATION,
    DRUG_TEXT,
    ESKETAMINE_RXNORM,
    FLAG_CATEGORY,
    FLAG_DETAIL,
    IDENTIFIER_TYPE,
    LOINC,
    LOINC_PANEL_DISPLAY,
    LOINC_TOTAL_DISPLAY,
    OBSERVATION_CATEGORY,
    ROUTE_SNOMED,
    RXNORM,
    SNOMED,
    TIME_ZONE,
    UCUM,
    afterglow,
    coding,
    concept,
    questionnaire_url,
    score_quantity,
)
from afterglow.fhir.questionnaires import (
    NOTE_LINK_ID,
    answer_coding,
    is_scale,
    item_coding,
    link_id,
    note_text,
    total_link_id,
)
from afterglow.instruments.registry import REGISTRY, Instrument
from afterglow.journal.schemas import SharedJournalEntryOut
from afterglow.relief.episodes import Episode

SURVEY = [concept(coding(OBSERVATION_CATEGORY, "survey", "Survey"))]
VITAL_SIGNS = [concept(coding(OBSERVATION_CATEGORY, "vital-signs", "Vital Signs"))]
MMHG = {"unit": "mmHg", "system": UCUM, "code": "mm[Hg]"}


def instant(moment: datetime) -> str:
    """A stored time as FHIR writes it: with its offset (SQLite hands some back naive, in UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.isoformat()


def patient_ref(patient_id: int) -> dict[str, str]:
    return {"reference": f"Patient/{patient_id}"}


def _notes(*texts: str | None) -> list[dict[str, str]]:
    return [{"text": text} for text in texts if text]


def _narrative(text: str) -> dict[str, str]:
    return {
        "status": "generated",
        "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{html.escape(text)}</div>',
    }


@dataclass(frozen=True)
class PatientFacts:
    id: int
    display_name: str
    email: str | None
    timezone: str
    locale: str
    country: str | None
    external_id: str | None
    is_active: bool
    clinic_name: str


def patient(facts: PatientFacts) -> dict[str, Any]:
    """The pseudonymous record Afterglow holds, with the clinic's record number to match on."""
    found: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(facts.id),
        "extension": [{"url": TIME_ZONE, "valueCode": facts.timezone}],
    }
    if facts.external_id:
        found["identifier"] = [
            {
                "use": "usual",
                "type": concept(coding(IDENTIFIER_TYPE, "MR", "Medical record number")),
                "value": facts.external_id,
                "assigner": {"display": facts.clinic_name},
            }
        ]
    found["active"] = facts.is_active
    found["name"] = [{"text": facts.display_name}]
    if facts.email:
        found["telecom"] = [{"system": "email", "value": facts.email}]
    if facts.country:
        found["address"] = [{"country": facts.country}]
    found["communication"] = [{"language": concept(coding(BCP47, facts.locale)), "preferred": True}]
    return found


@dataclass(frozen=True)
class CheckinFacts:
    id: int
    patient_id: int
    instrument: str
    answers: list[int]
    score: int | None
    band: str | None
    note: str | None
    taken_at: datetime
    received_at: datetime


def _answer(instrument: Instrument, position: int, value: int) -> dict[str, Any]:
    item = instrument.items[position]
    if is_scale(instrument, item):
        return {"valueInteger": value}
    option = next(o for o in item.options if o.value == value)
    return {"valueCoding": answer_coding(item, option)}


# What a check-in's resources share with every other check-in of its instrument (an item's
# wording and codes, an answer's coding), built once: an export builds millions of them.
@cache
def _questionnaire_url(instrument_id: str) -> str:
    return questionnaire_url(instrument_id)


@lru_cache(maxsize=4096)
def _response_item(instrument_id: str, position: int, value: int) -> dict[str, Any]:
    instrument = REGISTRY[instrument_id]
    item = instrument.items[position]
    return {
        "linkId": link_id(instrument, item),
        "text": item.text,
        "answer": [_answer(instrument, position, value)],
    }


def questionnaire_response(checkin: CheckinFacts) -> dict[str, Any]:
    instrument = REGISTRY[checkin.instrument]
    items: list[dict[str, Any]] = [
        _response_item(instrument.id, position, value)
        for position, value in enumerate(checkin.answers[: len(instrument.items)])
    ]
    total = total_link_id(instrument)
    if total is not None and checkin.score is not None:
        items.append(
            {"linkId": total, "text": "Total score", "answer": [{"valueInteger": checkin.score}]}
        )
    if checkin.note:
        items.append(
            {
                "linkId": NOTE_LINK_ID,
                "text": note_text(instrument),
                "answer": [{"valueString": checkin.note}],
            }
        )
    subject = patient_ref(checkin.patient_id)
    return {
        "resourceType": "QuestionnaireResponse",
        "id": f"checkin-{checkin.id}",
        "questionnaire": _questionnaire_url(instrument.id),
        "status": "completed",
        "subject": subject,
        "authored": instant(checkin.taken_at),
        "author": subject,
        "source": subject,
        "item": items,
    }


@lru_cache(maxsize=4096)
def _value(instrument_id: str, position: int, value: int) -> dict[str, Any]:
    answer = _answer(REGISTRY[instrument_id], position, value)
    if "valueCoding" in answer:
        return {
            "valueCodeableConcept": concept(
                answer["valueCoding"], text=answer["valueCoding"]["display"]
            )
        }
    return answer


@cache
def _item_codes(instrument_id: str) -> tuple[tuple[str, dict[str, Any], dict[str, Any]], ...]:
    """Each item's (linkId, code as the item's own Observation, code as a component)."""
    instrument = REGISTRY[instrument_id]
    return tuple(
        (
            link_id(instrument, item),
            concept(
                item_coding(instrument, item),
                text=instrument.name if instrument.scoring == "single" else item.text,
            ),
            concept(item_coding(instrument, item), text=item.text),
        )
        for item in instrument.items
    )


@cache
def _instrument_codes(instrument_id: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The code of a checklist's one Observation (or a scored instrument's panel), and of its
    total score (None: no total)."""
    instrument = REGISTRY[instrument_id]
    if instrument.scoring == "none" or instrument.loinc_panel is None:
        return concept(afterglow(instrument.id), text=instrument.name), None
    panel = concept(
        coding(LOINC, instrument.loinc_panel, LOINC_PANEL_DISPLAY.get(instrument.loinc_panel)),
        text=instrument.name,
    )
    if instrument.loinc_total is None:
        return panel, None
    total = concept(
        coding(LOINC, instrument.loinc_total, LOINC_TOTAL_DISPLAY.get(instrument.loinc_total)),
        text=f"{instrument.name} total score",
    )
    return panel, total


def checkin_observations(checkin: CheckinFacts) -> list[dict[str, Any]]:
    """What is derived from a check-in: a scored instrument's panel with an Observation per item
    and the total; a single-scale one (mood, pain) as one Observation; a checklist (side
    effects) as one Observation with a component per item."""
    instrument = REGISTRY[checkin.instrument]
    key = instrument.id
    codes = _item_codes(key)
    answers = checkin.answers[: len(codes)]
    prefix = f"checkin-{checkin.id}-"
    subject = patient_ref(checkin.patient_id)
    taken, received = instant(checkin.taken_at), instant(checkin.received_at)
    derived = [{"reference": f"QuestionnaireResponse/checkin-{checkin.id}"}]

    def observation(suffix: str, code: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
        return {
            "resourceType": "Observation",
            "id": prefix + suffix,
            "status": "final",
            "category": SURVEY,
            "code": code,
            "subject": subject,
            "effectiveDateTime": taken,
            "issued": received,
            "performer": [subject],
            **values,
            "derivedFrom": derived,
        }

    note = {"note": _notes(checkin.note)} if checkin.note else {}
    if instrument.scoring == "single":
        suffix, code, _ = codes[0]
        return [observation(suffix, code, {**_value(key, 0, checkin.answers[0]), **note})]
    panel_code, total_code = _instrument_codes(key)
    if instrument.scoring == "none" or instrument.loinc_panel is None:
        component = [
            {"code": codes[position][2], **_value(key, position, value)}
            for position, value in enumerate(answers)
        ]
        return [observation(instrument.id, panel_code, {"component": component, **note})]
    members = [
        observation(codes[position][0], codes[position][2], _value(key, position, value))
        for position, value in enumerate(answers)
    ]
    if total_code is not None and checkin.score is not None:
        total = observation("total", total_code, {"valueQuantity": score_quantity(checkin.score)})
        band = instrument.band_for(checkin.score)
        if band is not None:
            total["interpretation"] = [{"text": band.label}]
        members.append(total)
    panel = observation(
        "panel",
        panel_code,
        {"hasMember": [{"reference": f"Observation/{member['id']}"} for member in members], **note},
    )
    return [panel, *members]


@dataclass(frozen=True)
class InfusionFacts:
    id: int
    patient_id: int
    given_at: datetime
    drug: str | None
    route: str
    kind: str
    dose_mg_per_kg: float | None
    dose_mg: float | None
    bp_systolic_before: int | None
    bp_diastolic_before: int | None
    bp_systolic_40min: int | None
    bp_diastolic_40min: int | None
    bp_systolic_discharge: int | None
    bp_diastolic_discharge: int | None
    dissociation_notes: str | None
    lot_number: str | None
    notes: str | None
    deleted_at: datetime | None
    deleted_reason: str | None


def _medication(infusion: InfusionFacts) -> dict[str, Any]:
    text = DRUG_TEXT[infusion.drug]
    if infusion.drug == "esketamine":
        code = concept(coding(RXNORM, *ESKETAMINE_RXNORM), text=text)
    else:
        # No citable RxNorm code for racemic ketamine was reachable: the drug is named in text.
        code = {"text": text}
    medication: dict[str, Any] = {"resourceType": "Medication", "id": "drug", "code": code}
    if infusion.lot_number:
        medication["batch"] = {"lotNumber": infusion.lot_number}
    return medication


def _dose(infusion: InfusionFacts) -> dict[str, Any]:
    doses = []
    if infusion.dose_mg_per_kg is not None:
        doses.append(f"{infusion.dose_mg_per_kg:g} mg/kg")
    if infusion.dose_mg is not None:
        doses.append(f"{infusion.dose_mg:g} mg")
    route_code, route_display = ROUTE_SNOMED[infusion.route]
    dosage: dict[str, Any] = {
        "text": ", ".join([*doses, route_display.lower()]),
        "route": concept(coding(SNOMED, route_code, route_display), text=route_display),
    }
    if infusion.dose_mg is not None:
        dosage["dose"] = {"value": infusion.dose_mg, "unit": "mg", "system": UCUM, "code": "mg"}
    elif infusion.dose_mg_per_kg is not None:
        dosage["dose"] = {
            "value": infusion.dose_mg_per_kg,
            "unit": "mg/kg",
            "system": UCUM,
            "code": "mg/kg",
        }
    return dosage


def medication_administration(infusion: InfusionFacts) -> dict[str, Any]:
    kind_display = afterglow(infusion.kind)["display"]
    notes = _notes(
        f"Dissociation: {infusion.dissociation_notes}" if infusion.dissociation_notes else None,
        infusion.notes,
        f"Entered in error: {infusion.deleted_reason}" if infusion.deleted_reason else None,
    )
    found: dict[str, Any] = {
        "resourceType": "MedicationAdministration",
        "id": f"infusion-{infusion.id}",
        "contained": [_medication(infusion)],
        "status": "entered-in-error" if infusion.deleted_at is not None else "completed",
        "category": concept(afterglow(infusion.kind), text=kind_display),
        "medicationReference": {"reference": "#drug"},
        "subject": patient_ref(infusion.patient_id),
        # When it started; Afterglow does not record when an infusion ended.
        "effectivePeriod": {"start": instant(infusion.given_at)},
        "dosage": _dose(infusion),
    }
    if notes:
        found["note"] = notes
    return found


BP_READINGS = (
    ("before", "before the infusion", timedelta(0)),
    ("40min", "40 minutes after the start", timedelta(minutes=40)),
    ("discharge", "at discharge (its time is not recorded: the start is given)", timedelta(0)),
)


def blood_pressures(infusion: InfusionFacts) -> list[dict[str, Any]]:
    """One vital-signs Observation per blood-pressure reading of the infusion, part of it."""
    found = []
    for key, said, offset in BP_READINGS:
        systolic = getattr(infusion, f"bp_systolic_{key}")
        diastolic = getattr(infusion, f"bp_diastolic_{key}")
        if systolic is None and diastolic is None:
            continue
        components = []
        for code, display, value in (
            (BP_SYSTOLIC, "Systolic blood pressure", systolic),
            (BP_DIASTOLIC, "Diastolic blood pressure", diastolic),
        ):
            if value is not None:
                components.append(
                    {
                        "code": concept(coding(LOINC, code, display)),
                        "valueQuantity": {"value": value, **MMHG},
                    }
                )
        found.append(
            {
                "resourceType": "Observation",
                "id": f"infusion-{infusion.id}-bp-{key}",
                "partOf": [{"reference": f"MedicationAdministration/infusion-{infusion.id}"}],
                "status": "entered-in-error" if infusion.deleted_at is not None else "final",
                "category": VITAL_SIGNS,
                "code": concept(
                    coding(LOINC, BP_PANEL, "Blood pressure panel with all children optional"),
                    text=f"Blood pressure {said}",
                ),
                "subject": patient_ref(infusion.patient_id),
                "effectiveDateTime": instant(infusion.given_at + offset),
                "component": components,
            }
        )
    return found


@dataclass(frozen=True)
class EventFacts:
    id: int
    patient_id: int
    kind: str
    occurred_at: datetime
    notes: str | None
    deleted_at: datetime | None
    deleted_reason: str | None


def clinical_event(event: EventFacts) -> dict[str, Any]:
    """Each kind in the resource that fits it (the module's docstring lists them)."""
    in_error = event.deleted_at is not None
    code = concept(afterglow(event.kind), text=afterglow(event.kind)["display"])
    subject = patient_ref(event.patient_id)
    at = instant(event.occurred_at)
    notes = _notes(
        event.notes, f"Entered in error: {event.deleted_reason}" if event.deleted_reason else None
    )
    resource: dict[str, Any]
    if event.kind == "hospitalisation":
        resource = {
            "resourceType": "Encounter",
            "status": "entered-in-error" if in_error else "unknown",
            "class": coding(ACT_CODE, "IMP", "inpatient encounter"),
            "type": [code],
            "subject": subject,
            "period": {"start": at},
        }
        if notes:
            # An Encounter has no notes of its own: they are its narrative.
            resource["text"] = _narrative(" / ".join(n["text"] for n in notes))
    elif event.kind == "suicide_attempt":
        resource = {
            "resourceType": "Condition",
            "verificationStatus": concept(
                coding(CONDITION_VERIFICATION, "entered-in-error" if in_error else "confirmed")
            ),
            "code": code,
            "subject": subject,
            "onsetDateTime": at,
        }
    elif event.kind == "ect_tms_start":
        resource = {
            "resourceType": "Procedure",
            "status": "entered-in-error" if in_error else "in-progress",
            "code": code,
            "subject": subject,
            "performedDateTime": at,
        }
    else:
        resource = {
            "resourceType": "Observation",
            "status": "entered-in-error" if in_error else "final",
            "code": code,
            "subject": subject,
            "effectiveDateTime": at,
        }
    if notes and resource["resourceType"] != "Encounter":
        resource["note"] = notes
    return {"resourceType": resource.pop("resourceType"), "id": f"event-{event.id}", **resource}


@dataclass(frozen=True)
class AlertFacts:
    id: int
    patient_id: int
    checkin_id: int
    item9: int
    level: str
    status: str
    created_at: datetime
    escalated_at: datetime | None
    acknowledged_at: datetime | None
    ack_note: str | None


def safety_alert(alert: AlertFacts) -> dict[str, Any]:
    """A Flag: active until a clinician acknowledges it, pointing at the PHQ-9 that raised it."""
    said = [f"PHQ-9 item 9 answered {alert.item9} ({alert.level})."]
    if alert.escalated_at is not None:
        said.append(f"Escalated {instant(alert.escalated_at)}.")
    if alert.acknowledged_at is not None:
        said.append(f"Acknowledged {instant(alert.acknowledged_at)}: {alert.ack_note or ''}")
    period: dict[str, str] = {"start": instant(alert.created_at)}
    if alert.acknowledged_at is not None:
        period["end"] = instant(alert.acknowledged_at)
    return {
        "resourceType": "Flag",
        "id": f"alert-{alert.id}",
        "text": _narrative(" ".join(said)),
        "extension": [
            {
                "url": FLAG_DETAIL,
                "valueReference": {
                    "reference": f"QuestionnaireResponse/checkin-{alert.checkin_id}"
                },
            }
        ],
        "status": "active" if alert.status == "open" else "inactive",
        "category": [concept(coding(FLAG_CATEGORY, "safety", "Safety"))],
        "code": concept(afterglow("phq9-item9-alert"), text=said[0]),
        "subject": patient_ref(alert.patient_id),
        "period": period,
    }


def relief_episode(patient_id: int, episode: Episode) -> dict[str, Any]:
    """An episode as an Observation of Afterglow's own codes, part of the infusion that began it,
    derived from the PHQ-9s it was judged on."""
    start_infusion = episode.infusion_ids[-1]
    components: list[dict[str, Any]] = [
        {
            "code": concept(afterglow("relief-outcome")),
            "valueCodeableConcept": concept(afterglow(episode.outcome)),
        },
        {"code": concept(afterglow("relief-remitted")), "valueBoolean": episode.remitted},
    ]
    if episode.duration_days is not None:
        components.append(
            {
                "code": concept(afterglow("relief-duration")),
                "valueQuantity": {
                    "value": round(episode.duration_days, 3),
                    "unit": "d",
                    "system": UCUM,
                    "code": "d",
                },
            }
        )
    for code, score in (
        ("relief-baseline", episode.baseline),
        ("relief-nadir", episode.nadir_score),
    ):
        if score is not None:
            components.append(
                {"code": concept(afterglow(code)), "valueQuantity": score_quantity(score)}
            )
    reason = episode.relapse_reason or episode.censor_reason or episode.unassessed_reason
    if reason is not None:
        components.append({"code": concept(afterglow("relief-reason")), "valueString": reason})
    found: dict[str, Any] = {
        "resourceType": "Observation",
        "id": f"relief-{start_infusion}",
        "partOf": [
            {"reference": f"MedicationAdministration/infusion-{infusion_id}"}
            for infusion_id in episode.infusion_ids
        ],
        "status": "preliminary" if episode.outcome == "ongoing" else "final",
        "code": concept(afterglow("relief-episode"), text="Relief episode"),
        "subject": patient_ref(patient_id),
        "effectivePeriod": {"start": instant(episode.start), "end": instant(episode.end)},
        "component": components,
    }
    if episode.points:
        found["derivedFrom"] = [
            {"reference": f"QuestionnaireResponse/checkin-{point.phq9_id}"}
            for point in episode.points
        ]
    if episode.probable_relapse:
        found["note"] = [
            {"text": "Probable relapse: a qualifying score was neither confirmed nor refuted."}
        ]
    return found


JOURNAL_PROMPTS = ("stood_out", "day_after", "carry_forward")


def journal_entry(patient_id: int, entry: SharedJournalEntryOut) -> dict[str, Any]:
    """A shared entry as the patient's message to the clinic: each prompt the patient answered
    (in the app's English words), then their own text. Private entries never come here."""
    _, prompts = catalogue().texts("en", *(f"journal.prompt.{name}" for name in JOURNAL_PROMPTS))
    parts = [
        f"{prompt} {answer}"
        for prompt, answer in zip(
            prompts, (getattr(entry, name) for name in JOURNAL_PROMPTS), strict=True
        )
        if answer
    ]
    if entry.text:
        parts.append(entry.text)
    found: dict[str, Any] = {
        "resourceType": "Communication",
        "id": f"journal-{entry.id}",
        "status": "completed",
        "category": [concept(afterglow("journal-entry"), text="Journal entry")],
        "subject": patient_ref(patient_id),
        "sent": instant(entry.written_at),
        "received": instant(entry.shared_at),
        "sender": patient_ref(patient_id),
        "payload": [{"contentString": part} for part in parts],
    }
    if entry.edited_at is not None:
        found["note"] = [{"text": f"Edited {instant(entry.edited_at)}"}]
    return found
