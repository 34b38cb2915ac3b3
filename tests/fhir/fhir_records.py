"""A synthetic patient record made through the API as a clinician makes it, and the checks every
FHIR resource Afterglow writes must pass: fhir.resources' R4B models (structure) and Afterglow's
own rules (status values, LOINC codes, answer codes, references that resolve)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fhir.resources.R4B import get_fhir_model_class

from afterglow.fhir.codes import (
    AFTERGLOW_SYSTEM,
    BP_DIASTOLIC,
    BP_PANEL,
    BP_SYSTOLIC,
    LOINC,
    ORDINAL_VALUE,
    PAIN_LOINC,
    RXNORM,
    SNOMED,
)
from afterglow.instruments.registry import FREQUENCY_LOINC, REGISTRY

NOW = datetime.now(UTC).replace(microsecond=0)
START = NOW - timedelta(days=60)

# FHIR R4's required status bindings for each resource type Afterglow writes.
STATUSES = {
    "Questionnaire": {"draft", "active", "retired", "unknown"},
    "CodeSystem": {"draft", "active", "retired", "unknown"},
    "QuestionnaireResponse": {"in-progress", "completed", "amended", "entered-in-error", "stopped"},
    "Observation": {
        "registered",
        "preliminary",
        "final",
        "amended",
        "corrected",
        "cancelled",
        "entered-in-error",
        "unknown",
    },
    "MedicationAdministration": {
        "in-progress",
        "not-done",
        "on-hold",
        "completed",
        "entered-in-error",
        "stopped",
        "unknown",
    },
    "Encounter": {
        "planned",
        "arrived",
        "triaged",
        "in-progress",
        "onleave",
        "finished",
        "cancelled",
        "entered-in-error",
        "unknown",
    },
    "Procedure": {
        "preparation",
        "in-progress",
        "not-done",
        "on-hold",
        "stopped",
        "completed",
        "entered-in-error",
        "unknown",
    },
    "Flag": {"active", "inactive", "entered-in-error"},
    "Communication": {
        "preparation",
        "in-progress",
        "not-done",
        "on-hold",
        "stopped",
        "completed",
        "entered-in-error",
        "unknown",
    },
}
# Every LOINC code Afterglow may write: the instruments' (registry), pain, blood pressure.
KNOWN_LOINC = (
    {i.loinc_panel for i in REGISTRY.values()}
    | {i.loinc_total for i in REGISTRY.values()}
    | {item.loinc for i in REGISTRY.values() for item in i.items}
    | {o.loinc for i in REGISTRY.values() for item in i.items for o in item.options}
    | {PAIN_LOINC, BP_PANEL, BP_SYSTOLIC, BP_DIASTOLIC}
) - {None}
PHQ9_GAD7_ITEMS = {item.loinc for key in ("phq9", "gad7") for item in REGISTRY[key].items[:9]}
# The PHQ-9's nine scored items in order (CLINICAL.md §1), and the GAD-7's seven.
PHQ9_LOINC = [
    "44250-9",
    "44255-8",
    "44259-0",
    "44254-1",
    "44251-7",
    "44258-2",
    "44252-5",
    "44253-3",
    "44260-8",
]
GAD7_LOINC = ["69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"]


def history() -> dict[str, Any]:
    """Two PHQ-9s (one all zeros, one with item 9 = 1 yesterday), a GAD-7, moods (a zero among
    them), a pain rating and a side-effect check with a note that has commas and a newline."""
    return {
        "checkins": [
            {
                "instrument": "phq9",
                "answers": [3, 3, 2, 2, 2, 2, 2, 1, 0, 2],
                "taken_at": (START - timedelta(days=2)).isoformat(),
            },
            {
                "instrument": "phq9",
                "answers": [0, 0, 0, 0, 0, 0, 0, 0, 0],
                "taken_at": (START + timedelta(days=7)).isoformat(),
            },
            {
                "instrument": "phq9",
                "answers": [1, 1, 1, 1, 0, 0, 0, 0, 1],
                "taken_at": (NOW - timedelta(days=1)).isoformat(),
                "note": "Rough week, but safe.",
            },
            {
                "instrument": "gad7",
                "answers": [2, 1, 1, 0, 0, 1, 3],
                "taken_at": (START + timedelta(days=1, hours=3)).isoformat(),
            },
            *(
                {
                    "instrument": "mood",
                    "answers": [score],
                    "taken_at": (START + timedelta(days=day, hours=20)).isoformat(),
                }
                for day, score in ((1, 0), (2, 6), (3, 10))
            ),
            {
                "instrument": "pain",
                "answers": [4],
                "taken_at": (START + timedelta(days=3, hours=21)).isoformat(),
            },
            {
                "instrument": "after",
                "answers": [2, 1, 0, 0, 3, 1],
                "taken_at": (START + timedelta(hours=2)).isoformat(),
                "note": "Tingling hands, then sleep,\nall evening",
            },
        ]
    }


async def arrange_record(clinician: httpx.AsyncClient, patient_id: int) -> dict[str, int]:
    """A patient with pain on, a record number, check-ins, infusions and clinical events."""
    updated = await clinician.patch(
        f"/api/patients/{patient_id}", json={"pain_enabled": True, "external_id": "MRN-0042"}
    )
    assert updated.status_code == 200, updated.text
    imported = await clinician.post(f"/api/patients/{patient_id}/history", json=history())
    assert imported.status_code == 200, imported.text
    infusions = f"/api/patients/{patient_id}/infusions"
    iv = await clinician.post(
        infusions,
        json={
            "given_at": START.isoformat(),
            "drug": "racemic_ketamine",
            "route": "iv",
            "kind": "induction",
            "dose_mg_per_kg": 0.5,
            "dose_mg": 35,
            "bp_systolic_before": 122,
            "bp_diastolic_before": 78,
            "bp_systolic_40min": 138,
            "bp_diastolic_40min": 84,
            "lot_number": "LOT-SYN-7",
            "dissociation_notes": "Mild, settled by 30 minutes",
        },
    )
    assert iv.status_code == 201, iv.text
    nasal = await clinician.post(
        infusions,
        json={
            "given_at": (START + timedelta(days=20)).isoformat(),
            "drug": "esketamine",
            "route": "intranasal",
            "kind": "scheduled_booster",
            "dose_mg": 56,
        },
    )
    assert nasal.status_code == 201, nasal.text
    wrong = await clinician.post(
        infusions,
        json={
            "given_at": (START + timedelta(days=21)).isoformat(),
            "drug": "racemic_ketamine",
            "route": "im",
            "kind": "symptom_triggered_booster",
            "dose_mg_per_kg": 0.5,
        },
    )
    assert wrong.status_code == 201, wrong.text
    marked = await clinician.post(
        f"{infusions}/{wrong.json()['id']}/entered-in-error", json={"reason": "Wrong patient"}
    )
    assert marked.status_code in (200, 201), marked.text
    for days, kind in (
        (30, "medication_change"),
        (31, "ect_tms_start"),
        (32, "hospitalisation"),
        (33, "suicide_attempt"),
    ):
        event = await clinician.post(
            f"/api/patients/{patient_id}/events",
            json={
                "kind": kind,
                "occurred_at": (START + timedelta(days=days)).isoformat(),
                "notes": f"Synthetic {kind} note",
            },
        )
        assert event.status_code == 201, event.text
    return {"iv": iv.json()["id"], "nasal": nasal.json()["id"], "wrong": wrong.json()["id"]}


def entries(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [entry["resource"] for entry in bundle["entry"]]


def of_type(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for r in entries(bundle) if r["resourceType"] == kind]


def _codings(value: Any) -> list[dict[str, Any]]:
    """Every Coding anywhere inside a resource."""
    found: list[dict[str, Any]] = []
    if isinstance(value, dict):
        if "system" in value and "code" in value:
            found.append(value)
        for inner in value.values():
            found.extend(_codings(inner))
    elif isinstance(value, list):
        for inner in value:
            found.extend(_codings(inner))
    return found


def _references(value: Any) -> list[str]:
    found: list[str] = []
    if isinstance(value, dict):
        if isinstance(value.get("reference"), str):
            found.append(value["reference"])
        for inner in value.values():
            found.extend(_references(inner))
    elif isinstance(value, list):
        for inner in value:
            found.extend(_references(inner))
    return found


def check_resource(resource: dict[str, Any]) -> None:
    """One resource: it parses as its R4B model and its status is one FHIR R4 allows."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    if resource["resourceType"] in STATUSES:
        assert resource["status"] in STATUSES[resource["resourceType"]], resource["id"]


