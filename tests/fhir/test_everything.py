"""GET /fhir/Patient/{id}/$everything: a patient's whole record as a FHIR R4 Bundle."""

from __future__ import annotations

from datetime import timedelta

from fhir_records import (
    NOW,
    PHQ9_LOINC,
    START,
    arrange_record,
    check_bundle,
    of_type,
    parse,
)
from sqlalchemy import select

from afterglow.audit.models import AuditEvent
from afterglow.fhir.codes import AFTERGLOW_SYSTEM, LOINC, ORDINAL_VALUE, RXNORM, SNOMED
from afterglow.instruments.registry import SPITZER_ATTRIBUTION
from conftest import World


def everything(patient_id: int) -> str:
    return f"/fhir/Patient/{patient_id}/$everything"


async def test_a_patients_record_comes_as_one_bundle_every_resource_of_which_is_valid_fhir(
    make_client, world: World
):
    clinician = await make_client("doc@a.test")
    patient_id = world.patient_a1.id
    await arrange_record(clinician, patient_id)
    response = await clinician.get(everything(patient_id))
    bundle = parse(response)
    assert response.headers["cache-control"] == "no-store"
    counts = check_bundle(bundle)
    # 9 check-ins; 3 infusions (one entered in error) with 2 blood pressures; 4 events; the
    # PHQ-9 with item 9 = 1 from yesterday raised an alert; 5 instruments; Afterglow's codes.
    assert counts["Patient"] == 1
    assert counts["Questionnaire"] == 5
    assert counts["CodeSystem"] == 1
    assert counts["QuestionnaireResponse"] == 9
    assert counts["MedicationAdministration"] == 3
    assert counts["Encounter"] == counts["Condition"] == counts["Procedure"] == 1
    assert counts["Flag"] == 1
    [patient] = of_type(bundle, "Patient")
    assert patient["identifier"][0]["value"] == "MRN-0042"
    assert patient["identifier"][0]["type"]["coding"][0]["code"] == "MR"
    assert patient["name"] == [{"text": "Patient A1"}]


async def test_a_phq9_is_a_response_and_a_loinc_panel_of_its_items_and_total(
    make_client, world: World
):
    clinician = await make_client("doc@a.test")
    await arrange_record(clinician, world.patient_a1.id)
    bundle = parse(await clinician.get(everything(world.patient_a1.id)))
    observations = {o["id"]: o for o in of_type(bundle, "Observation")}
    responses = of_type(bundle, "QuestionnaireResponse")
    zero = next(r for r in responses if r["authored"] == (START + timedelta(days=7)).isoformat())
    # Items are linked by their LOINC codes; a zero is an answer, LA6568-5, not a gap.
    assert [i["linkId"] for i in zero["item"]] == [*PHQ9_LOINC, "44261-6"]
    assert {i["answer"][0].get("valueCoding", {}).get("code") for i in zero["item"][:9]} == {
        "LA6568-5"
    }
    assert zero["item"][-1]["answer"] == [{"valueInteger": 0}]
    checkin = zero["id"]
    panel = observations[f"{checkin}-panel"]
    assert panel["code"]["coding"][0] == {
        "system": LOINC,
        "code": "44249-1",
        "display": "PHQ-9 quick depression assessment panel [Reported.PHQ]",
    }
    assert panel["category"][0]["coding"][0]["code"] == "survey"
    assert panel["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{checkin}"}]
    assert len(panel["hasMember"]) == 10
    total = observations[f"{checkin}-total"]
    assert total["code"]["coding"][0]["code"] == "44261-6"
    assert total["valueQuantity"] == {
        "value": 0,
        "unit": "{score}",
        "system": "http://unitsofmeasure.org",
        "code": "{score}",
    }
    assert total["interpretation"] == [{"text": "Minimal"}]
    first = observations[f"{responses[0]['id']}-69722-7"]
    assert first["valueCodeableConcept"]["coding"][0]["code"] == "LA6575-0"  # Very difficult


