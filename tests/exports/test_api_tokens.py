"""API tokens: a clinician makes one for an integration, which then exports with it (no cookie,
no CSRF header) and can do nothing else; kept hashed, revocable, audited."""

from __future__ import annotations

import hashlib

import httpx
from export_support import KICK_OFF, Runner, files_by_type
from litestar import Litestar
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.audit.models import AuditEvent
from afterglow.exports.models import ApiToken
from conftest import ClientFactory, World

TOKENS = "/api/clinic/api-tokens"


def integration(app: Litestar, token: str) -> httpx.AsyncClient:
    """Another system: no cookies, no CSRF token, only the bearer token."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("198.51.100.77", 40000)),
        base_url="http://testserver.local",
        headers={"Authorization": f"Bearer {token}"},
    )


async def make_token(doc: httpx.AsyncClient, name: str = "EHR nightly export") -> dict:
    response = await doc.post(TOKENS, json={"name": name, "expires_in_days": 90})
    assert response.status_code == 201, response.text
    return response.json()


async def test_an_integration_exports_with_its_token_alone(
    make_client: ClientFactory, world: World, running_app: Litestar, make_runner: Runner
) -> None:
    doc = await make_client("doc@a.test")
    created = await make_token(doc)
    assert created["token"].startswith(created["hint"])
    ehr = integration(running_app, created["token"])
    try:
        kicked = await ehr.get(f"/fhir/Group/{world.clinic_a.id}/$export", headers=KICK_OFF)
        assert kicked.status_code == 202, kicked.text
        assert "set-cookie" not in kicked.headers
        location = kicked.headers["content-location"]
        assert await make_runner()() == 1
        manifest = (await ehr.get(location)).json()
        assert "Patient" in await files_by_type(ehr, manifest)
        # DELETE is a write, and needs no CSRF header with a token.
        assert (await ehr.delete(location)).status_code == 202
        listed = (await doc.get(TOKENS)).json()
        assert listed[0]["last_used_at"] is not None and "token" not in listed[0]
    finally:
        await ehr.aclose()


async def test_a_token_opens_nothing_but_exports(
    make_client: ClientFactory, world: World, running_app: Litestar
) -> None:
    doc = await make_client("doc@a.test")
    ehr = integration(running_app, (await make_token(doc))["token"])
    try:
        for method, path in (
            ("GET", "/api/me"),
            ("GET", f"/api/patients/{world.patient_a1.id}/timeline"),
            ("GET", f"/fhir/Patient/{world.patient_a1.id}/$everything"),
            ("POST", TOKENS),
            ("GET", "/api/clinic/exports"),
        ):
            response = await ehr.request(method, path, json={"name": "x"})
            assert response.status_code == 401, (path, response.text)
        other_clinic = await ehr.get(f"/fhir/Group/{world.clinic_b.id}/$export", headers=KICK_OFF)
        assert other_clinic.status_code == 404
    finally:
        await ehr.aclose()


async def test_a_token_sees_only_the_exports_it_started(
    make_client: ClientFactory, world: World, running_app: Litestar
) -> None:
    doc = await make_client("doc@a.test")
    by_doc = await doc.get(f"/fhir/Group/{world.clinic_a.id}/$export", headers=KICK_OFF)
    ehr = integration(running_app, (await make_token(doc))["token"])
    try:
        assert (await ehr.get(by_doc.headers["content-location"])).status_code == 404
    finally:
        await ehr.aclose()


async def test_a_revoked_token_is_refused_with_401(
    make_client: ClientFactory, world: World, running_app: Litestar, db: AsyncSession
) -> None:
    doc = await make_client("doc@a.test")
    created = await make_token(doc)
    ehr = integration(running_app, created["token"])
    group = f"/fhir/Group/{world.clinic_a.id}/$export"
    try:
        assert (await ehr.get(group, headers=KICK_OFF)).status_code == 202
        admin = await make_client("admin@a.test")
        assert (await admin.delete(f"{TOKENS}/{created['id']}")).status_code == 204

        refused = await ehr.get(group, headers=KICK_OFF)

        assert refused.status_code == 401
        assert refused.json()["resourceType"] == "OperationOutcome"
        assert "revoked" in refused.text
        listed = (await doc.get(TOKENS)).json()
        assert listed[0]["revoked_at"] is not None and listed[0]["revoked_by_name"] == "Admin A"
    finally:
        await ehr.aclose()
    actions = set(
        (await db.execute(select(col(AuditEvent.action)).where(col(AuditEvent.clinic_id) == 1)))
        .scalars()
        .all()
    )
    assert {"api_token.create", "api_token.revoke", "export.bulk.start", "export.bulk"} <= actions
    token_starts = (
        await db.execute(select(AuditEvent).where(col(AuditEvent.action) == "export.bulk.start"))
    ).scalar_one()
    assert token_starts.detail["token_id"] == created["id"]


async def test_a_token_is_kept_only_as_its_hash(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    doc = await make_client("doc@a.test")
    created = await make_token(doc)
    stored = (await db.execute(select(ApiToken))).scalar_one()
    assert stored.token_hash == hashlib.sha256(created["token"].encode()).hexdigest()
    assert created["token"] not in str(stored.model_dump())


async def test_a_deactivated_clinicians_tokens_stop_working(
    make_client: ClientFactory, world: World, running_app: Litestar
) -> None:
    doc2 = await make_client("doc2@a.test")
    ehr = integration(running_app, (await make_token(doc2))["token"])
    admin = await make_client("admin@a.test")
    off = await admin.patch(f"/api/staff/{world.clinician_a2.id}", json={"is_active": False})
    assert off.status_code == 200, off.text
    try:
        response = await ehr.get(f"/fhir/Group/{world.clinic_a.id}/$export", headers=KICK_OFF)
        assert response.status_code == 401
    finally:
        await ehr.aclose()


async def test_only_clinicians_make_tokens_and_staff_of_the_clinic_revoke_them(
    make_client: ClientFactory, world: World
) -> None:
    doc = await make_client("doc@a.test")
    created = await make_token(doc)
    admin = await make_client("admin@a.test")
    assert (await admin.post(TOKENS, json={"name": "Admin's"})).status_code == 403
    patient = await make_client("p1@a.test")
    assert (await patient.get(TOKENS)).status_code == 403
    other = await make_client("doc@b.test")
    assert (await other.delete(f"{TOKENS}/{created['id']}")).status_code == 404
    assert (await other.get(TOKENS)).json() == []
    blank = await doc.post(TOKENS, json={"name": "   "})
    assert blank.status_code == 400 and "name" in blank.text
