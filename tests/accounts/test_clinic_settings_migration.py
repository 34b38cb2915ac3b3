"""Migration 0006: clinic settings stored before the strict shape validate under it afterwards.

Rows are written as an older release (or a hand edit) could have left them, at revision 0005;
after the upgrade every row has the strict shape of 0006 and keeps what it meant.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text

from afterglow.db import alembic_config, create_engine
from afterglow.settings import Settings
from conftest import database_at

strict_shape = importlib.import_module(
    "afterglow.migrations.versions.0006_clinic_settings_shape"
).strict_shape

STORED: dict[str, dict[str, Any]] = {
    "untouched": {"alert_window_hours": 2, "on_call_contact": "Dr Synthetic, 555 0100"},
    "retired top-level key": {"alert_window_hours": 3, "sms_gateway": "retired"},
    "extra field in a resource": {
        "crisis_resources": {
            "default": [
                {"label": "Synthetic line", "contact": "555 0199", "kind": "phone", "hours": "24/7"}
            ]
        }
    },
    "unknown kind of resource": {
        "crisis_resources": {
            "default": [{"label": "Synthetic line", "contact": "555 0199", "kind": "sms"}]
        }
    },
    "unknown relief threshold": {"relief": {"no_such_threshold": 3}},
    "empty": {},
}


@pytest.fixture
def at_0005(backend: str, tmp_path: Path) -> Iterator[Settings]:
    """A new database of `backend`, migrated up to 0005 only (outside the test's event loop,
    as `afterglow migrate` runs)."""
    with database_at(backend, tmp_path, "0005") as settings:
        yield settings


async def test_the_shape_migration_leaves_every_stored_clinic_setting_valid(
    at_0005: Settings,
) -> None:
    engine = create_engine(at_0005)
    created = datetime(2026, 11, 1, tzinfo=UTC)
    async with engine.begin() as conn:
        for label, stored in STORED.items():
            await conn.execute(
                text("INSERT INTO clinic (name, settings, created_at) VALUES (:n, :s, :c)"),
                {"n": label, "s": json.dumps(stored), "c": created},
            )
    await asyncio.to_thread(command.upgrade, alembic_config(at_0005), "0006")
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT name, settings FROM clinic"))).all()
    await engine.dispose()
    gc.collect()  # as conftest's `db` does: no asyncpg connection may outlive this loop

    after = {name: value if isinstance(value, dict) else json.loads(value) for name, value in rows}
    for label, stored in after.items():
        # The strict shape as it was at 0006 (0014 moved crisis lists to countries).
        assert strict_shape(stored) == stored, label
    assert after["untouched"] == STORED["untouched"]
    assert after["retired top-level key"] == {"alert_window_hours": 3}
    [resource] = after["extra field in a resource"]["crisis_resources"]["default"]
    assert resource == {"label": "Synthetic line", "contact": "555 0199", "kind": "phone"}
    [resource] = after["unknown kind of resource"]["crisis_resources"]["default"]
    assert resource["kind"] == "other"
    assert after["unknown relief threshold"] == {"relief": {}}
    assert after["empty"] == {}
