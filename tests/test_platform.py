"""Health, readiness, the OpenAPI contract and the migrated schema."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from afterglow.db import create_engine


async def test_health_answers_without_a_session(client):
    response = await client.get("/api/health")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_ready_answers_when_the_database_does(client):
    response = await client.get("/api/ready")
    assert response.status_code == 200 and response.json() == {"status": "ready"}


async def test_the_openapi_contract_names_every_operation(client):
    schema = (await client.get("/schema/openapi.json")).json()
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert len(operations) >= 25
    for op in operations:
        assert op.get("operationId") and op.get("tags") and op.get("summary"), op
    assert "/api/checkins" in schema["paths"]


async def test_the_migrated_schema_equals_the_models(settings):
    engine = create_engine(settings)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync_conn: compare_metadata(
                    MigrationContext.configure(sync_conn, opts={"compare_type": True}),
                    SQLModel.metadata,
                )
            )
    finally:
        await engine.dispose()
    assert diff == []


@pytest.mark.parametrize("path", ["/api/instruments"])
async def test_the_instrument_catalogue_is_public_and_complete(client, path):
    catalogue = (await client.get(path)).json()
    assert [i["id"] for i in catalogue] == ["phq9", "gad7", "mood", "pain", "after"]
    assert catalogue[0]["items"][8]["loinc"] == "44260-8"