async def test_the_instruments_carry_their_loinc_forms_answer_codes_and_attribution(
    make_client, world: World
):
    clinician = await make_client("doc@a.test")
    bundle = parse(await clinician.get(everything(world.patient_a1.id)))
    forms = {q["id"]: q for q in of_type(bundle, "Questionnaire")}
    phq9 = forms["afterglow-phq9"]
    assert phq9["derivedFrom"] == ["http://loinc.org/q/44249-1"]
    assert phq9["copyright"] == SPITZER_ATTRIBUTION
    assert forms["afterglow-gad7"]["derivedFrom"] == ["http://loinc.org/q/69737-5"]
    assert forms["afterglow-gad7"]["copyright"] == SPITZER_ATTRIBUTION
    first = next(i for i in phq9["item"] if i["linkId"] == "44250-9")
    assert first["code"][0]["system"] == LOINC
    assert [
        (o["valueCoding"]["code"], o["valueCoding"]["display"], o["extension"][0])
        for o in first["answerOption"]
    ] == [
        ("LA6568-5", "Not at all", {"url": ORDINAL_VALUE, "valueDecimal": 0}),
        ("LA6569-3", "Several days", {"url": ORDINAL_VALUE, "valueDecimal": 1}),
        ("LA6570-1", "More than half the days", {"url": ORDINAL_VALUE, "valueDecimal": 2}),
        ("LA6571-9", "Nearly every day", {"url": ORDINAL_VALUE, "valueDecimal": 3}),
    ]
    mood = forms["afterglow-mood"]
    assert "derivedFrom" not in mood
    [question] = [i for i in mood["item"] if i["linkId"] == "mood"]
    assert question["code"][0]["system"] == AFTERGLOW_SYSTEM
    assert question["type"] == "integer"


async def test_daily_mood_is_an_observation_with_afterglows_documented_code(
    make_client, world: World
):
    clinician = await make_client("doc@a.test")
    await arrange_record(clinician, world.patient_a1.id)
    bundle = parse(await clinician.get(everything(world.patient_a1.id)))
    [code_system] = of_type(bundle, "CodeSystem")
    defined = {c["code"]: c["display"] for c in code_system["concept"]}
    moods = [
        o
        for o in of_type(bundle, "Observation")
        if o["code"]["coding"][0]
        == {"system": AFTERGLOW_SYSTEM, "code": "mood", "display": "Mood today"}
    ]
    assert [m["valueInteger"] for m in moods] == [0, 6, 10]
    assert defined["mood"] == "Mood today"
    pain = [
        o for o in of_type(bundle, "Observation") if o["code"]["coding"][0]["code"] == "72514-3"
    ]
    assert [p["valueInteger"] for p in pain] == [4]
    [after] = [o for o in of_type(bundle, "Observation") if o["id"].endswith("-after")]
    assert [c["valueCodeableConcept"]["text"] for c in after["component"]] == [
        "Moderate",
        "Mild",
        "None",
        "None",
        "Severe",
        "Mild",
    ]
    assert after["note"] == [{"text": "Tingling hands, then sleep,\nall evening"}]


async def test_infusions_are_medication_administrations_coded_by_route_and_drug(
    make_client, world: World
):
    clinician = await make_client("doc@a.test")
    ids = await arrange_record(clinician, world.patient_a1.id)
    bundle = parse(await clinician.get(everything(world.patient_a1.id)))
    given = {m["id"]: m for m in of_type(bundle, "MedicationAdministration")}
    iv = given[f"infusion-{ids['iv']}"]
    assert iv["status"] == "completed"
    assert iv["effectivePeriod"] == {"start": START.isoformat()}
    assert iv["dosage"]["route"]["coding"][0] == {
        "system": SNOMED,
        "code": "47625008",
        "display": "Intravenous route",
    }
    assert iv["dosage"]["dose"] == {
        "value": 35,
        "unit": "mg",
        "system": "http://unitsofmeasure.org",
        "code": "mg",
    }
    assert iv["dosage"]["text"] == "0.5 mg/kg, 35 mg, intravenous route"
    [drug] = iv["contained"]
    # Racemic ketamine goes as text: no RxNorm code for it could be verified.
    assert drug["code"] == {"text": "Ketamine (racemic)"}
    assert drug["batch"] == {"lotNumber": "LOT-SYN-7"}
    assert iv["category"]["coding"][0]["code"] == "induction"
    nasal = given[f"infusion-{ids['nasal']}"]
    assert nasal["contained"][0]["code"]["coding"] == [
        {"system": RXNORM, "code": "2201623", "display": "esketamine Nasal Spray"}
    ]
    assert nasal["dosage"]["route"]["coding"][0]["code"] == "46713006"
    wrong = given[f"infusion-{ids['wrong']}"]
    assert wrong["status"] == "entered-in-error"
    assert {"text": "Entered in error: Wrong patient"} in wrong["note"]
    pressures = [o for o in of_type(bundle, "Observation") if "-bp-" in o["id"]]
    assert [[c["valueQuantity"]["value"] for c in p["component"]] for p in pressures] == [
        [122, 78],
        [138, 84],
    ]
    assert all(
        p["partOf"] == [{"reference": f"MedicationAdministration/infusion-{ids['iv']}"}]
        for p in pressures
    )


