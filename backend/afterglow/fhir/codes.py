"""The code systems and codes Afterglow's FHIR resources use, in one place.

Each external code was checked against a source a reader can open (README, "FHIR"): LOINC and the
PHQ-9 / GAD-7 answer lists against LOINC's own PHQ-9 Questionnaire and the US Core examples,
routes against FHIR R4's SNOMED CT route value set, esketamine against RxNorm. Racemic ketamine
has no RxNorm code here: no citable source for one was reachable, so the drug goes as text.
Afterglow's own concepts (the daily mood, side effects, relief episodes, alerts, event kinds) are
in its own code system, `AFTERGLOW_SYSTEM`, whose definition travels in every export.
"""

from __future__ import annotations

import uuid
from typing import Any

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
BCP47 = "urn:ietf:bcp:47"

ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
FLAG_DETAIL = "http://hl7.org/fhir/StructureDefinition/flag-detail"
TIME_ZONE = "http://hl7.org/fhir/StructureDefinition/tz-code"

# Afterglow has no web domain of its own to name its codes by, so they are identified the way FHIR
# allows for such a publisher: by a UUID, the same in every installation, so exports from any
# Afterglow read alike. Questionnaire canonicals are derived from it the same way.
AFTERGLOW_NAMESPACE = uuid.UUID("8d0f8a5e-3c1b-5a47-9f2e-6b1d4c7a2e90")
AFTERGLOW_SYSTEM = f"urn:uuid:{AFTERGLOW_NAMESPACE}"


def questionnaire_url(instrument_id: str) -> str:
    """The canonical URL of Afterglow's Questionnaire for an instrument (stable everywhere)."""
    return f"urn:uuid:{uuid.uuid5(AFTERGLOW_NAMESPACE, f'Questionnaire/{instrument_id}')}"


# LOINC's own forms, which Afterglow's PHQ-9 and GAD-7 are derived from.
LOINC_FORM = {"phq9": "http://loinc.org/q/44249-1", "gad7": "http://loinc.org/q/69737-5"}
LOINC_PANEL_DISPLAY = {
    "44249-1": "PHQ-9 quick depression assessment panel [Reported.PHQ]",
    "69737-5": "Generalized anxiety disorder 7 item (GAD-7)",
}
LOINC_TOTAL_DISPLAY = {
    "44261-6": "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]",
    "70274-6": "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]",
}
# Pain severity - 0-10 verbal numeric rating [Score] - Reported.
PAIN_LOINC = "72514-3"
# Blood pressure panel and its systolic and diastolic components (FHIR vital signs).
BP_PANEL, BP_SYSTOLIC, BP_DIASTOLIC = "85354-9", "8480-6", "8462-4"

ROUTE_SNOMED = {
    "iv": ("47625008", "Intravenous route"),
    "im": ("78421000", "Intramuscular route"),
    "intranasal": ("46713006", "Nasal route"),
    "oral": ("26643006", "Oral route"),
    "sublingual": ("37839007", "Sublingual route"),
}
# RxNorm 2201623: "esketamine Nasal Spray" (SCDF); esketamine is given only as the nasal spray.
ESKETAMINE_RXNORM = ("2201623", "esketamine Nasal Spray")
DRUG_TEXT = {
    "esketamine": "Esketamine",
    "racemic_ketamine": "Ketamine (racemic)",
    None: "Ketamine (which form was not recorded)",
}

# Afterglow's own concepts: code -> (display, definition).
AFTERGLOW_CONCEPTS: dict[str, tuple[str, str]] = {
    "after": (
        "Side effects after an infusion",
        "The side-effect check 2 h and 24 h after a treatment; each item 0-3.",
    ),
    "note": ("Note", "Free text the patient added to a check-in."),
    "induction": ("Induction infusion", "An infusion of an induction course."),
    "scheduled_booster": ("Scheduled booster", "A booster given on schedule."),
    "symptom_triggered_booster": (
        "Symptom-triggered booster",
        "A booster given because symptoms returned.",
    ),
    "hospitalisation": ("Hospitalisation", "A psychiatric or medical hospital admission."),
    "suicide_attempt": ("Suicide attempt", "A suicide attempt recorded by a clinician."),
    "medication_change": (
        "Medication change",
        "A change of the patient's other psychiatric medication.",
    ),
    "ect_tms_start": ("Start of ECT or TMS", "The start of electroconvulsive therapy or TMS."),
    "phq9-item9-alert": (
        "PHQ-9 item 9 safety alert",
        "A PHQ-9 answered 1 or more on item 9 (thoughts of self-harm); needs acknowledgement.",
    ),
    "journal-entry": (
        "Journal entry",
        "An entry of the patient's journal that the patient chose to share with the clinic.",
    ),
    "relief-episode": (
        "Relief episode",
        "The relief after one infusion or course, until the next infusion or now "
        "(docs/clinical-rules.md §3).",
    ),
    "relief-outcome": ("Relief outcome", "How the episode ended."),
    "relapsed": ("Relapsed", "The episode ended in a confirmed relapse."),
    "censored": ("Censored", "Follow-up ended before any relapse."),
    "ongoing": ("Ongoing", "The current episode, still followed."),
    "no_response": ("No response", "The nadir did not meet the response gate."),
    "unassessed": ("Unassessed", "No PHQ-9 in the nadir window, or no baseline."),
    "relief-duration": ("Days of relief", "Days to relapse or to censoring."),
    "relief-baseline": ("Baseline PHQ-9", "B0 of the episode's induction course."),
    "relief-nadir": ("Nadir PHQ-9", "The lowest PHQ-9 in the nadir window."),
    "relief-reason": ("Why the episode ended", "The relapse or censoring reason."),
    "relief-remitted": ("Remitted", "Nadir below the remission threshold."),
}


def coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"system": system, "code": code}
    if display is not None:
        found["display"] = display
    return found


def afterglow(code: str) -> dict[str, Any]:
    """A Coding of Afterglow's own code system (KeyError for a code it does not define)."""
    return coding(AFTERGLOW_SYSTEM, code, AFTERGLOW_CONCEPTS[code][0])


def concept(*codings: dict[str, Any], text: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"coding": list(codings)}
    if text is not None:
        found["text"] = text
    return found


def score_quantity(value: float) -> dict[str, Any]:
    return {"value": value, "unit": "{score}", "system": UCUM, "code": "{score}"}
