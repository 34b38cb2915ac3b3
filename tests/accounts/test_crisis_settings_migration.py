"""Migration 0014: clinic settings stored with crisis lists by patient language move to lists by
country, each line worded per language; what was Afterglow's own list gives way to its lists by
country. Rows are written at 0012 as the old release stored them."""

from __future__ import annotations

import asyncio
import gc
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest
from alembic import command
from sqlalchemy import text

from afterglow.accounts.clinic_settings import ClinicSettings, clinic_settings
from afterglow.catalogue import catalogue
from afterglow.crisis.screen import crisis_screen
from afterglow.db import alembic_config, create_engine
from afterglow.settings import Settings
from conftest import database_at

AT = datetime(2026, 11, 1, tzinfo=UTC)
OLD_US_LIST = [
    {"label": "988 Suicide & Crisis Lifeline: call", "contact": "988", "kind": "phone"},
    {"label": "988 Suicide & Crisis Lifeline: text", "contact": "988", "kind": "text"},
    {"label": "988 Lifeline chat", "contact": "https://988lifeline.org", "kind": "chat"},
    {"label": "Veterans Crisis Line: call 988, then press 1", "contact": "988", "kind": "phone"},
    {"label": "Immediate danger: call 911", "contact": "911", "kind": "emergency"},
]
OWN_LINE = {"label": "Synthetic clinic night line", "contact": "+44 20 7946 0000", "kind": "phone"}
EMERGENCY_999 = {"label": "Emergency: 999", "contact": "999", "kind": "emergency"}
# name -> (stored settings, the countries of its patients)
CLINICS: dict[str, tuple[dict[str, Any], list[str]]] = {
    "saved once, never changed the list": (
        {
            "crisis_resources": {"default": OLD_US_LIST},
            "not_emergency_notice": "This app is not monitored around the clock and is not "
            "emergency care. If you might act on these thoughts, call or text 988 or call 911 now.",
            "alert_window_hours": 3,
            "clinic_phone": "+1 555 010 0199",
        },
        ["US", "US"],
    ),
    "own list in English and Spanish": (
        {
            "crisis_resources": {
                "default": [OWN_LINE, EMERGENCY_999],
                "es": [
                    {**OWN_LINE, "label": "Línea nocturna de la clínica (sintética)"},
                    {**EMERGENCY_999, "label": "Emergencias: 999"},
                ],
                "es-MX": [
                    {"label": "Línea sólo en español", "contact": "555 0100", "kind": "phone"}
                ],
            },
            "not_emergency_notice": "Our own words, in English only.",
        },
        ["GB", "GB", "US"],
    ),
    "own list, no patients yet": ({"crisis_resources": {"default": [OWN_LINE]}}, []),
    "never saved": ({}, ["MX"]),
}


@pytest.fixture
def at_0012(backend: str, tmp_path: Path) -> Iterator[Settings]:
    with database_at(backend, tmp_path, "0012") as settings:
        yield settings


async def _store(settings: Settings) -> None:
    engine = create_engine(settings)
    async with engine.begin() as conn:
        for clinic_id, (name, (stored, countries)) in enumerate(CLINICS.items(), start=1):
            await conn.execute(
                text("INSERT INTO clinic (id, name, settings, created_at) VALUES (:i, :n, :s, :c)"),
                {"i": clinic_id, "n": name, "s": json.dumps(stored), "c": AT},
            )
            for country in countries:
                await conn.execute(
                    text(
                        "INSERT INTO patient (clinic_id, display_name, timezone, locale, country,"
                        " pain_enabled, is_active, created_at) VALUES (:i, 'Synthetic',"
                        " 'Etc/UTC', 'en-US', :country, false, true, :at)"
                    ),
                    {"i": clinic_id, "country": country, "at": AT},
                )
    await engine.dispose()


async def _stored(settings: Settings) -> dict[str, dict[str, Any]]:
    engine = create_engine(settings)
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT name, settings FROM clinic"))).all()
    await engine.dispose()
    gc.collect()  # as conftest's `db` does: no asyncpg connection may outlive this loop
    return {name: value if isinstance(value, dict) else json.loads(value) for name, value in rows}


async def test_crisis_lists_by_language_move_to_the_clinics_home_country_and_back(
    at_0012: Settings,
) -> None:
    await _store(at_0012)

    await asyncio.to_thread(command.upgrade, alembic_config(at_0012), "0014")
    after = await _stored(at_0012)

    for name, stored in after.items():
        msgspec.convert(stored, ClinicSettings)  # raises if it does not fit the new shape
        assert "not_emergency_notice" not in stored, name
    # Afterglow's old list gives way to its lists by country; the rest is kept as it was.
    assert after["saved once, never changed the list"] == {
        "alert_window_hours": 3,
        "clinic_phone": "+1 555 010 0199",
    }
    assert after["never saved"] == {}
    # Most of the clinic's patients are in GB: its own list is GB's, each line in both
    # languages; the line only the es-MX list had keeps its Spanish, its number in English.
    assert after["own list in English and Spanish"]["crisis_resources"] == {
        "GB": [
            {
                "label": {"en": OWN_LINE["label"], "es": "Línea nocturna de la clínica (sintética)"},
                "contact": OWN_LINE["contact"],
                "kind": "phone",
            },
            {"label": {"en": "Emergency: 999", "es": "Emergencias: 999"}, "contact": "999", "kind": "emergency"},
            {"label": {"es": "Línea sólo en español", "en": "555 0100"}, "contact": "555 0100", "kind": "phone"},
        ]
    }  # fmt: skip
    # No patients: the list was the old default's country's, the US.
    [line] = after["own list, no patients yet"]["crisis_resources"]["US"]
    assert line["label"] == {"en": OWN_LINE["label"]}

    # What a London patient of that clinic is shown now: the clinic's own lines.
    screen = crisis_screen(
        catalogue(),
        clinic_settings(after["own list in English and Spanish"]),
        locale="en-GB",
        country="GB",
        timezone="Europe/London",
    )
    assert [r.contact for r in screen.resources] == [OWN_LINE["contact"], "999", "555 0100"]

    await asyncio.to_thread(command.downgrade, alembic_config(at_0012), "0012")
    before = await _stored(at_0012)

    assert before["own list in English and Spanish"]["crisis_resources"] == {
        "default": [OWN_LINE, EMERGENCY_999, {"label": "555 0100", "contact": "555 0100", "kind": "phone"}],
        "es": [
            {**OWN_LINE, "label": "Línea nocturna de la clínica (sintética)"},
            {**EMERGENCY_999, "label": "Emergencias: 999"},
            {"label": "Línea sólo en español", "contact": "555 0100", "kind": "phone"},
        ],
    }  # fmt: skip
    assert "crisis_resources" not in before["saved once, never changed the list"]
