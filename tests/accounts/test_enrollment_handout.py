"""A clinician adds a patient with their country and the clinic's record number, and gets the
one-time link once, as a QR code for the printed handout with the clinic's phone number."""

from __future__ import annotations

import io
from typing import Any

import segno
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.accounts.models import Clinic, Patient
from afterglow.audit.models import AuditEvent
from conftest import ClientFactory, World


def problems(response: Any) -> dict[str, str]:
    return {e["key"]: e["message"] for e in response.json().get("extra", [])}


def svg_of(url: str) -> str:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=4, xmldecl=False, nl=False)
    return out.getvalue().decode()


def new_patient(**fields: Any) -> dict[str, Any]:
    return {"display_name": "Synthetic Newcomer", "timezone": "America/Mexico_City", **fields}


async def test_it_returns_the_link_once_as_a_qr_code_with_the_clinic_and_its_phone(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    clinic = await db.get(Clinic, world.clinic_a.id)
    assert clinic is not None
    clinic.settings = {**clinic.settings, "clinic_phone": "+1 555 010 0100"}
    await db.commit()
    doc = await make_client("doc@a.test")

    response = await doc.post(
        "/api/patients",
        json=new_patient(locale="es-MX", country="mx", external_id=" MRN-0042 "),
    )

    assert response.status_code == 201, response.text
    created = response.json()
    patient, handout = created["patient"], created["enrollment"]
    assert (patient["country"], patient["external_id"], patient["locale"]) == (
        "MX",
        "MRN-0042",
        "es-MX",
    )
    assert "/#/enroll/" in handout["url"]
    assert handout["qr_svg"].startswith("<svg") and handout["qr_svg"] == svg_of(handout["url"])
    assert (handout["clinic_name"], handout["clinic_phone"]) == (
        "Synthetic Clinic A",
        "+1 555 010 0100",
    )
    # Only the hash of the token is kept: the link is nowhere in what the status read returns.
    status = await doc.get(f"/api/patients/{patient['id']}/enrollment")
    assert status.status_code == 200
    assert status.json()["enrolled"] is False
    assert status.json()["link_expires_at"] == handout["expires_at"]
    assert handout["url"].rsplit("/", 1)[1] not in status.text


async def test_a_new_link_ends_the_old_one_and_comes_with_its_own_qr_code(
    make_client: ClientFactory, world: World
) -> None:
    doc = await make_client("doc@a.test")
    first = (await doc.post("/api/patients", json=new_patient())).json()
    patient_id = first["patient"]["id"]

    again = await doc.post(f"/api/patients/{patient_id}/enrollment")

    assert again.status_code == 201, again.text
    handout = again.json()
    assert handout["url"] != first["enrollment"]["url"]
    assert handout["qr_svg"] == svg_of(handout["url"])
    assert handout["clinic_phone"] is None
    old_token = first["enrollment"]["url"].rsplit("/", 1)[1]
    anonymous = await make_client()
    assert (await anonymous.get(f"/api/enrollment/{old_token}")).status_code in (404, 410, 400)
    enrolled = await doc.post(f"/api/patients/{world.patient_a1.id}/enrollment")
    assert enrolled.status_code == 409


async def test_the_country_is_an_iso_code_or_the_time_zones(
    make_client: ClientFactory, world: World
) -> None:
    doc = await make_client("doc@a.test")

    made_up = await doc.post("/api/patients", json=new_patient(country="XX"))
    spelled_out = await doc.post("/api/patients", json=new_patient(country="Mexico"))
    from_zone = await doc.post("/api/patients", json=new_patient(timezone="Europe/Madrid"))
    no_country = await doc.post("/api/patients", json=new_patient(timezone="Etc/UTC"))

    assert made_up.status_code == 400 and set(problems(made_up)) == {"country"}
    assert "two letters like US" in problems(made_up)["country"]
    assert spelled_out.status_code == 400 and set(problems(spelled_out)) == {"country"}
    assert from_zone.status_code == 201 and from_zone.json()["patient"]["country"] == "ES"
    assert no_country.status_code == 201 and no_country.json()["patient"]["country"] is None
    moved = await doc.patch(f"/api/patients/{world.patient_a1.id}", json={"country": "gb"})
    assert moved.status_code == 200 and moved.json()["country"] == "GB"
    refused = await doc.patch(f"/api/patients/{world.patient_a1.id}", json={"country": "UK"})
    assert refused.status_code == 400 and set(problems(refused)) == {"country"}


async def test_a_record_number_is_unique_within_the_clinic_only(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    doc_a, doc_b = await make_client("doc@a.test"), await make_client("doc@b.test")
    first = await doc_a.post("/api/patients", json=new_patient(external_id="MRN-7"))
    assert first.status_code == 201, first.text

    same_clinic = await doc_a.post("/api/patients", json=new_patient(external_id="MRN-7"))
    other_clinic = await doc_b.post("/api/patients", json=new_patient(external_id="MRN-7"))
    renumbered = await doc_a.patch(
        f"/api/patients/{world.patient_a1.id}", json={"external_id": "MRN-7"}
    )
    kept_own = await doc_a.patch(
        f"/api/patients/{first.json()['patient']['id']}", json={"external_id": "MRN-7"}
    )

    assert same_clinic.status_code == 409
    assert "MRN-7" in same_clinic.json()["detail"]
    assert other_clinic.status_code == 201, other_clinic.text
    assert renumbered.status_code == 409
    assert kept_own.status_code == 200
    numbered = (
        await db.execute(select(col(Patient.clinic_id)).where(col(Patient.external_id) == "MRN-7"))
    ).scalars()
    assert sorted(numbered) == sorted([world.clinic_a.id, world.clinic_b.id])


async def test_another_clinics_clinician_cannot_see_or_reissue_a_link_and_reads_are_audited(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    doc_a, doc_b = await make_client("doc@a.test"), await make_client("doc@b.test")
    created = (await doc_a.post("/api/patients", json=new_patient())).json()
    patient_id = created["patient"]["id"]

    status_b = await doc_b.get(f"/api/patients/{patient_id}/enrollment")
    reissue_b = await doc_b.post(f"/api/patients/{patient_id}/enrollment")
    admin = await make_client("admin@a.test")
    status_admin = await admin.get(f"/api/patients/{patient_id}/enrollment")
    status_a = await doc_a.get(f"/api/patients/{patient_id}/enrollment")

    assert (status_b.status_code, reissue_b.status_code) == (404, 404)
    assert status_admin.status_code == 403
    assert status_a.status_code == 200
    actions = (
        await db.execute(
            select(col(AuditEvent.action), col(AuditEvent.actor_user_id)).where(
                col(AuditEvent.patient_id) == patient_id
            )
        )
    ).all()
    assert ("patient.enrollment.read", world.clinician_a.id) in actions
    assert all(actor != world.clinician_b.id for _, actor in actions)