def check_bundle(bundle: dict[str, Any], *, whole: bool = True) -> Counter[str]:
    """The whole Bundle: every resource, every code, and (for a whole record, not one cut by
    `_type`) every reference resolved inside it. Returns the count of each resource type."""
    get_fhir_model_class("Bundle").model_validate(bundle)
    assert bundle["type"] == "searchset"
    resources = entries(bundle)
    keys = [f"{r['resourceType']}/{r['id']}" for r in resources]
    assert len(keys) == len(set(keys)), "every resource once"
    code_system = next(r for r in resources if r["resourceType"] == "CodeSystem")
    afterglow_codes = {c["code"] for c in code_system["concept"]}
    for entry in bundle["entry"]:
        resource = entry["resource"]
        check_resource(resource)
        assert entry["fullUrl"].endswith(f"/fhir/{resource['resourceType']}/{resource['id']}")
        contained = {f"#{c['id']}" for c in resource.get("contained", [])}
        for reference in _references(resource) if whole else ():
            assert reference in keys or reference in contained, (resource["id"], reference)
        for coding in _codings(resource):
            if coding["system"] == LOINC:
                assert coding["code"] in KNOWN_LOINC, (resource["id"], coding)
            if coding["system"] == AFTERGLOW_SYSTEM:
                assert coding["code"] in afterglow_codes, (resource["id"], coding)
            if coding["system"] == SNOMED:
                assert resource["resourceType"] == "MedicationAdministration"
            if coding["system"] == RXNORM:
                assert coding["code"] == "2201623"
    for observation in (r for r in resources if r["resourceType"] == "Observation"):
        code = observation["code"]["coding"][0]["code"]
        if code in PHQ9_GAD7_ITEMS:
            answer = observation["valueCodeableConcept"]["coding"][0]
            assert answer["system"] == LOINC and answer["code"] in FREQUENCY_LOINC
    for questionnaire in (r for r in resources if r["resourceType"] == "Questionnaire"):
        for item in questionnaire["item"]:
            for n, option in enumerate(item.get("answerOption", [])):
                ordinal = {e["url"]: e["valueDecimal"] for e in option["extension"]}
                assert ordinal == {ORDINAL_VALUE: n}
    return Counter(r["resourceType"] for r in resources)


def parse(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    return json.loads(response.content)
