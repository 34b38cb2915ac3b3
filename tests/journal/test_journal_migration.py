"""Migration 0015 on a database with reminder plans in it: each plan gets the journal prompt on,
and going back down removes the journal and the setting."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text

from afterglow.db import alembic_config, create_engine
from afterglow.settings import Settings
from conftest import database_at

AT = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def at_0014(backend: str, tmp_path: Path) -> Iterator[Settings]:
    with database_at(backend, tmp_path, "0014") as settings:
        yield settings


async def _a_plan_at_0014(settings: Settings) -> None:
    engine = create_engine(settings)
    async with engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO clinic (id, name, settings, created_at) VALUES (1, 'C', '{}', :at)"),
            {"at": AT},
        )
        await conn.execute(
            text(
                "INSERT INTO patient (id, clinic_id, display_name, timezone, locale,"
                " pain_enabled, is_active, created_at) VALUES (1, 1, 'Synthetic',"
                " 'America/New_York', 'en-US', false, true, :at)"
            ),
            {"at": AT},
        )
        await conn.execute(
            text(
                "INSERT INTO reminder_plan (patient_id, quiet_start, quiet_end, infusion_nudges,"
                " planned_timezone, planned_through, updated_at) VALUES (1, '21:30:00',"
                " '08:00:00', true, 'America/New_York', :at, :at)"
            ),
            {"at": AT},
        )
    await engine.dispose()


async def _tables_and_plan_columns(settings: Settings) -> tuple[set[str], set[str]]:
    engine = create_engine(settings)
    async with engine.connect() as conn:
        found = await conn.run_sync(
            lambda sync: (
                set(inspect(sync).get_table_names()),
                {c["name"] for c in inspect(sync).get_columns("reminder_plan")},
            )
        )
    await engine.dispose()
    return found


async def test_existing_plans_get_the_journal_prompt_on_and_down_removes_the_journal(
    at_0014: Settings,
) -> None:
    await _a_plan_at_0014(at_0014)

    await asyncio.to_thread(command.upgrade, alembic_config(at_0014), "0015")

    engine = create_engine(at_0014)
    async with engine.connect() as conn:
        prompts = (await conn.execute(text("SELECT journal_prompts FROM reminder_plan"))).scalar()
        entries = (await conn.execute(text("SELECT count(*) FROM journal_entry"))).scalar()
    await engine.dispose()
    assert prompts in (True, 1) and entries == 0

    await asyncio.to_thread(command.downgrade, alembic_config(at_0014), "0014")
    tables, columns = await _tables_and_plan_columns(at_0014)
    assert "journal_entry" not in tables and "journal_prompts" not in columns
    assert "reminder_plan" in tables