async def test_events_alerts_and_relief_episodes_are_in_the_resources_that_fit(
    make_client, world: World
):
    clinician = await make_client("doc@a.test")
    ids = await arrange_record(clinician, world.patient_a1.id)
    bundle = parse(await clinician.get(everything(world.patient_a1.id)))
    [stay] = of_type(bundle, "Encounter")
    assert stay["class"]["code"] == "IMP"
    assert "Synthetic hospitalisation note" in stay["text"]["div"]
    [attempt] = of_type(bundle, "Condition")
    assert attempt["code"]["coding"][0]["code"] == "suicide_attempt"
    assert attempt["note"] == [{"text": "Synthetic suicide_attempt note"}]
    [started] = of_type(bundle, "Procedure")
    assert started["code"]["coding"][0]["code"] == "ect_tms_start"
    [flag] = of_type(bundle, "Flag")
    assert flag["status"] == "active"
    assert flag["category"][0]["coding"][0]["code"] == "safety"
    recent = next(
        r["id"]
        for r in of_type(bundle, "QuestionnaireResponse")
        if r["authored"] == (NOW - timedelta(days=1)).isoformat()
    )
    assert flag["extension"][0]["valueReference"] == {
        "reference": f"QuestionnaireResponse/{recent}"
    }
    episodes = [o for o in of_type(bundle, "Observation") if o["id"].startswith("relief-")]
    assert [e["partOf"][-1]["reference"] for e in episodes] == [
        f"MedicationAdministration/infusion-{ids['iv']}",
        f"MedicationAdministration/infusion-{ids['nasal']}",
    ]
    assert episodes[0]["code"]["coding"][0]["code"] == "relief-episode"
    outcome = episodes[0]["component"][0]
    assert outcome["code"]["coding"][0]["code"] == "relief-outcome"


async def test_type_and_since_keep_only_what_was_asked_for(make_client, world: World):
    clinician = await make_client("doc@a.test")
    await arrange_record(clinician, world.patient_a1.id)
    only = parse(
        await clinician.get(
            everything(world.patient_a1.id), params={"_type": "QuestionnaireResponse,Flag"}
        )
    )
    # The instruments' definitions (and their attribution) always come along.
    assert set(check_bundle(only, whole=False)) == {
        "QuestionnaireResponse",
        "Flag",
        "Questionnaire",
        "CodeSystem",
    }
    later = parse(
        await clinician.get(
            everything(world.patient_a1.id),
            params={"_since": (NOW + timedelta(minutes=10)).isoformat()},
        )
    )
    assert set(check_bundle(later, whole=False)) == {"Questionnaire", "CodeSystem"}
    wrong = await clinician.get(everything(world.patient_a1.id), params={"_type": "Claim"})
    assert wrong.status_code == 400
    assert wrong.headers["content-type"].startswith("application/fhir+json")
    assert "_type" in [e for issue in wrong.json()["issue"] for e in issue.get("expression", [])]
    naive = await clinician.get(
        everything(world.patient_a1.id), params={"_since": "2026-01-01T00:00:00"}
    )
    assert naive.status_code == 400


async def test_every_export_is_audited_and_only_the_patients_clinicians_get_one(
    make_client, world: World, db
):
    clinician = await make_client("doc@a.test")
    assert (await clinician.get(everything(world.patient_a1.id))).status_code == 200
    audit = (
        await db.execute(select(AuditEvent).where(AuditEvent.action == "fhir.everything"))
    ).scalar_one()
    assert (audit.patient_id, audit.actor_user_id) == (world.patient_a1.id, world.clinician_a.id)
    admin = await make_client("admin@a.test")
    assert (await admin.get(everything(world.patient_a1.id))).status_code == 403
    other = await make_client("doc@b.test")
    assert (await other.get(everything(world.patient_a1.id))).status_code == 404
    patient = await make_client("p1@a.test")
    assert (await patient.get(everything(world.patient_a1.id))).status_code == 403
    anonymous = await make_client()
    assert (await anonymous.get(everything(world.patient_a1.id))).status_code == 401


async def test_only_the_journal_entries_the_patient_shares_are_exported(make_client, world: World):
    patient = await make_client("p1@a.test")
    for key, shared, words in (
        ("7c0d1e2f-0000-4000-8000-000000000001", True, "Felt lighter, walked to the river."),
        ("7c0d1e2f-0000-4000-8000-000000000002", False, "Private: not for the clinic."),
    ):
        written = await patient.put(
            f"/api/me/journal/{key}",
            json={"stood_out": words, "text": "Synthetic entry", "shared": shared},
        )
        assert written.status_code == 201, written.text
    clinician = await make_client("doc@a.test")
    bundle = parse(await clinician.get(everything(world.patient_a1.id)))
    check_bundle(bundle)
    [entry] = of_type(bundle, "Communication")
    assert entry["sender"] == {"reference": f"Patient/{world.patient_a1.id}"}
    assert entry["payload"] == [
        {"contentString": "What stood out for you? Felt lighter, walked to the river."},
        {"contentString": "Synthetic entry"},
    ]
    assert "Private" not in str(bundle)
