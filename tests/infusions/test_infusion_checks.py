"""A clinician who mistypes an infusion hears which field to fix and how, in clinical words;
nothing implausible is kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from conftest import ClientFactory, World

WHEN = (datetime.now(UTC) - timedelta(days=2)).replace(microsecond=0).isoformat()


def body(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "given_at": WHEN,
        "drug": "racemic_ketamine",
        "route": "iv",
        "kind": "scheduled_booster",
        "dose_mg_per_kg": 0.5,
    }
    fields.update(overrides)
    return {k: v for k, v in fields.items() if v is not None}


def problems(response: Any) -> dict[str, str]:
    return {e["key"]: e["message"] for e in response.json().get("extra", [])}


async def test_it_says_esketamine_is_a_nasal_spray_dosed_in_28_mg_devices(
    make_client: ClientFactory, world: World
) -> None:
    doc = await make_client("doc@a.test")
    url = f"/api/patients/{world.patient_a1.id}/infusions"

    by_vein = await doc.post(url, json=body(drug="esketamine", dose_mg_per_kg=None, dose_mg=56))
    per_kg = await doc.post(url, json=body(drug="esketamine", route="intranasal"))
    odd_dose = await doc.post(
        url, json=body(drug="esketamine", route="intranasal", dose_mg_per_kg=None, dose_mg=60)
    )
    right = await doc.post(
        url, json=body(drug="esketamine", route="intranasal", dose_mg_per_kg=None, dose_mg=84)
    )

    assert by_vein.status_code == 400
    assert "nasal spray" in problems(by_vein)["route"]
    assert per_kg.status_code == 400
    assert "in mg, not mg/kg" in problems(per_kg)["dose_mg_per_kg"]
    assert odd_dose.status_code == 400
    assert "28, 56 or 84 mg, not 60" in problems(odd_dose)["dose_mg"]
    assert right.status_code == 201, right.text
    listed = (await doc.get(url)).json()
    assert [(i["drug"], i["route"], i["dose_mg"]) for i in listed] == [
        ("esketamine", "intranasal", 84)
    ]


async def test_it_refuses_blood_pressures_that_are_not_readings(
    make_client: ClientFactory, world: World
) -> None:
    doc = await make_client("doc@a.test")
    url = f"/api/patients/{world.patient_a1.id}/infusions"

    response = await doc.post(
        url,
        json=body(
            bp_systolic_before=12,
            bp_diastolic_before=80,
            bp_systolic_40min=80,
            bp_diastolic_40min=130,
            bp_systolic_discharge=128,
        ),
    )

    assert response.status_code == 400
    found = problems(response)
    assert set(found) == {"bp_systolic_before", "bp_systolic_40min", "bp_diastolic_discharge"}
    assert "between 60 and 260" in found["bp_systolic_before"]
    assert "were they swapped?" in found["bp_systolic_40min"]
    assert "give the diastolic pressure at discharge" in found["bp_diastolic_discharge"]
    # The whole message lists every field, for a client that shows only the detail.
    assert "bp_systolic_40min" in response.json()["detail"]
    assert (await doc.get(url)).json() == []


async def test_it_refuses_doses_that_cannot_both_be_right(
    make_client: ClientFactory, world: World
) -> None:
    doc = await make_client("doc@a.test")
    url = f"/api/patients/{world.patient_a1.id}/infusions"

    total_as_per_kg = await doc.post(url, json=body(dose_mg_per_kg=5))
    disagreeing = await doc.post(url, json=body(dose_mg_per_kg=0.5, dose_mg=400))
    zero = await doc.post(url, json=body(dose_mg_per_kg=0))
    agreeing = await doc.post(url, json=body(dose_mg_per_kg=0.5, dose_mg=40))

    assert total_as_per_kg.status_code == 400
    assert "anaesthetic" in problems(total_as_per_kg)["dose_mg_per_kg"]
    assert disagreeing.status_code == 400
    assert "a patient of 800 kg" in problems(disagreeing)["dose_mg"]
    assert zero.status_code == 400 and set(problems(zero)) == {"dose_mg_per_kg"}
    assert agreeing.status_code == 201, agreeing.text


async def test_a_correction_is_checked_against_the_whole_record(
    make_client: ClientFactory, world: World
) -> None:
    doc = await make_client("doc@a.test")
    url = f"/api/patients/{world.patient_a1.id}/infusions"
    created = await doc.post(url, json=body(bp_systolic_before=130, bp_diastolic_before=85))
    assert created.status_code == 201, created.text
    infusion = f"{url}/{created.json()['id']}"

    to_esketamine = await doc.patch(infusion, json={"drug": "esketamine"})
    half_reading = await doc.patch(infusion, json={"bp_diastolic_before": None})
    whole_change = await doc.patch(
        infusion,
        json={"drug": "esketamine", "route": "intranasal", "dose_mg_per_kg": None, "dose_mg": 56},
    )

    assert to_esketamine.status_code == 400
    assert set(problems(to_esketamine)) == {"route", "dose_mg_per_kg"}
    assert half_reading.status_code == 400
    assert set(problems(half_reading)) == {"bp_diastolic_before"}
    assert whole_change.status_code == 200, whole_change.text
    corrected = whole_change.json()
    assert (corrected["drug"], corrected["route"], corrected["dose_mg_per_kg"]) == (
        "esketamine",
        "intranasal",
        None,
    )
    assert corrected["updated_by_name"] == world.clinician_a.display_name
    cleared = await doc.patch(infusion, json={"route": None})
    assert cleared.status_code == 400 and set(problems(cleared)) == {"route"}
