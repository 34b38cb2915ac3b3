"""Alembic environment: runs migrations over the app's async engine, batch mode for SQLite."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import afterglow.models  # noqa: F401  (registers every table on SQLModel.metadata)
from afterglow.db import create_engine
from afterglow.settings import Settings

target_metadata = SQLModel.metadata
MIGRATION_LOCK_ID = 0x41667467  # "Aftg": one instance migrates while the others wait.


def _run(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(settings: Settings) -> None:
    engine = create_engine(settings)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    settings = context.config.attributes.get("settings") or Settings.from_env()
    asyncio.run(_run_async(settings))


if context.is_offline_mode():
    raise SystemExit("Afterglow migrates online only: run `afterglow migrate`.")
run_migrations_online()
