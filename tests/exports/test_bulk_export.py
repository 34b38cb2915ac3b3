"""FHIR Bulk Data export of a clinic over HTTP: kick-off, polling, the manifest, NDJSON files,
`_type` and `_since`, cancelling; the job claimed through the database, resumed after a crash,
its files served by any instance and deleted when they expire."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
import zlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
from export_support import (
    KICK_OFF,
    NOW,
    Runner,
    add_records,
    export_of,
    files_by_type,
    ndjson,
)
from fhir.resources.R4B import get_fhir_model_class
from litestar import Litestar
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.accounts.models import Patient
from afterglow.app import create_app
from afterglow.audit.models import AuditEvent
from afterglow.demo.seed import CLINICIAN_EMAILS, DEMO_PASSWORD, seed_demo_clinic
from afterglow.exports.bulk import KEEP_FILES
from afterglow.exports.models import ExportChunk, ExportFile, ExportJob
from afterglow.exports.runner import LEASE
from afterglow.fhir.export import patient_resources
from afterglow.journal.schemas import JournalEntryWrite
from afterglow.journal.service import write_entry
from afterglow.settings import Settings
from conftest import ClientFactory, Clock, World, csrf_ready

ATTRIBUTION = "PHQ-9 and GAD-7 developed by Drs. Robert L. Spitzer"


async def test_a_clinician_exports_the_clinic_and_follows_it_to_the_manifest(
    make_client: ClientFactory, world: World, make_runner: Runner, db: AsyncSession
) -> None:
    doc = await make_client("doc@a.test")
    await add_records(doc, await make_client("p1@a.test"), world.patient_a1.id or 0)
    runner = make_runner()

    kicked = await doc.get(f"/fhir/Group/{world.clinic_a.id}/$export", headers=KICK_OFF)
    assert kicked.status_code == 202, kicked.text
    location = kicked.headers["content-location"]
    assert location.startswith("http://testserver.local/fhir/bulk-export/")
    waiting = await doc.get(location)
    assert waiting.status_code == 202
    assert waiting.headers["x-progress"] == "waiting to start"
    assert int(waiting.headers["retry-after"]) > 0

    assert await runner() == 1
    done = await doc.get(location)

    assert done.status_code == 200, done.text
    assert done.headers["content-type"].startswith("application/json")
    assert "expires" in done.headers
    manifest = done.json()
    assert manifest["request"] == f"http://testserver.local/fhir/Group/{world.clinic_a.id}/$export"
    assert manifest["requiresAccessToken"] is True
    assert manifest["transactionTime"].startswith(str(NOW.year))
    assert manifest["error"] == []
    assert any(ATTRIBUTION in line for line in manifest["extension"]["instrumentAttribution"])
    files = await files_by_type(doc, manifest)
    assert sorted(p["id"] for p in files["Patient"]) == sorted(
        [str(world.patient_a1.id), str(world.patient_a2.id)]
    )
    assert len(files["QuestionnaireResponse"]) == 3
    assert len(files["MedicationAdministration"]) == 1
    assert {q["name"] for q in files["Questionnaire"]} >= {"AfterglowPhq9", "AfterglowGad7"}
    assert any(ATTRIBUTION in q.get("copyright", "") for q in files["Questionnaire"])
    # Clinic B's patient is in no file.
    assert f"Patient/{world.patient_b1.id}" not in str(files)
    audited = await db.scalar(select(func.count()).where(col(AuditEvent.action) == "export.bulk"))
    assert audited == 2  # one row per patient of the clinic


async def test_the_files_hold_what_patient_everything_holds(
    make_client: ClientFactory, world: World, make_runner: Runner, settings: Settings
) -> None:
    doc = await make_client("doc@a.test")
    await add_records(doc, await make_client("p1@a.test"), world.patient_a1.id or 0)
    _, manifest = await export_of(doc, make_runner(), world)
    files = await files_by_type(doc, manifest)
    exported = sorted(
        (r["resourceType"], r["id"])
        for resources in files.values()
        for r in resources
        if r["resourceType"] not in ("Questionnaire", "CodeSystem")
    )

    from afterglow.db import create_engine

    engine = create_engine(settings)
    expected = []
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            for patient in (world.patient_a1, world.patient_a2):
                async for r in patient_resources(session, world.clinic_a.id or 0, patient.id or 0):
                    expected.append((r["resourceType"], r["id"]))
    finally:
        await engine.dispose()
    assert exported == sorted(expected)


async def test_every_line_of_the_files_is_the_resource_patient_everything_builds(
    make_client: ClientFactory, settings: Settings, make_runner: Runner, db: AsyncSession
) -> None:
    await seed_demo_clinic(settings, patients=5, days=60)
    doc = await make_client(CLINICIAN_EMAILS[0], DEMO_PASSWORD)
    clinic_id = (await doc.get("/api/me")).json()["clinic"]["id"]
    patients = list(
        await db.scalars(
            select(col(Patient.id)).where(col(Patient.clinic_id) == clinic_id).order_by("id")
        )
    )
    # Journals, some shared, of patients read in one run with others.
    for patient_id, shared in ((patients[0], True), (patients[1], False), (patients[3], True)):
        for words in ("Synthetic entry, first.", "Synthetic entry, second."):
            await write_entry(
                db,
                patient_id or 0,
                str(uuid.uuid4()),
                JournalEntryWrite(text=words, shared=shared),
                NOW,
            )
    kicked = await doc.get(f"/fhir/Group/{clinic_id}/$export", headers=KICK_OFF)
    assert kicked.status_code == 202, kicked.text
    assert await make_runner(clock=Clock(NOW))() == 1
    files = await files_by_type(doc, (await doc.get(kicked.headers["content-location"])).json())

    from afterglow.db import create_engine

    engine = create_engine(settings)
    expected: dict[str, list[dict[str, Any]]] = {}
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            patient_ids = sorted(int(p["id"]) for p in files["Patient"])
            assert len(patient_ids) == 5
            for patient_id in patient_ids:
                async for r in patient_resources(session, clinic_id, patient_id, now=NOW):
                    expected.setdefault(r["resourceType"], []).append(r)
    finally:
        await engine.dispose()
    exported = {t: rs for t, rs in files.items() if t not in ("Questionnaire", "CodeSystem")}
    assert sorted(exported) == sorted(expected)
    assert {"QuestionnaireResponse", "Observation", "MedicationAdministration"} <= set(expected)
    assert len(expected["Communication"]) == 4
    # The same resources, whole, in the same order: each patient's in turn.
    for resource_type, resources in expected.items():
        assert exported[resource_type] == resources, resource_type


async def test_type_and_since_keep_what_was_asked_for(
    make_client: ClientFactory, world: World, make_runner: Runner
) -> None:
    doc = await make_client("doc@a.test")
    patient = await make_client("p1@a.test")
    await add_records(doc, patient, world.patient_a1.id or 0)
    runner = make_runner()
    _, first = await export_of(
        doc, runner, world, "?_type=Patient,QuestionnaireResponse,Questionnaire"
    )
    assert sorted(item["type"] for item in first["output"]) == [
        "Patient",
        "Questionnaire",
        "QuestionnaireResponse",
    ]
    gad7 = next(
        q["url"]
        for q in (await files_by_type(doc, first))["Questionnaire"]
        if q["name"] == "AfterglowGad7"
    )

    await asyncio.sleep(0.05)
    later = await patient.post(
        "/api/checkins",
        json={"instrument": "gad7", "answers": [0, 0, 0, 0, 0, 0, 0]},
        headers={"Idempotency-Key": "3f0c7a52-7f4e-4f4a-9b0e-1d5a3c2b1a00"},
    )
    assert later.status_code in (200, 201), later.text
    since = httpx.QueryParams(
        {"_since": first["transactionTime"], "_type": "QuestionnaireResponse"}
    )
    _, second = await export_of(doc, runner, world, f"?{since}")
    files = await files_by_type(doc, second)
    # Only the GAD-7 sent after the first export's transactionTime, with its zeros.
    (response,) = files["QuestionnaireResponse"]
    assert response["questionnaire"] == gad7
    assert [i["answer"][0]["valueCoding"]["code"] for i in response["item"][:1]] == ["LA6568-5"]


async def test_bad_kick_offs_answer_400_with_an_operation_outcome(
    make_client: ClientFactory, world: World
) -> None:
    doc = await make_client("doc@a.test")
    group = f"/fhir/Group/{world.clinic_a.id}/$export"
    cases: list[tuple[str, dict[str, str], str]] = [
        (group, {}, "Prefer"),
        (group + "?_type=Medication", KICK_OFF, "_type"),
        (group + "?_since=2026-01-01T00:00:00", KICK_OFF, "_since"),
        (group + "?_outputFormat=text/csv", KICK_OFF, "_outputFormat"),
        (group + "?_elements=id", KICK_OFF, "_elements"),
    ]
    for url, headers, field in cases:
        response = await doc.get(url, headers=headers)
        assert response.status_code == 400, (url, response.text)
        assert response.headers["content-type"].startswith("application/fhir+json")
        outcome = response.json()
        assert outcome["resourceType"] == "OperationOutcome"
        assert field in response.text, (url, response.text)
    lenient = await doc.get(
        group + "?_elements=id", headers={**KICK_OFF, "Prefer": "respond-async, handling=lenient"}
    )
    assert lenient.status_code == 202, lenient.text


async def test_only_the_clinics_clinicians_export_it(
    make_client: ClientFactory, world: World
) -> None:
    group = f"/fhir/Group/{world.clinic_a.id}/$export"
    anonymous = await make_client()
    assert (await anonymous.get(group, headers=KICK_OFF)).status_code == 401
    for email, status in (("admin@a.test", 403), ("p1@a.test", 403), ("doc@b.test", 404)):
        client = await make_client(email)
        response = await client.get(group, headers=KICK_OFF)
        assert response.status_code == status, (email, response.text)
        assert response.json()["resourceType"] == "OperationOutcome"


async def test_a_third_export_at_once_is_asked_to_wait(
    make_client: ClientFactory, world: World
) -> None:
    doc = await make_client("doc@a.test")
    group = f"/fhir/Group/{world.clinic_a.id}/$export"
    for _ in range(2):
        assert (await doc.get(group, headers=KICK_OFF)).status_code == 202
    third = await doc.get(group, headers=KICK_OFF)
    assert third.status_code == 429
    assert int(third.headers["retry-after"]) > 0


async def test_delete_cancels_an_export_and_it_is_gone(
    make_client: ClientFactory, world: World, make_runner: Runner, db: AsyncSession
) -> None:
    doc = await make_client("doc@a.test")
    location, manifest = await export_of(doc, make_runner(), world)
    file_url = manifest["output"][0]["url"]

    cancelled = await doc.delete(location)

    assert cancelled.status_code == 202
    gone = await doc.get(location)
    assert gone.status_code == 404 and gone.json()["resourceType"] == "OperationOutcome"
    assert (await doc.get(file_url)).status_code == 404
    assert await db.scalar(select(func.count()).select_from(ExportChunk)) == 0
    assert (await doc.delete(location)).status_code == 404


async def test_a_running_export_stops_at_its_next_checkpoint_when_cancelled(
    make_client: ClientFactory, world: World, make_runner: Runner, db: AsyncSession
) -> None:
    doc = await make_client("doc@a.test")
    kicked = await doc.get(f"/fhir/Group/{world.clinic_a.id}/$export", headers=KICK_OFF)
    location = kicked.headers["content-location"]

    async def cancelled_midway(session: Any, clinic_id: int, patient_id: int, **kw: Any) -> Any:
        if patient_id == world.patient_a2.id:
            assert (await doc.delete(location)).status_code == 202
        async for resource in patient_resources(session, clinic_id, patient_id, **kw):
            yield resource

    runner = make_runner(resources=cancelled_midway, checkpoint_seconds=0)
    assert await runner() == 1

    assert (await doc.get(location)).status_code == 404
    job = (await db.execute(select(ExportJob))).scalar_one()
    assert job.status == "cancelled"
    assert await db.scalar(select(func.count()).select_from(ExportFile)) == 0


async def test_an_instance_that_dies_mid_export_is_taken_over_from_its_last_checkpoint(
    make_client: ClientFactory, world: World, make_runner: Runner, settings: Settings
) -> None:
    doc = await make_client("doc@a.test")
    location = (
        await doc.get(f"/fhir/Group/{world.clinic_a.id}/$export", headers=KICK_OFF)
    ).headers["content-location"]

    class Died(BaseException):
        """The process went away: nothing after this runs, not even an error handler."""

    async def dies_at_the_second_patient(
        session: Any, clinic_id: int, patient_id: int, **kw: Any
    ) -> AsyncIterator[dict[str, Any]]:
        if patient_id == world.patient_a2.id:
            raise Died
        async for resource in patient_resources(session, clinic_id, patient_id, **kw):
            yield resource

    clock = Clock(NOW)
    first = make_runner(resources=dies_at_the_second_patient, checkpoint_seconds=0, clock=clock)
    with contextlib.suppress(Died):
        await first()
    progress = await doc.get(location)
    assert progress.status_code == 202
    assert progress.headers["x-progress"] == "1 of 2 patients exported"

    second = make_runner(clock=clock)
    assert await second() == 0  # the lease still holds
    clock.set(NOW + LEASE + timedelta(seconds=1))
    assert await second() == 1

    manifest = (await doc.get(location)).json()
    patients = (await files_by_type(doc, manifest))["Patient"]
    assert sorted(p["id"] for p in patients) == sorted(
        [str(world.patient_a1.id), str(world.patient_a2.id)]
    )


async def test_a_patient_whose_record_cannot_be_read_is_named_in_the_error_file(
    make_client: ClientFactory, world: World, make_runner: Runner
) -> None:
    doc = await make_client("doc@a.test")

    async def fails_halfway(
        session: Any, clinic_id: int, patient_id: int, **kw: Any
    ) -> AsyncIterator[dict[str, Any]]:
        async for resource in patient_resources(session, clinic_id, patient_id, **kw):
            yield resource
            if patient_id == world.patient_a2.id:
                raise RuntimeError("synthetic failure")

    _, manifest = await export_of(doc, make_runner(resources=fails_halfway), world)

    files = await files_by_type(doc, manifest)
    assert [p["id"] for p in files["Patient"]] == [str(world.patient_a1.id)]
    (error,) = manifest["error"]
    outcomes = ndjson((await doc.get(error["url"])).content)
    assert [o["resourceType"] for o in outcomes] == ["OperationOutcome"]
    assert f"Patient/{world.patient_a2.id}" in outcomes[0]["issue"][0]["diagnostics"]
    assert "synthetic failure" not in str(outcomes)


async def test_the_patients_read_after_one_left_out_halfway_are_exported_whole(
    make_client: ClientFactory, world: World, make_runner: Runner, settings: Settings
) -> None:
    doc = await make_client("doc@a.test")
    first, second = world.patient_a1.id or 0, world.patient_a2.id or 0
    await add_records(doc, await make_client("p1@a.test"), first)
    await add_records(doc, await make_client("p2@a.test"), second)

    async def fails_after_its_first_resource(
        session: Any, clinic_id: int, patient_id: int, **kw: Any
    ) -> AsyncIterator[dict[str, Any]]:
        async for resource in patient_resources(session, clinic_id, patient_id, **kw):
            yield resource
            if patient_id == first:
                raise RuntimeError("synthetic failure")

    clock = Clock(NOW)
    runner = make_runner(resources=fails_after_its_first_resource, clock=clock)
    _, manifest = await export_of(doc, runner, world)

    files = await files_by_type(doc, manifest)
    exported = [
        r for t, rs in files.items() if t not in ("Questionnaire", "CodeSystem") for r in rs
    ]
    # Of the first patient, nothing (not even the check-ins read with the second's); of the
    # second, the whole record.
    assert f"Patient/{first}" not in str(exported) and exported
    from afterglow.db import create_engine

    engine = create_engine(settings)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            whole = [
                r async for r in patient_resources(session, world.clinic_a.id or 0, second, now=NOW)
            ]
    finally:
        await engine.dispose()
    key = ("resourceType", "id")
    assert sorted(exported, key=lambda r: [r[k] for k in key]) == sorted(
        whole, key=lambda r: [r[k] for k in key]
    )
    (error,) = manifest["error"]
    assert f"Patient/{first}" in (await doc.get(error["url"])).text


async def test_another_instance_serves_the_manifest_and_the_files(
    make_client: ClientFactory, world: World, make_runner: Runner, settings: Settings
) -> None:
    doc = await make_client("doc@a.test")
    location, manifest = await export_of(doc, make_runner(), world)
    other: Litestar = create_app(settings)
    async with other.lifespan():
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=other), base_url="http://testserver.local"
        )
        try:
            await csrf_ready(client)
            signed_in = await client.post(
                "/api/auth/login", json={"email": "doc@a.test", "password": "correct horse battery"}
            )
            assert signed_in.status_code == 200
            served = await client.get(location)
            assert served.json() == manifest
            assert await files_by_type(client, manifest) == await files_by_type(doc, manifest)
        finally:
            await client.aclose()


async def test_files_are_stored_compressed_and_served_as_ndjson_as_are_files_stored_plain(
    make_client: ClientFactory, world: World, make_runner: Runner, db: AsyncSession
) -> None:
    doc = await make_client("doc@a.test")
    await add_records(doc, await make_client("p1@a.test"), world.patient_a1.id or 0)
    _, manifest = await export_of(doc, make_runner(), world)
    served = await files_by_type(doc, manifest)
    stored = (await db.execute(select(ExportChunk))).scalars().all()
    files = (await db.execute(select(ExportFile))).scalars().all()
    assert sum(len(c.data) for c in stored) < sum(f.size_bytes for f in files)

    # As an export stored before chunks were compressed (or by an older instance) holds them.
    for chunk in stored:
        chunk.data = zlib.decompress(chunk.data)
    await db.commit()
    assert sum(len(c.data) for c in stored) == sum(f.size_bytes for f in files)
    assert await files_by_type(doc, manifest) == served


async def test_files_are_deleted_when_they_expire(
    make_client: ClientFactory, world: World, make_runner: Runner, db: AsyncSession
) -> None:
    doc = await make_client("doc@a.test")
    clock = Clock(NOW)
    runner = make_runner(clock=clock)
    location, manifest = await export_of(doc, runner, world)
    assert await db.scalar(select(func.count()).select_from(ExportChunk)) > 0

    clock.set(NOW + KEEP_FILES + timedelta(minutes=1))
    assert await runner() == 0

    await db.rollback()  # a fresh read, not the snapshot of the count above
    assert await db.scalar(select(func.count()).select_from(ExportChunk)) == 0
    assert await db.scalar(select(func.count()).select_from(ExportFile)) == 0
    expired = await doc.get(location)
    assert expired.status_code == 404 and "expired" in expired.text
    assert (await doc.get(manifest["output"][0]["url"])).status_code == 404


async def test_the_demo_clinic_exports_end_to_end_every_line_a_valid_fhir_resource(
    make_client: ClientFactory, settings: Settings, make_runner: Runner
) -> None:
    await seed_demo_clinic(settings, patients=6, days=45)
    doc = await make_client(CLINICIAN_EMAILS[0], DEMO_PASSWORD)
    clinic_id = (await doc.get("/api/me")).json()["clinic"]["id"]
    kicked = await doc.get(f"/fhir/Group/{clinic_id}/$export", headers=KICK_OFF)
    assert kicked.status_code == 202, kicked.text
    location = kicked.headers["content-location"]
    assert (await doc.get(location)).status_code == 202

    assert await make_runner()() == 1

    manifest = (await doc.get(location)).json()
    assert manifest["error"] == []
    files = await files_by_type(doc, manifest)
    assert len(files["Patient"]) == 6
    for resources in files.values():
        for resource in resources:
            get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    ids = [f"{r['resourceType']}/{r['id']}" for rs in files.values() for r in rs]
    assert len(ids) == len(set(ids)), "every resource once"
    assert (await doc.delete(location)).status_code == 202
    assert (await doc.get(location)).status_code == 404
