"""Database engine, SQLite pragmas and the migration entry point."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from afterglow.settings import Settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def create_engine(settings: Settings, *, sqlite_write_lock_at_begin: bool = True) -> AsyncEngine:
    """One engine per app. SQLite gets WAL, a busy timeout and foreign keys on every connection."""
    if settings.is_sqlite:
        return _sqlite_engine(settings, sqlite_write_lock_at_begin)
    return create_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_pre_ping=True,
    )


def _sqlite_engine(settings: Settings, write_lock_at_begin: bool) -> AsyncEngine:
    """Embedded mode: one connection per process and every transaction BEGIN IMMEDIATE.

    SQLite has one writer at a time. A deferred transaction that reads (the session lookup)
    and then writes (the check-in) fails outright with SQLITE_BUSY when another process
    wrote in between; taking the write lock at BEGIN makes such transactions queue on the
    busy timeout instead. Within a process, one connection lets asyncio queue requests fairly
    rather than having SQLite's busy handler sleep.
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(
        settings.database_url,
        pool_size=1,
        max_overflow=0,
        pool_timeout=60,
        # Sessions end their transactions themselves; the pool's extra ROLLBACK would be one
        # more hop to the driver thread on every request.
        pool_reset_on_return=None,
        connect_args={"timeout": 30},
    )
    synchronous = settings.sqlite_synchronous

    @event.listens_for(engine.sync_engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN, not the driver.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write_lock_at_begin else "BEGIN")

    return engine


def alembic_config(settings: Settings) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", settings.database_url.replace("%", "%%"))
    config.attributes["settings"] = settings
    return config


def migrate(settings: Settings) -> None:
    """Bring the database to the newest schema. Safe to run from several instances at once on PostgreSQL."""
    command.upgrade(alembic_config(settings), "head")


async def migrate_async(settings: Settings) -> None:
    await asyncio.to_thread(migrate, settings)


def session_maker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for work outside a request (CLI, seeding, the scheduler tick)."""
    return async_sessionmaker(engine, expire_on_commit=False)
