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


def create_engine(settings: Settings) -> AsyncEngine:
    """One engine per app. SQLite gets WAL, a busy timeout and foreign keys on every connection."""
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(
            settings.database_url,
            pool_size=settings.db_pool_size,
            max_overflow=0,
            connect_args={"timeout": 30},
        )
        synchronous = settings.sqlite_synchronous

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.close()

        return engine
    return create_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_pre_ping=True,
    )


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
