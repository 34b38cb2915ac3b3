"""Admins invite, list, deactivate and reactivate the clinic's clinicians and admins."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from afterglow.accounts.models import User
from conftest import ClientFactory, World, add_user

NEW_PASSWORD = "a long synthetic passphrase"


def token_of(url: str) -> str:
    assert "/#/enroll/" in url
    return url.split("/#/enroll/", 1)[1]


async def test_it_invites_a_clinician_who_signs_up_in_the_admins_clinic(
    make_client: ClientFactory, world: World
) -> None:
    admin = await make_client("admin@a.test")
    invited = await admin.post(
        "/api/staff", json={"email": "New.Doc@A.test", "display_name": "Dr Synthetic New"}
    )
    assert invited.status_code == 201, invited.text
    assert (invited.json()["email"], invited.json()["role"]) == ("new.doc@a.test", "clinician")
    newcomer = await make_client()

    response = await newcomer.post(
        f"/api/enrollment/{token_of(invited.json()['invite']['url'])}",
        json={"password": NEW_PASSWORD},
    )

    assert response.status_code == 201, response.text
    me = (await newcomer.get("/api/me")).json()
    assert me["role"] == "clinician"
    assert me["email"] == "new.doc@a.test"
    assert me["display_name"] == "Dr Synthetic New"
    assert me["clinic"] == {"id": world.clinic_a.id, "name": "Synthetic Clinic A"}
    assert me["patient_id"] is None
    again = await make_client("new.doc@a.test", NEW_PASSWORD)
    assert (await again.get(f"/api/patients/{world.patient_a1.id}/infusions")).status_code == 200


async def test_it_shows_a_staff_link_for_what_it_is(
    make_client: ClientFactory, world: World
) -> None:
    admin = await make_client("admin@a.test")
    invited = await admin.post(
        "/api/staff",
        json={"email": "admin2@a.test", "display_name": "Admin Two", "role": "admin"},
    )
    anonymous = await make_client()

    response = await anonymous.get(f"/api/enrollment/{token_of(invited.json()['invite']['url'])}")

    assert response.status_code == 200
    shown = response.json()
    assert (shown["clinic"], shown["role"]) == ("Synthetic Clinic A", "admin")
    assert (shown["display_name"], shown["email"], shown["needs_email"]) == (
        "Admin Two",
        "admin2@a.test",
        False,
    )


async def test_it_refuses_to_invite_an_email_of_the_clinics_staff(
    make_client: ClientFactory, world: World
) -> None:
    admin = await make_client("admin@a.test")

    response = await admin.post(
        "/api/staff", json={"email": "Doc2@a.test", "display_name": "Dr Synthetic A2"}
    )

    assert response.status_code == 409


async def test_an_admin_cannot_retire_another_clinics_staff_invitation(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    await add_user(db, world.clinic_b, "admin@b.test", "admin", "Admin B")
    await db.commit()
    admin_a = await make_client("admin@a.test")
    admin_b = await make_client("admin@b.test")
    invited = await admin_a.post(
        "/api/staff", json={"email": "locum@a.test", "display_name": "Dr Locum"}
    )

    other = await admin_b.post(
        "/api/staff", json={"email": "locum@a.test", "display_name": "Dr Locum"}
    )

    assert (invited.status_code, other.status_code) == (201, 201)
    newcomer = await make_client()
    token = token_of(invited.json()["invite"]["url"])
    assert (await newcomer.get(f"/api/enrollment/{token}")).status_code == 200
    joined = await newcomer.post(f"/api/enrollment/{token}", json={"password": NEW_PASSWORD})
    assert joined.status_code == 201, joined.text
    assert joined.json()["clinic"]["id"] == world.clinic_a.id


async def test_a_staff_invitation_is_accepted_only_under_the_invited_email(
    make_client: ClientFactory, world: World
) -> None:
    admin = await make_client("admin@a.test")
    invited = await admin.post(
        "/api/staff", json={"email": "new.doc@a.test", "display_name": "Dr Synthetic New"}
    )
    token = token_of(invited.json()["invite"]["url"])
    newcomer = await make_client()

    other_email = await newcomer.post(
        f"/api/enrollment/{token}", json={"email": "someone.else@a.test", "password": NEW_PASSWORD}
    )
    same_email = await newcomer.post(
        f"/api/enrollment/{token}", json={"email": "New.Doc@a.test", "password": NEW_PASSWORD}
    )

    assert other_email.status_code == 400
    assert {e["key"] for e in other_email.json()["extra"]} == {"email"}
    assert same_email.status_code == 201, same_email.text
    assert same_email.json()["email"] == "new.doc@a.test"


async def test_it_lists_the_clinics_staff_without_patients(
    make_client: ClientFactory, world: World
) -> None:
    admin = await make_client("admin@a.test")

    response = await admin.get("/api/staff")

    assert response.status_code == 200
    assert [(s["email"], s["role"], s["is_active"]) for s in response.json()] == [
        ("admin@a.test", "admin", True),
        ("doc@a.test", "clinician", True),
        ("doc2@a.test", "clinician", True),
    ]


async def test_it_signs_out_a_deactivated_clinician_everywhere(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    doc2 = await make_client("doc2@a.test")
    admin = await make_client("admin@a.test")

    response = await admin.patch(f"/api/staff/{world.clinician_a2.id}", json={"is_active": False})

    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False
    assert (await doc2.get("/api/me")).status_code == 401
    anonymous = await make_client()
    login = await anonymous.post(
        "/api/auth/login", json={"email": "doc2@a.test", "password": "correct horse battery"}
    )
    assert login.status_code == 401
    assert (await make_client("doc@a.test")).cookies.get("afterglow_session")
    user = await db.get(User, world.clinician_a2.id, populate_existing=True)
    assert user is not None and user.is_active is False


async def test_it_lets_a_reactivated_clinician_sign_in_again(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    world.clinician_a2.is_active = False
    db.add(world.clinician_a2)
    await db.commit()
    admin = await make_client("admin@a.test")

    response = await admin.patch(f"/api/staff/{world.clinician_a2.id}", json={"is_active": True})

    assert response.status_code == 200
    assert response.json()["is_active"] is True
    await make_client("doc2@a.test")


async def test_it_keeps_staff_administration_from_clinicians(
    make_client: ClientFactory, world: World
) -> None:
    doc = await make_client("doc@a.test")

    listed = await doc.get("/api/staff")
    invited = await doc.post("/api/staff", json={"email": "x@a.test", "display_name": "X"})
    changed = await doc.patch(f"/api/staff/{world.clinician_a2.id}", json={"is_active": False})

    assert (listed.status_code, invited.status_code, changed.status_code) == (403, 403, 403)
    await make_client("doc2@a.test")


async def test_it_keeps_staff_administration_from_patients(
    make_client: ClientFactory, world: World
) -> None:
    patient = await make_client("p1@a.test")

    response = await patient.get("/api/staff")

    assert response.status_code == 403


async def test_it_does_not_let_an_admin_deactivate_themself(
    make_client: ClientFactory, world: World
) -> None:
    admin = await make_client("admin@a.test")

    response = await admin.patch(f"/api/staff/{world.admin_a.id}", json={"is_active": False})

    assert response.status_code == 409
    assert (await admin.get("/api/me")).status_code == 200


async def test_it_does_not_let_an_admin_touch_another_clinics_staff(
    make_client: ClientFactory, world: World
) -> None:
    admin = await make_client("admin@a.test")

    response = await admin.patch(f"/api/staff/{world.clinician_b.id}", json={"is_active": False})

    assert response.status_code == 404
    await make_client("doc@b.test")


async def test_it_does_not_treat_a_patient_as_staff(
    make_client: ClientFactory, world: World
) -> None:
    admin = await make_client("admin@a.test")
    patient_user_id = world.patient_a1.user_id

    response = await admin.patch(f"/api/staff/{patient_user_id}", json={"is_active": False})

    assert response.status_code == 404
    await make_client("p1@a.test")
