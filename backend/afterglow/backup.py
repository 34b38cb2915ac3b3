"""`afterglow backup PATH` and `afterglow restore PATH`: a consistent copy of the database, and
putting one back.

SQLite is copied with its online backup API, so a copy taken while the server writes is one
consistent moment. PostgreSQL goes through `pg_dump -Fc`, and back through `pg_restore` and
`psql` in one transaction that replaces every table. Restoring refuses while Afterglow runs on
the database: `serve` and `worker` hold a shared lock on `<data dir>/afterglow.lock` for as long
as they run, and the kernel lets it go when they die, however they die.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from sqlalchemy.engine import make_url

from afterglow.settings import Settings


class BackupError(Exception):
    """Something the operator can fix; the message says what."""


def lock_path(settings: Settings) -> Path:
    return settings.data_dir / "afterglow.lock"


# Open for the life of the process: closing it would let the lock go.
_HELD: list[IO[str]] = []


def hold_serving_lock(settings: Settings) -> None:
    """Taken (shared) by every server and worker process, so that restore can see them."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    handle = open(lock_path(settings), "a")  # noqa: SIM115
    fcntl.flock(handle, fcntl.LOCK_SH)
    _HELD.append(handle)


@contextmanager
def nothing_serving(settings: Settings) -> Iterator[None]:
    """Exclusive hold of the lock for the length of a restore, or BackupError."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with open(lock_path(settings), "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError(
                "Afterglow is running on this database (a server or worker holds "
                f"{lock_path(settings)}). Stop every server and worker, then restore."
            ) from None
        yield


def backup(settings: Settings, target: Path) -> str:
    """Write a backup to `target` (replaced only once the new copy is complete)."""
    target = target.resolve()
    if target.is_dir():
        raise BackupError(f"{target} is a folder; give the backup file's name.")
    if not target.parent.is_dir():
        raise BackupError(f"There is no folder {target.parent}.")
    partial = target.with_name(target.name + ".partial")
    try:
        if settings.is_sqlite:
            described = _sqlite_backup(sqlite_path(settings), partial)
        else:
            described = _pg_dump(settings, partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return f"{described} to {target} ({target.stat().st_size:,} bytes)."


def restore(settings: Settings, source: Path) -> str:
    """Replace the configured database with the backup at `source`."""
    source = source.resolve()
    if not source.is_file():
        raise BackupError(f"There is no backup file {source}.")
    if settings.is_sqlite:
        _check_sqlite_backup(source)
        with nothing_serving(settings):
            return _sqlite_restore(source, sqlite_path(settings))
    _check_pg_archive(settings, source)
    with nothing_serving(settings):
        return _pg_restore(settings, source)


# SQLite


def sqlite_path(settings: Settings) -> Path:
    database = make_url(settings.database_url).database
    if not database or database == ":memory:":
        raise BackupError("The database is in memory; there is nothing to back up or restore.")
    return Path(database).resolve()


def _sqlite_backup(database: Path, partial: Path) -> str:
    if not database.is_file():
        raise BackupError(f"There is no database at {database}.")
    partial.unlink(missing_ok=True)
    with (
        closing(sqlite3.connect(database, timeout=30)) as live,
        closing(sqlite3.connect(partial)) as copy,
    ):
        # One step: the whole copy is read in one transaction, one consistent moment, while
        # the server goes on writing to the WAL.
        live.backup(copy)
        _check_integrity(copy, partial)
    return f"Backed up the SQLite database {database}"


def _check_integrity(connection: sqlite3.Connection, path: Path) -> None:
    (result,) = connection.execute("PRAGMA quick_check").fetchone()
    if result != "ok":
        raise BackupError(f"{path} is damaged: {result}")


def _check_sqlite_backup(source: Path) -> None:
    try:
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as copy:
            _check_integrity(copy, source)
            tables = {r[0] for r in copy.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{source} is damaged or not an SQLite backup ({error}).") from None
    if "alembic_version" not in tables:
        raise BackupError(f"{source} is an SQLite file but not an Afterglow database.")


def _sqlite_restore(source: Path, database: Path) -> str:
    database.parent.mkdir(parents=True, exist_ok=True)
    kept = None
    with closing(sqlite3.connect(database, timeout=0)) as live:
        try:
            # Leaving WAL mode needs the database to itself: this fails while any other program
            # has it open, even one that does not hold Afterglow's lock.
            live.execute("PRAGMA journal_mode=DELETE").fetchone()
        except sqlite3.OperationalError:
            raise BackupError(
                f"Another program has {database} open. Stop it, then restore."
            ) from None
        if _has_tables(live):
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            kept = database.with_name(f"{database.name}.before-restore-{stamp}")
            with closing(sqlite3.connect(kept)) as copy:
                live.backup(copy)
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as copy:
            # The backup API writes the pages inside one transaction of `live`: an interrupted
            # restore leaves the database as it was.
            copy.backup(live)
        _check_integrity(live, database)
        live.execute("PRAGMA journal_mode=WAL").fetchone()
    message = f"Restored {database} from {source}."
    if kept is not None:
        message += f" The database as it was before is kept in {kept}."
    return message


def _has_tables(connection: sqlite3.Connection) -> bool:
    (count,) = connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    return bool(count)


# PostgreSQL


def _libpq_env(settings: Settings) -> tuple[dict[str, str], str]:
    """The client tools' environment for the configured database, and its name.

    The password goes in the environment, never on a command line others can read.
    """
    url = make_url(settings.database_url)
    if not url.database:
        raise BackupError("AFTERGLOW_DATABASE_URL names no database.")
    env = dict(os.environ)
    for key, value in (
        ("PGHOST", url.host),
        ("PGPORT", str(url.port) if url.port else None),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
    ):
        if value:
            env[key] = value
    ssl = url.query.get("sslmode") or url.query.get("ssl")
    if isinstance(ssl, str):
        env["PGSSLMODE"] = ssl
    return env, url.database


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed: install the PostgreSQL client tools "
            "(the server's major version or newer)."
        )
    return found


def _run(command: list[str], env: dict[str, str], what: str) -> str:
    # The program is found with shutil.which and every argument is ours: no shell, no input.
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{what} failed: {result.stderr.strip() or result.returncode}")
    return result.stdout


def _pg_dump(settings: Settings, partial: Path) -> str:
    env, database = _libpq_env(settings)
    _run(
        [_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={partial}"],
        env,
        "pg_dump",
    )
    return f"Backed up the PostgreSQL database {database}"


def _check_pg_archive(settings: Settings, source: Path) -> None:
    env, _ = _libpq_env(settings)
    listing = _run([_tool("pg_restore"), "--list", str(source)], env, f"Reading {source}")
    if "alembic_version" not in listing:
        raise BackupError(f"{source} is a pg_dump archive but not of an Afterglow database.")


# pg_restore --clean drops only what the archive has, one object at a time: tables made by later
# migrations stay behind (the next start fails to make them again), and what they reference
# cannot be dropped. A backup replaces the whole schema instead.
EMPTY_SCHEMA = """
DO $$
DECLARE item record;
BEGIN
  FOR item IN
    SELECT c.relname, c.relkind FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
  LOOP
    EXECUTE format(
      'DROP %s IF EXISTS %I CASCADE',
      CASE item.relkind
        WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
        ELSE 'TABLE'
      END,
      item.relname
    );
  END LOOP;
END $$;
"""


def _pg_restore(settings: Settings, source: Path) -> str:
    env, database = _libpq_env(settings)
    with tempfile.TemporaryDirectory(dir=settings.data_dir, prefix="restore-") as folder:
        # The whole script first: psql must never commit half of an archive that breaks midway.
        script = Path(folder) / "restore.sql"
        _run(
            [
                _tool("pg_restore"),
                "--no-owner",
                "--no-privileges",
                f"--file={script}",
                str(source),
            ],
            env,
            f"Reading {source}",
        )
        _run(
            [
                _tool("psql"),
                "--no-psqlrc",
                "--quiet",
                "--set=ON_ERROR_STOP=1",
                "--single-transaction",
                f"--command={EMPTY_SCHEMA}",
                f"--file={script}",
            ],
            env,
            "Restoring",
        )
    return f"Restored the PostgreSQL database {database} from {source}."
