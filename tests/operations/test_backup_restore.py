"""`afterglow backup` and `afterglow restore`, end to end against a real `afterglow serve`: seed,
back up while it serves, change and destroy, restore, and the server serves the rows again."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from afterglow_server import afterglow, signed_in, start_server
from alembic import command
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlmodel import SQLModel

from afterglow.db import alembic_config
from afterglow.settings import Settings
from conftest import PASSWORD, PG_ADMIN_DSN, World, _run_admin


async def row_counts(db: AsyncSession) -> dict[str, int]:
    counts = {}
    for table in SQLModel.metadata.sorted_tables:
        counts[table.name] = int(await db.scalar(select(func.count()).select_from(table)) or 0)
    await db.commit()
    return counts


async def close_connections(db: AsyncSession) -> None:
    """As an operator stops everything before a restore: the test's own connections too."""
    await db.close()
    bind = db.bind
    assert isinstance(bind, AsyncEngine)
    await bind.dispose()


async def test_a_backup_restores_every_row_and_the_server_serves_them(
    settings: Settings, world: World, db: AsyncSession, tmp_path: Path
) -> None:
    server = await start_server(settings, tmp_path / "serve.log")
    try:
        patient = await signed_in(server, "p1@a.test", PASSWORD)
        clinician = await signed_in(server, "doc@a.test", PASSWORD)
        patient_id = world.patient_a1.id
        for answers in ([6], [7], [5]):
            await patient.post(
                "/api/checkins",
                json={"instrument": "mood", "answers": answers},
                headers={"Idempotency-Key": str(uuid.uuid4())},
            )
        phq9 = await patient.post(
            "/api/checkins",
            json={"instrument": "phq9", "answers": [2, 2, 2, 1, 1, 1, 1, 1, 2]},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert phq9.status_code == 201 and phq9.json()["safety"] is not None
        infusion = await clinician.post(
            f"/api/patients/{patient_id}/infusions",
            json={"given_at": "2026-11-20T10:00:00Z", "route": "iv", "kind": "induction"},
        )
        assert infusion.status_code == 201, infusion.text
        checkins_then = (await patient.get(f"/api/patients/{patient_id}/checkins")).json()
        seeded = await row_counts(db)
        assert seeded["checkin"] == 4 and seeded["safety_alert"] == 1 and seeded["infusion"] == 1

        # While the server runs: a backup is taken, a restore is refused.
        backup_file = tmp_path / "afterglow.backup"
        taken = afterglow(settings, "backup", str(backup_file))
        assert taken.returncode == 0, taken.stderr
        assert str(backup_file) in taken.stdout and backup_file.stat().st_size > 0
        refused = afterglow(settings, "restore", str(backup_file))
        assert refused.returncode == 2
        assert "Stop every server and worker, then restore" in refused.stderr

        # Changes after the backup, which the restore undoes.
        await patient.post(
            "/api/checkins",
            json={"instrument": "mood", "answers": [1]},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        removed = await clinician.post(
            f"/api/patients/{patient_id}/infusions/{infusion.json()['id']}/entered-in-error",
            json={},
        )
        assert removed.status_code == 200
    finally:
        server.stop()

    await db.execute(text("DELETE FROM safety_alert"))
    await db.commit()
    assert (await row_counts(db))["safety_alert"] == 0

    await close_connections(db)
    restored = afterglow(settings, "restore", str(backup_file))
    assert restored.returncode == 0, restored.stderr
    assert await row_counts(db) == seeded
    await close_connections(db)

    server = await start_server(settings, tmp_path / "serve-again.log", port=server.port)
    try:
        # Sessions are rows like any other: the clients signed in before the backup go on.
        assert (await patient.get(f"/api/patients/{patient_id}/checkins")).json() == checkins_then
        alerts = (await clinician.get("/api/alerts")).json()
        assert [a["checkin_id"] for a in alerts] == [phq9.json()["id"]]
        infusions = (await clinician.get(f"/api/patients/{patient_id}/infusions")).json()
        assert [i["id"] for i in infusions] == [infusion.json()["id"]]
    finally:
        server.stop()
        await patient.aclose()
        await clinician.aclose()


async def test_restore_refuses_a_file_that_is_not_an_afterglow_backup(
    settings: Settings, tmp_path: Path
) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("not a backup")
    answer = afterglow(settings, "restore", str(junk))
    assert answer.returncode == 2
    assert str(junk) in answer.stderr and "Traceback" not in answer.stderr
    missing = afterglow(settings, "restore", str(tmp_path / "nowhere.backup"))
    assert missing.returncode == 2 and "There is no backup file" in missing.stderr


def test_restore_refuses_while_another_program_has_the_sqlite_database_open(
    tmp_path: Path,
) -> None:
    settings = Settings.from_env({"AFTERGLOW_DATA_DIR": str(tmp_path / "data")})
    assert afterglow(settings, "migrate").returncode == 0
    backup_file = tmp_path / "afterglow.backup"
    assert afterglow(settings, "backup", str(backup_file)).returncode == 0
    # Not an Afterglow server (it would hold the lock): any program, e.g. an sqlite3 shell.
    with closing(sqlite3.connect(settings.data_dir / "afterglow.db")) as other:
        other.execute("SELECT count(*) FROM clinic").fetchone()
        refused = afterglow(settings, "restore", str(backup_file))
    assert refused.returncode == 2 and "Another program has" in refused.stderr
    assert afterglow(settings, "restore", str(backup_file)).returncode == 0


@pytest.fixture
def fresh_settings(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Settings]:
    """A database of its own, not yet migrated (the shared test databases are at the newest)."""
    env = {"AFTERGLOW_DATA_DIR": str(tmp_path / "data")}
    if backend == "sqlite":
        yield Settings.from_env(env)
        return
    request.getfixturevalue("pg_database")  # skips without PostgreSQL
    name = f"afterglow_test_{uuid.uuid4().hex[:12]}"
    _run_admin(f'CREATE DATABASE "{name}"')
    env["AFTERGLOW_DATABASE_URL"] = f"{PG_ADMIN_DSN.rsplit('/', 1)[0]}/{name}"
    try:
        yield Settings.from_env(env)
    finally:
        _run_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_backup_from_an_older_version_is_migrated_after_restore(
    fresh_settings: Settings, tmp_path: Path
) -> None:
    """Restore last week's backup onto this week's Afterglow: tables that later migrations made
    must go with the rest, or the next start fails to make them again."""
    command.upgrade(alembic_config(fresh_settings), "0002")
    backup_file = tmp_path / "before-the-upgrade.backup"
    assert afterglow(fresh_settings, "backup", str(backup_file)).returncode == 0
    assert afterglow(fresh_settings, "migrate").returncode == 0

    restored = afterglow(fresh_settings, "restore", str(backup_file))
    assert restored.returncode == 0, restored.stderr
    migrated = afterglow(fresh_settings, "migrate")
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    assert "Database is at the newest schema." in migrated.stdout


async def test_a_damaged_backup_is_refused_and_the_database_stays_as_it_was(
    settings: Settings, world: World, db: AsyncSession, tmp_path: Path
) -> None:
    before = await row_counts(db)
    await close_connections(db)
    backup_file = tmp_path / "afterglow.backup"
    assert afterglow(settings, "backup", str(backup_file)).returncode == 0
    whole = backup_file.read_bytes()
    # Cut short, as a full disk or an interrupted copy leaves it.
    backup_file.write_bytes(whole[: len(whole) * 2 // 3])

    refused = afterglow(settings, "restore", str(backup_file))
    assert refused.returncode == 2
    assert str(backup_file) in refused.stderr and "Traceback" not in refused.stderr
    assert await row_counts(db) == before
