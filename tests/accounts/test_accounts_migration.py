"""Migration 0005 on a database with people in it: every account, session and link survives the
move to per-clinic emails, and audit rows written before lose their clinical content."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text

from afterglow.db import alembic_config, create_engine
from afterglow.settings import Settings
from conftest import database_at

AT = datetime(2026, 11, 1, tzinfo=UTC)
AUDIT_BEFORE: list[tuple[str, dict[str, Any]]] = [
    ("alert.acknowledge", {"note": "Synthetic note: overdose plan discussed"}),
    ("event.create", {"kind": "suicide_attempt"}),
    ("infusion.update", {"infusion_id": 3, "changes": {"dose_mg": 40, "notes": "Synthetic"}}),
    ("alert.escalate", {"alert_id": 5, "level": "urgent", "recipients": [1]}),
    ("patients.list", {"q": "synthetic name", "count": 2}),
    ("checkins.read", {"instrument": "phq9"}),
]


@pytest.fixture
def at_0004(backend: str, tmp_path: Path) -> Iterator[Settings]:
    """A new database of `backend`, migrated up to 0004 only."""
    with database_at(backend, tmp_path, "0004") as settings:
        yield settings


async def _people_at_0004(settings: Settings) -> None:
    engine = create_engine(settings)
    async with engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO clinic (id, name, settings, created_at) VALUES (1, 'C', '{}', :at)"),
            {"at": AT},
        )
        for user_id, email, role in ((1, "doc@c.test", "clinician"), (2, "p@c.test", "patient")):
            await conn.execute(
                text(
                    "INSERT INTO app_user (id, clinic_id, email, display_name, role, password_hash,"
                    " is_active, created_at) VALUES (:id, 1, :email, 'Synthetic', :role, 'x',"
                    " true, :at)"
                ),
                {"id": user_id, "email": email, "role": role, "at": AT},
            )
        await conn.execute(
            text(
                "INSERT INTO patient (id, clinic_id, user_id, display_name, email, timezone, locale,"
                " pain_enabled, is_active, created_by, created_at) VALUES (1, 1, 2, 'Synthetic',"
                " 'p@c.test', 'America/Chicago', 'en-US', false, true, 1, :at)"
            ),
            {"at": AT},
        )
        await conn.execute(
            text(
                "INSERT INTO auth_session (token_hash, user_id, created_at, expires_at,"
                " last_seen_at) VALUES (:hash, 2, :at, :until, :at)"
            ),
            {"hash": "0" * 64, "at": AT, "until": AT + timedelta(days=30)},
        )
        await conn.execute(
            text(
                "INSERT INTO invite (token_hash, clinic_id, role, email, created_by, created_at,"
                " expires_at) VALUES (:hash, 1, 'clinician', 'new@c.test', 1, :at, :until)"
            ),
            {"hash": "1" * 64, "at": AT, "until": AT + timedelta(days=7)},
        )
        for action, detail in AUDIT_BEFORE:
            await conn.execute(
                text(
                    "INSERT INTO audit_event (at, clinic_id, actor_user_id, actor_role, action,"
                    " patient_id, detail) VALUES (:at, 1, 1, 'clinician', :action, 1, :detail)"
                ),
                {"at": AT, "action": action, "detail": json.dumps(detail)},
            )
    await engine.dispose()


async def test_upgrading_keeps_every_account_and_takes_content_out_of_the_audit_trail(
    at_0004: Settings,
) -> None:
    await _people_at_0004(at_0004)

    await asyncio.to_thread(command.upgrade, alembic_config(at_0004), "0005")

    engine = create_engine(at_0004)
    async with engine.connect() as conn:
        users = (await conn.execute(text("SELECT id, email FROM app_user ORDER BY id"))).all()
        sessions = (await conn.execute(text("SELECT user_id FROM auth_session"))).all()
        links = (await conn.execute(text("SELECT email, failed_claims FROM invite"))).all()
        audit = (await conn.execute(text("SELECT detail FROM audit_event ORDER BY id"))).all()
    await engine.dispose()
    assert [tuple(u) for u in users] == [(1, "doc@c.test"), (2, "p@c.test")]
    assert [tuple(s) for s in sessions] == [(2,)]
    assert [tuple(link) for link in links] == [("new@c.test", 0)]
    details = [d if isinstance(d, dict) else json.loads(d) for (d,) in audit]
    assert details == [
        {},
        {},
        {"infusion_id": 3, "changes": ["dose_mg", "notes"]},
        {"alert_id": 5, "recipients": [1]},
        {"count": 2},
        {"instrument": "phq9"},
    ]


async def test_the_migration_goes_down_and_up_again(at_0004: Settings) -> None:
    await _people_at_0004(at_0004)
    config = alembic_config(at_0004)

    await asyncio.to_thread(command.upgrade, config, "0005")
    await asyncio.to_thread(command.downgrade, config, "0004")
    await asyncio.to_thread(command.upgrade, config, "0005")

    engine = create_engine(at_0004)
    async with engine.connect() as conn:
        count = (await conn.execute(text("SELECT count(*) FROM app_user"))).scalar_one()
    await engine.dispose()
    assert count == 2
