"""A way back in that needs no email: a clinician hands a locked-out patient a one-time reset link
(as a QR code), an admin does the same for the clinic's staff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from afterglow.accounts.models import Invite
from afterglow.audit.models import AuditEvent
from afterglow.clock import SetClock
from conftest import PASSWORD, ClientFactory, World

NEW_PASSWORD = "a new synthetic passphrase"


def token_of(url: str) -> str:
    assert "/#/enroll/" in url
    return url.split("/#/enroll/", 1)[1]


async def test_a_clinician_can_issue_a_patient_a_password_reset_link(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    old_phone = await make_client("p1@a.test")
    doc = await make_client("doc@a.test")

    issued = await doc.post(f"/api/patients/{world.patient_a1.id}/password-reset")

    assert issued.status_code == 201, issued.text
    link = issued.json()
    assert link["qr_svg"].startswith("<svg") and link["qr_svg"].endswith("</svg>")
    expires_at = datetime.fromisoformat(link["expires_at"])
    assert timedelta(minutes=59) < expires_at - datetime.now(UTC) <= timedelta(hours=1)
    new_phone = await make_client()
    token = token_of(link["url"])
    shown = (await new_phone.get(f"/api/enrollment/{token}")).json()
    assert (shown["purpose"], shown["email"], shown["display_name"], shown["needs_email"]) == (
        "password_reset",
        "p1@a.test",
        "Patient A1",
        False,
    )

    reset = await new_phone.post(f"/api/enrollment/{token}", json={"password": NEW_PASSWORD})

    assert reset.status_code == 201, reset.text
    assert reset.json()["patient_id"] == world.patient_a1.id
    assert (await new_phone.get("/api/me")).status_code == 200
    assert (await old_phone.get("/api/me")).status_code == 401
    anonymous = await make_client()
    old = await anonymous.post("/api/auth/login", json={"email": "p1@a.test", "password": PASSWORD})
    assert old.status_code == 401
    await make_client("p1@a.test", NEW_PASSWORD)
    trail = (
        await db.execute(
            select(AuditEvent.action, AuditEvent.actor_user_id, AuditEvent.patient_id).order_by(
                AuditEvent.id
            )
        )
    ).all()
    assert [tuple(row) for row in trail] == [
        ("patient.password_reset.issue", world.clinician_a.id, world.patient_a1.id),
        ("account.password_reset.use", world.patient_a1.user_id, None),
    ]


async def test_a_reset_link_works_once(make_client: ClientFactory, world: World) -> None:
    doc = await make_client("doc@a.test")
    link = (await doc.post(f"/api/patients/{world.patient_a1.id}/password-reset")).json()
    phone = await make_client()
    token = token_of(link["url"])
    first = await phone.post(f"/api/enrollment/{token}", json={"password": NEW_PASSWORD})

    second = await (await make_client()).post(
        f"/api/enrollment/{token}", json={"password": "another synthetic passphrase"}
    )

    assert (first.status_code, second.status_code) == (201, 400)
    await make_client("p1@a.test", NEW_PASSWORD)


async def test_a_reset_link_stops_working_after_an_hour(
    make_client: ClientFactory, world: World, app_clock: SetClock
) -> None:
    doc = await make_client("doc@a.test")
    link = (await doc.post(f"/api/patients/{world.patient_a1.id}/password-reset")).json()
    app_clock.advance(timedelta(hours=1, seconds=1))

    response = await (await make_client()).post(
        f"/api/enrollment/{token_of(link['url'])}", json={"password": NEW_PASSWORD}
    )

    assert response.status_code == 400
    await make_client("p1@a.test", PASSWORD)


async def test_a_new_reset_link_retires_the_earlier_one(
    make_client: ClientFactory, world: World
) -> None:
    doc = await make_client("doc@a.test")
    first = (await doc.post(f"/api/patients/{world.patient_a1.id}/password-reset")).json()
    second = (await doc.post(f"/api/patients/{world.patient_a1.id}/password-reset")).json()
    phone = await make_client()

    assert (await phone.get(f"/api/enrollment/{token_of(first['url'])}")).status_code == 400
    assert (await phone.get(f"/api/enrollment/{token_of(second['url'])}")).status_code == 200


async def test_a_reset_link_lets_a_patient_in_while_sign_in_is_delayed(
    make_client: ClientFactory, world: World
) -> None:
    attacker = await make_client()
    for _ in range(6):
        await attacker.post(
            "/api/auth/login", json={"email": "p1@a.test", "password": "wrong password"}
        )
    doc = await make_client("doc@a.test")
    link = (await doc.post(f"/api/patients/{world.patient_a1.id}/password-reset")).json()
    phone = await make_client()

    reset = await phone.post(
        f"/api/enrollment/{token_of(link['url'])}", json={"password": NEW_PASSWORD}
    )

    assert reset.status_code == 201, reset.text
    assert (await phone.get("/api/me")).json()["patient_id"] == world.patient_a1.id


async def test_an_admin_can_issue_staff_a_password_reset_link(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    doc2 = await make_client("doc2@a.test")
    admin = await make_client("admin@a.test")

    issued = await admin.post(f"/api/staff/{world.clinician_a2.id}/password-reset")

    assert issued.status_code == 201, issued.text
    laptop = await make_client()
    reset = await laptop.post(
        f"/api/enrollment/{token_of(issued.json()['url'])}", json={"password": NEW_PASSWORD}
    )
    assert reset.status_code == 201, reset.text
    assert reset.json()["email"] == "doc2@a.test"
    assert (await doc2.get("/api/me")).status_code == 401
    await make_client("doc2@a.test", NEW_PASSWORD)
    audit = (
        await db.execute(
            select(AuditEvent).where(AuditEvent.action == "staff.password_reset.issue")
        )
    ).scalar_one()
    assert (audit.actor_user_id, audit.target) == (
        world.admin_a.id,
        f"user:{world.clinician_a2.id}",
    )


async def test_reset_links_are_issued_only_within_the_clinic_and_role(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    doc_b = await make_client("doc@b.test")
    doc = await make_client("doc@a.test")
    admin = await make_client("admin@a.test")
    patient = await make_client("p2@a.test")

    answers = [
        await doc_b.post(f"/api/patients/{world.patient_a1.id}/password-reset"),
        await admin.post(f"/api/patients/{world.patient_a1.id}/password-reset"),
        await patient.post(f"/api/patients/{world.patient_a1.id}/password-reset"),
        await admin.post(f"/api/staff/{world.patient_a1.user_id}/password-reset"),
        await admin.post(f"/api/staff/{world.clinician_b.id}/password-reset"),
        await doc.post(f"/api/staff/{world.clinician_a2.id}/password-reset"),
    ]

    assert [a.status_code for a in answers] == [404, 403, 403, 404, 404, 403]
    assert (await db.execute(select(Invite))).scalars().all() == []


async def test_a_patient_who_has_not_enrolled_gets_an_enrollment_link_not_a_reset(
    make_client: ClientFactory, world: World
) -> None:
    doc = await make_client("doc@a.test")
    created = await doc.post(
        "/api/patients", json={"display_name": "Patient New", "timezone": "America/Chicago"}
    )

    response = await doc.post(f"/api/patients/{created.json()['patient']['id']}/password-reset")

    assert response.status_code == 409
    assert "enrollment link" in response.json()["detail"]
