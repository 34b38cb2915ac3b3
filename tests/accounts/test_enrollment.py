"""A clinician adds a patient; the patient opens a one-time link, sets a password and is signed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from afterglow.accounts.models import Clinic, Invite, Patient
from afterglow.accounts.sessions import token_hash
from conftest import ClientFactory, World

NEW_PASSWORD = "a long synthetic passphrase"


def token_of(url: str) -> str:
    assert "/#/enroll/" in url
    return url.split("/#/enroll/", 1)[1]


def field_errors(response: Any) -> set[str]:
    return {error["key"] for error in response.json().get("extra", [])}


async def add_unenrolled_patient(
    db: AsyncSession,
    clinic: Clinic,
    token: str,
    *,
    email: str | None = None,
    created: datetime | None = None,
) -> Patient:
    """A patient the clinic has added, with an enrollment link `token` sent `created` (default now)."""
    created = created or datetime.now(UTC)
    patient = Patient(
        clinic_id=clinic.id or 0,
        display_name="Patient New",
        email=email,
        timezone="America/Chicago",
        created_at=created,
    )
    db.add(patient)
    await db.flush()
    db.add(
        Invite(
            token_hash=token_hash(token),
            clinic_id=clinic.id or 0,
            role="patient",
            patient_id=patient.id,
            email=email,
            created_at=created,
            expires_at=created + timedelta(days=7),
        )
    )
    await db.commit()
    return patient


async def test_it_creates_a_patient_with_an_enrollment_link(
    make_client: ClientFactory, world: World
) -> None:
    doc = await make_client("doc@a.test")

    response = await doc.post(
        "/api/patients", json={"display_name": "Patient New", "timezone": "America/Chicago"}
    )

    assert response.status_code == 201, response.text
    created = response.json()
    assert created["patient"]["display_name"] == "Patient New"
    assert created["patient"]["timezone"] == "America/Chicago"
    assert created["patient"]["enrolled"] is False
    assert created["enrollment"]["url"].startswith("http://testserver.local/#/enroll/")
    expires_at = datetime.fromisoformat(created["enrollment"]["expires_at"])
    assert timedelta(days=6, hours=23) < expires_at - datetime.now(UTC) <= timedelta(days=7)
    anonymous = await make_client()
    shown = await anonymous.get(f"/api/enrollment/{token_of(created['enrollment']['url'])}")
    assert shown.status_code == 200
    assert shown.json()["clinic"] == "Synthetic Clinic A"
    assert shown.json()["display_name"] == "Patient New"
    assert shown.json()["role"] == "patient"
    assert shown.json()["needs_email"] is True


async def test_it_shows_the_email_a_link_was_sent_for(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    await add_unenrolled_patient(db, world.clinic_a, "link-with-email", email="new@a.test")
    anonymous = await make_client()

    response = await anonymous.get("/api/enrollment/link-with-email")

    assert response.status_code == 200
    assert response.json()["email"] == "new@a.test"
    assert response.json()["needs_email"] is False


async def test_it_signs_the_patient_in_when_they_accept_the_link(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    patient = await add_unenrolled_patient(db, world.clinic_a, "fresh-link")
    phone = await make_client()

    response = await phone.post(
        "/api/enrollment/fresh-link", json={"email": "New@A.test ", "password": NEW_PASSWORD}
    )

    assert response.status_code == 201, response.text
    me = (await phone.get("/api/me")).json()
    assert me["role"] == "patient"
    assert me["patient_id"] == patient.id
    assert me["email"] == "new@a.test"
    assert me["clinic"]["name"] == "Synthetic Clinic A"
    doc = await make_client("doc@a.test")
    profile = (await doc.get(f"/api/patients/{patient.id}")).json()
    assert (profile["enrolled"], profile["email"]) == (True, "new@a.test")
    await make_client("new@a.test", NEW_PASSWORD)


async def test_it_uses_the_email_the_link_was_sent_for(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    await add_unenrolled_patient(db, world.clinic_a, "emailed-link", email="new@a.test")
    phone = await make_client()

    response = await phone.post("/api/enrollment/emailed-link", json={"password": NEW_PASSWORD})

    assert response.status_code == 201, response.text
    assert response.json()["email"] == "new@a.test"


async def test_it_asks_for_an_email_when_the_link_has_none(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    await add_unenrolled_patient(db, world.clinic_a, "no-email-link")
    phone = await make_client()

    response = await phone.post("/api/enrollment/no-email-link", json={"password": NEW_PASSWORD})

    assert response.status_code == 400
    assert field_errors(response) == {"email"}
    assert (await phone.get("/api/enrollment/no-email-link")).status_code == 200


async def test_it_refuses_a_link_used_once_already(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    await add_unenrolled_patient(db, world.clinic_a, "one-time-link")
    first = await make_client()
    accepted = await first.post(
        "/api/enrollment/one-time-link", json={"email": "new@a.test", "password": NEW_PASSWORD}
    )
    assert accepted.status_code == 201
    second = await make_client()

    response = await second.post(
        "/api/enrollment/one-time-link", json={"email": "other@a.test", "password": NEW_PASSWORD}
    )

    assert response.status_code == 400
    assert field_errors(response) == {"token"}
    assert (await second.get("/api/enrollment/one-time-link")).status_code == 400
    assert (await second.get("/api/me")).status_code == 401


async def test_it_refuses_a_link_older_than_seven_days(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    await add_unenrolled_patient(
        db, world.clinic_a, "old-link", created=datetime.now(UTC) - timedelta(days=7, minutes=1)
    )
    phone = await make_client()

    shown = await phone.get("/api/enrollment/old-link")
    accepted = await phone.post(
        "/api/enrollment/old-link", json={"email": "new@a.test", "password": NEW_PASSWORD}
    )

    assert (shown.status_code, accepted.status_code) == (400, 400)
    assert "7 days" in accepted.json()["detail"]


async def test_it_refuses_an_unknown_link(make_client: ClientFactory, world: World) -> None:
    phone = await make_client()

    response = await phone.get("/api/enrollment/not-a-real-token")

    assert response.status_code == 400
    assert field_errors(response) == {"token"}


async def test_it_retires_the_old_link_when_a_new_one_is_issued(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    patient = await add_unenrolled_patient(db, world.clinic_a, "lost-link")
    doc = await make_client("doc@a.test")

    response = await doc.post(f"/api/patients/{patient.id}/enrollment")

    assert response.status_code == 201, response.text
    phone = await make_client()
    assert (await phone.get("/api/enrollment/lost-link")).status_code == 400
    new_token = token_of(response.json()["url"])
    assert new_token != "lost-link"
    accepted = await phone.post(
        f"/api/enrollment/{new_token}", json={"email": "new@a.test", "password": NEW_PASSWORD}
    )
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["patient_id"] == patient.id


async def test_it_does_not_reissue_a_link_to_an_enrolled_patient(
    make_client: ClientFactory, world: World
) -> None:
    doc = await make_client("doc@a.test")

    response = await doc.post(f"/api/patients/{world.patient_a1.id}/enrollment")

    assert response.status_code == 409


async def test_it_does_not_reissue_a_link_for_another_clinics_patient(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    patient = await add_unenrolled_patient(db, world.clinic_a, "clinic-a-link")
    doc_b = await make_client("doc@b.test")

    response = await doc_b.post(f"/api/patients/{patient.id}/enrollment")

    assert response.status_code == 404
    assert (await doc_b.get("/api/enrollment/clinic-a-link")).status_code == 200


async def test_it_refuses_a_short_password(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    await add_unenrolled_patient(db, world.clinic_a, "short-password-link")
    phone = await make_client()

    response = await phone.post(
        "/api/enrollment/short-password-link", json={"email": "new@a.test", "password": "123456789"}
    )

    assert response.status_code == 400
    assert field_errors(response) == {"password"}
    assert (await phone.get("/api/enrollment/short-password-link")).status_code == 200


async def test_it_refuses_an_email_that_already_has_an_account(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    patient = await add_unenrolled_patient(db, world.clinic_a, "taken-email-link")
    phone = await make_client()

    response = await phone.post(
        "/api/enrollment/taken-email-link", json={"email": "p2@a.test", "password": NEW_PASSWORD}
    )

    assert response.status_code == 409
    await db.refresh(patient)
    assert patient.user_id is None
    assert (await phone.get("/api/enrollment/taken-email-link")).status_code == 200


async def test_it_refuses_a_time_zone_that_is_not_iana(
    make_client: ClientFactory, world: World
) -> None:
    doc = await make_client("doc@a.test")

    response = await doc.post(
        "/api/patients", json={"display_name": "Patient New", "timezone": "Central Time"}
    )

    assert response.status_code == 400
    assert field_errors(response) == {"timezone"}
    listed = (await doc.get("/api/patients")).json()
    assert "Patient New" not in [p["display_name"] for p in listed]


async def test_it_lets_only_clinicians_add_patients(
    make_client: ClientFactory, world: World
) -> None:
    admin = await make_client("admin@a.test")
    patient = await make_client("p1@a.test")
    body = {"display_name": "Patient New", "timezone": "America/Chicago"}

    by_admin = await admin.post("/api/patients", json=body)
    by_patient = await patient.post("/api/patients", json=body)

    assert (by_admin.status_code, by_patient.status_code) == (403, 403)
