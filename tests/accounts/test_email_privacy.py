"""No answer of one clinic says whether an email has an account at another clinic.

Emails are unique per clinic. A link or a staff member of clinic A can only ever learn of
clinic A's accounts, and a link refused for a taken email stops working after a few tries.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from test_enrollment import add_unenrolled_patient, token_of

from afterglow.accounts.models import User
from conftest import PASSWORD, ClientFactory, World

NEW_PASSWORD = "a long synthetic passphrase"


async def test_an_enrollment_link_does_not_reveal_an_account_in_another_clinic(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    patient = await add_unenrolled_patient(db, world.clinic_a, "link-a")
    await add_unenrolled_patient(db, world.clinic_a, "link-a-fresh")
    phone = await make_client()

    elsewhere = await phone.post(
        "/api/enrollment/link-a", json={"email": "P1@b.test", "password": NEW_PASSWORD}
    )
    nowhere = await (await make_client()).post(
        "/api/enrollment/link-a-fresh", json={"email": "fresh@b.test", "password": NEW_PASSWORD}
    )

    assert (elsewhere.status_code, nowhere.status_code) == (201, 201), elsewhere.text
    assert elsewhere.json().keys() == nowhere.json().keys()
    assert elsewhere.json()["patient_id"] == patient.id
    assert elsewhere.json()["clinic"]["id"] == world.clinic_a.id
    # Each person signs in to their own account with their own password.
    mine = await make_client("p1@b.test", NEW_PASSWORD)
    theirs = await make_client("p1@b.test", PASSWORD)
    assert (await mine.get("/api/me")).json()["patient_id"] == patient.id
    assert (await theirs.get("/api/me")).json()["patient_id"] == world.patient_b1.id


async def test_adding_a_patient_does_not_reveal_an_account_in_another_clinic(
    make_client: ClientFactory, world: World
) -> None:
    doc = await make_client("doc@a.test")
    body = {"display_name": "Patient Twin", "timezone": "America/Chicago"}

    elsewhere = await doc.post("/api/patients", json=body | {"email": "P1@b.test"})
    nowhere = await doc.post("/api/patients", json=body | {"email": "fresh@b.test"})

    assert (elsewhere.status_code, nowhere.status_code) == (201, 201), elsewhere.text


async def test_adding_a_patient_with_an_email_of_this_clinic_is_refused(
    make_client: ClientFactory, world: World
) -> None:
    doc = await make_client("doc@a.test")

    response = await doc.post(
        "/api/patients",
        json={"display_name": "Patient Twin", "timezone": "America/Chicago", "email": "P2@a.test"},
    )

    assert response.status_code == 409
    assert "your clinic" in response.json()["detail"]


async def test_inviting_staff_does_not_reveal_an_account_in_another_clinic(
    make_client: ClientFactory, world: World
) -> None:
    admin = await make_client("admin@a.test")

    elsewhere = await admin.post(
        "/api/staff", json={"email": "doc@b.test", "display_name": "Dr Synthetic B"}
    )
    nowhere = await admin.post(
        "/api/staff", json={"email": "fresh@b.test", "display_name": "Dr Fresh"}
    )

    assert (elsewhere.status_code, nowhere.status_code) == (201, 201), elsewhere.text
    joined = await (await make_client()).post(
        f"/api/enrollment/{token_of(elsewhere.json()['invite']['url'])}",
        json={"password": NEW_PASSWORD},
    )
    assert joined.status_code == 201, joined.text
    assert joined.json()["clinic"]["id"] == world.clinic_a.id
    assert (await make_client("doc@b.test", PASSWORD)).cookies.get("afterglow_session")


async def test_inviting_staff_does_not_tell_an_admin_which_emails_are_patients(
    make_client: ClientFactory, world: World
) -> None:
    admin = await make_client("admin@a.test")

    patient = await admin.post("/api/staff", json={"email": "p1@a.test", "display_name": "P"})
    colleague = await admin.post("/api/staff", json={"email": "doc@a.test", "display_name": "D"})

    assert (patient.status_code, colleague.status_code) == (201, 409)


async def test_an_enrollment_link_stops_working_after_a_few_taken_emails(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    patient = await add_unenrolled_patient(db, world.clinic_a, "probing-link")
    phone = await make_client()
    taken = ["doc@a.test", "doc2@a.test", "admin@a.test", "p1@a.test", "p2@a.test"]

    answers = [
        await phone.post(
            "/api/enrollment/probing-link", json={"email": email, "password": NEW_PASSWORD}
        )
        for email in taken
    ]
    after = await phone.post(
        "/api/enrollment/probing-link", json={"email": "fresh@a.test", "password": NEW_PASSWORD}
    )

    assert [a.status_code for a in answers] == [409] * 5
    assert after.status_code == 400
    assert "ask your clinic for a new one" in after.json()["detail"]
    await db.refresh(patient)
    assert patient.user_id is None
    doc = await make_client("doc@a.test")
    reissued = await doc.post(f"/api/patients/{patient.id}/enrollment")
    joined = await phone.post(
        f"/api/enrollment/{token_of(reissued.json()['url'])}",
        json={"email": "fresh@a.test", "password": NEW_PASSWORD},
    )
    assert joined.status_code == 201, joined.text


async def test_the_same_email_and_password_at_two_clinics_asks_which_clinic(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    await add_unenrolled_patient(db, world.clinic_a, "second-clinic-link")
    joined = await (await make_client()).post(
        "/api/enrollment/second-clinic-link", json={"email": "p1@b.test", "password": PASSWORD}
    )
    assert joined.status_code == 201, joined.text
    phone = await make_client()

    ambiguous = await phone.post(
        "/api/auth/login", json={"email": "p1@b.test", "password": PASSWORD}
    )
    chosen = await phone.post(
        "/api/auth/login",
        json={"email": "p1@b.test", "password": PASSWORD, "clinic_id": world.clinic_b.id},
    )

    assert ambiguous.status_code == 409
    assert {c["clinic"] for c in ambiguous.json()["extra"]} == {
        "Synthetic Clinic A",
        "Synthetic Clinic B",
    }
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["patient_id"] == world.patient_b1.id
    accounts = (await db.execute(select(User).where(User.email == "p1@b.test"))).scalars().all()
    assert sorted(a.clinic_id for a in accounts) == sorted([world.clinic_a.id, world.clinic_b.id])
