"""POST /fhir/Patient/{id}/$import-responses: check-ins read back from FHIR, by their codes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fhir_records import GAD7_LOINC, NOW, PHQ9_LOINC, arrange_record, parse
from sqlalchemy import func, select

from afterglow.audit.models import AuditEvent
from afterglow.checkins.models import CheckIn
from conftest import World

LA = ("LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9")
TAKEN = (NOW - timedelta(days=30)).replace(microsecond=0)


def import_path(patient_id: int) -> str:
    return f"/fhir/Patient/{patient_id}/$import-responses"


async def checkins_of(client, patient_id: int) -> list[tuple[Any, ...]]:
    listed = (await client.get(f"/api/patients/{patient_id}/checkins")).json()
    return sorted(
        (
            c["instrument"],
            c["answers"],
            c["score"],
            datetime.fromisoformat(c["taken_at"]),
            c.get("note"),
        )
        for c in listed
    )


def loinc_form(link_ids: list[str], url: str = "http://loinc.org/q/44249-1") -> dict[str, Any]:
    """A PHQ-9 Questionnaire as another publisher writes it: its own linkIds, LOINC item codes."""
    return {
        "resourceType": "Questionnaire",
        "id": "phq9-elsewhere",
        "url": url,
        "status": "active",
        "item": [
            {
                "linkId": link,
                "code": [{"system": "http://loinc.org", "code": code}],
                "text": f"Question {code}",
                "type": "choice",
            }
            for link, code in zip(link_ids, PHQ9_LOINC, strict=True)
        ]
        + [{"linkId": "total-score", "text": "Total", "type": "decimal"}],
    }


def phq9_response(link_ids: list[str], answers: list[int], url: str) -> dict[str, Any]:
    return {
        "resourceType": "QuestionnaireResponse",
        "id": "phq9-answered-elsewhere",
        "questionnaire": url,
        "status": "completed",
        "authored": TAKEN.isoformat(),
        "item": [
            {
                "linkId": link,
                "answer": [{"valueCoding": {"system": "http://loinc.org", "code": LA[value]}}],
            }
            for link, value in zip(link_ids, answers, strict=True)
        ],
    }


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": f"urn:uuid:00000000-0000-4000-8000-{n:012d}", "resource": resource}
            for n, resource in enumerate(resources)
        ],
    }


def observation(oid: str, code: str, **value: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "survey",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
        "subject": {"reference": "Patient/elsewhere-7"},
        "effectiveDateTime": TAKEN.isoformat(),
        **value,
    }


async def test_afterglows_own_export_comes_back_whole_into_another_patient(
    make_client, world: World
):
    clinician = await make_client("doc@a.test")
    source, target = world.patient_a1.id, world.patient_a2.id
    await arrange_record(clinician, source)
    exported = parse(await clinician.get(f"/fhir/Patient/{source}/$everything"))
    await clinician.patch(f"/api/patients/{target}", json={"pain_enabled": True})
    response = await clinician.post(import_path(target), json=exported)
    assert response.status_code == 200, response.text
    outcome = response.json()
    assert outcome["checkins"] == {"added": 9, "already_present": 0}
    # Every derived Observation is left out: the responses carry the answers.
    assert outcome["left_out"]["Observation (derived from a response in the Bundle)"] > 9
    assert outcome["left_out"]["MedicationAdministration"] == 3
    assert outcome["safety_alerts_raised"] == 1
    assert await checkins_of(clinician, target) == await checkins_of(clinician, source)
    again = await clinician.post(import_path(target), json=exported)
    assert again.json()["checkins"] == {"added": 0, "already_present": 9}


async def test_a_response_to_another_publishers_form_is_matched_by_its_items_loinc_codes(
    make_client, world: World
):
    clinician = await make_client("doc@a.test")
    answers = [2, 1, 0, 3, 0, 1, 1, 0, 1]
    # LOINC's own form numbers its questions; LHC-Forms names them by path. Both come in alike.
    for patient, links, url in (
        (world.patient_a1.id, [str(14363 + n) for n in range(9)], "http://loinc.org/q/44249-1"),
        (world.patient_a2.id, [f"/{code}" for code in PHQ9_LOINC], "http://example.org/Q/phq9|3"),
    ):
        response = await clinician.post(
            import_path(patient),
            json=bundle(
                loinc_form(links, url.partition("|")[0]), phq9_response(links, answers, url)
            ),
        )
        assert response.status_code == 200, response.text
        assert response.json()["checkins"] == {"added": 1, "already_present": 0}
        assert await checkins_of(clinician, patient) == [("phq9", answers, 9, TAKEN, None)]


async def test_observations_alone_are_read_as_a_panel_with_its_members(make_client, world: World):
    clinician = await make_client("doc@a.test")
    answers = [1, 1, 2, 0, 0, 3, 1]
    items = [
        observation(
            f"gad-{n}",
            code,
            valueCodeableConcept={"coding": [{"system": "http://loinc.org", "code": LA[value]}]},
        )
        for n, (code, value) in enumerate(zip(GAD7_LOINC, answers, strict=True))
    ]
    total = observation("gad-total", "70274-6", valueQuantity={"value": 8, "unit": "{score}"})
    panel = observation(
        "gad-panel",
        "69737-5",
        hasMember=[{"reference": f"Observation/{o['id']}"} for o in [*items, total]],
    )
    response = await clinician.post(
        import_path(world.patient_a1.id), json=bundle(panel, *items, total)
    )
    assert response.status_code == 200, response.text
    assert response.json()["checkins"]["added"] == 1
    [(instrument, stored, score, _, _)] = await checkins_of(clinician, world.patient_a1.id)
    assert (instrument, stored, score) == ("gad7", answers, 8)


async def test_every_problem_is_named_where_it_is_and_nothing_is_imported(
    make_client, world: World, db
):
    clinician = await make_client("doc@a.test")
    links = [f"/{code}" for code in PHQ9_LOINC]
    unknown_form = phq9_response(links, [0] * 9, "http://elsewhere.example/Q/phq9")
    bad_answer = phq9_response(links, [0] * 9, "http://loinc.org/q/44249-1")
    bad_answer["item"][2]["answer"][0]["valueCoding"]["code"] = "LA9999-9"
    short = phq9_response(links[:8], [0] * 8, "http://loinc.org/q/44249-1")
    short["authored"] = (TAKEN + timedelta(days=1)).isoformat()
    naive = phq9_response(links, [1] * 9, "http://loinc.org/q/44249-1")
    naive["authored"] = "2026-03-01T09:00:00"
    wrong_total = phq9_response(links, [1] * 9, "http://loinc.org/q/44249-1")
    wrong_total["authored"] = (TAKEN + timedelta(days=2)).isoformat()
    total_question = {
        "linkId": "/44261-6",
        "code": [{"system": "http://loinc.org", "code": "44261-6"}],
        "type": "integer",
    }
    form = loinc_form(links) | {"item": [*loinc_form(links)["item"][:9], total_question]}
    wrong_total["item"].append({"linkId": "/44261-6", "answer": [{"valueInteger": 12}]})
    total_alone = observation("total-only", "44261-6", valueQuantity={"value": 7})
    response = await clinician.post(
        import_path(world.patient_a1.id),
        json=bundle(form, unknown_form, bad_answer, short, naive, wrong_total, total_alone),
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert "nothing was imported" in body["issue"][0]["diagnostics"]
    problems = refusal(response)
    assert set(problems) == {
        "entry[1].resource.questionnaire",
        "entry[2].resource.item[2].answer[0].valueCoding",
        "entry[3].resource",
        "entry[5].resource.item[9].answer[0]",
        "entry[6].resource",
    }
    assert "not in the Bundle" in problems["entry[1].resource.questionnaire"]
    assert "Thoughts that you would be better off dead" in problems["entry[3].resource"]
    assert "is not the sum of the answers (9)" in problems["entry[5].resource.item[9].answer[0]"]
    assert "a total score alone" in problems["entry[6].resource"]
    # The naive time is the history import's rule, named where it is in the Bundle.
    fixed = bundle(form, naive)
    answer = await clinician.post(import_path(world.patient_a1.id), json=fixed)
    assert answer.status_code == 400
    assert refusal(answer) == {
        "entry[1].resource.authored": "include the UTC offset, e.g. 2025-03-01T09:00:00-05:00"
    }
    assert await db.scalar(select(func.count()).select_from(CheckIn)) == 0


def refusal(response) -> dict[str, str]:
    """The problems an OperationOutcome names: where each is, and what is wrong there."""
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome", outcome
    return {issue["expression"][0]: issue["diagnostics"] for issue in outcome["issue"][1:]}


async def test_something_that_is_not_a_bundle_is_refused_with_what_to_send(
    make_client, world: World
):
    clinician = await make_client("doc@a.test")
    for body, key in (
        ({"resourceType": "Patient"}, "resourceType"),
        ({"resourceType": "Bundle", "entry": []}, "entry"),
        ({"resourceType": "Bundle", "entry": [{"resource": "x"}, 3]}, "entry[0]"),
    ):
        response = await clinician.post(import_path(world.patient_a1.id), json=body)
        assert response.status_code == 400, response.text
        assert next(iter(refusal(response))) == key
    # What is no patient id is answered in FHIR's way too, not by the router's plain 404.
    nobody = await clinician.post("/fhir/Patient/abc/$import-responses", json={})
    assert nobody.status_code == 404
    assert nobody.json()["issue"][0]["code"] == "not-found"


async def test_imports_are_audited_and_only_the_patients_clinicians_may_import(
    make_client, world: World, db
):
    answers = [0] * 9
    links = [str(14363 + n) for n in range(9)]
    body = bundle(loinc_form(links), phq9_response(links, answers, "http://loinc.org/q/44249-1"))
    for email, status in (("admin@a.test", 403), ("doc@b.test", 404), ("p1@a.test", 403)):
        caller = await make_client(email)
        assert (
            await caller.post(import_path(world.patient_a1.id), json=body)
        ).status_code == status
    # A bad Bundle from another clinic's clinician is still not found: access is decided first.
    other = await make_client("doc@b.test")
    assert (await other.post(import_path(world.patient_a1.id), json={})).status_code == 404
    clinician = await make_client("doc@a.test")
    assert (await clinician.post(import_path(world.patient_a1.id), json=body)).status_code == 200
    audit = (
        await db.execute(select(AuditEvent).where(AuditEvent.action == "fhir.import"))
    ).scalar_one()
    assert (audit.patient_id, audit.detail) == (world.patient_a1.id, {"checkins": 1})
