"""Migrations 0010 and 0011 on a database with patients in it: the blood pressure taken after a
treatment becomes its discharge reading, and each patient gets the country of their time zone."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from afterglow.db import alembic_config, create_engine
from afterglow.settings import Settings
from conftest import database_at

AT = datetime(2026, 11, 1, tzinfo=UTC)
ZONES = {1: "America/Mexico_City", 2: "Europe/London", 3: "Etc/UTC"}


@pytest.fixture
def at_0009(backend: str, tmp_path: Path) -> Iterator[Settings]:
    with database_at(backend, tmp_path, "0009") as settings:
        yield settings


async def _patients_at_0009(settings: Settings) -> None:
    engine = create_engine(settings)
    async with engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO clinic (id, name, settings, created_at) VALUES (1, 'C', '{}', :at)"),
            {"at": AT},
        )
        for patient_id, zone in ZONES.items():
            await conn.execute(
                text(
                    "INSERT INTO patient (id, clinic_id, display_name, timezone, locale,"
                    " pain_enabled, is_active, created_at) VALUES (:id, 1, 'Synthetic', :zone,"
                    " 'en-US', false, true, :at)"
                ),
                {"id": patient_id, "zone": zone, "at": AT},
            )
        await conn.execute(
            text(
                "INSERT INTO infusion (patient_id, given_at, route, kind, bp_systolic_before,"
                " bp_diastolic_before, bp_systolic_after, bp_diastolic_after, created_at,"
                " updated_at) VALUES (1, :at, 'iv', 'induction', 128, 82, 134, 86, :at, :at)"
            ),
            {"at": AT},
        )
    await engine.dispose()


async def test_the_after_reading_becomes_discharge_and_patients_get_their_zones_country(
    at_0009: Settings,
) -> None:
    await _patients_at_0009(at_0009)

    await asyncio.to_thread(command.upgrade, alembic_config(at_0009), "0011")

    engine = create_engine(at_0009)
    async with engine.connect() as conn:
        rows = await conn.execute(text("SELECT id, country FROM patient ORDER BY id"))
        countries = {patient_id: country for patient_id, country in rows.all()}
        reading = (
            await conn.execute(
                text(
                    "SELECT bp_systolic_discharge, bp_diastolic_discharge, bp_systolic_40min,"
                    " drug FROM infusion"
                )
            )
        ).one()
    await engine.dispose()
    assert countries == {1: "MX", 2: "GB", 3: None}
    assert tuple(reading) == (134, 86, None, None)

    await asyncio.to_thread(command.downgrade, alembic_config(at_0009), "0009")

    engine = create_engine(at_0009)
    async with engine.connect() as conn:
        after = (
            await conn.execute(text("SELECT bp_systolic_after, bp_diastolic_after FROM infusion"))
        ).one()
    await engine.dispose()
    assert tuple(after) == (134, 86)
