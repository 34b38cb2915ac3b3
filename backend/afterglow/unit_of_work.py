"""Run one request's whole unit of work with one hop to the database.

On SQLite every statement through SQLAlchemy's async layer is about four hops between the event
loop and aiosqlite's driver thread (cursor, execute, fetch, close), and under load each hop
waits its turn on a busy event loop. A check-in is a dozen statements: most of its time was
those hops, not SQLite. Here the same async code (the same functions as on PostgreSQL) runs in
the driver thread itself, on the pool's one SQLite connection, with a session whose statements
go straight to sqlite3: the unit of work is one hop, however many statements it takes.

PostgreSQL (asyncpg has no driver thread) runs the same unit in an ordinary session.
"""

from __future__ import annotations

import sqlite3
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.pool import StaticPool

T = TypeVar("T")

Unit = Callable[[AsyncSession], Awaitable[T]]


async def run_unit(engine: AsyncEngine, unit: Unit[T]) -> T:
    """`unit(db)` in a session of its own; it commits what it keeps (a failure rolls back)."""
    if engine.dialect.name != "sqlite":
        async with AsyncSession(engine, expire_on_commit=False) as db:
            return await unit(db)
    driver: Any = _DRIVERS.get(engine)
    if driver is not None:
        try:
            outcome = await driver._execute(_run_if_no_transaction, driver, unit)
        except ValueError:  # "Connection closed": the pool has made a new one since
            outcome = _BUSY
        if outcome is not _BUSY:
            return outcome  # type: ignore[no-any-return]
    # Another session is inside a transaction on the connection (or none is known yet): wait
    # for the connection in the pool, in turn with every other session.
    async with engine.connect() as connection:
        driver = (await connection.get_raw_connection()).driver_connection
        _DRIVERS[engine] = driver
        return await driver._execute(_run_in_driver_thread, driver, unit)  # type: ignore[no-any-return]


# The aiosqlite connection of each SQLite engine (its pool holds one), once seen.
_DRIVERS: weakref.WeakKeyDictionary[AsyncEngine, Any] = weakref.WeakKeyDictionary()
_BUSY = object()


def _run_if_no_transaction(driver: Any, unit: Unit[T]) -> T | object:
    """The unit, unless another session has a transaction open on the connection.

    The driver thread runs one call at a time, and a unit begins and ends its transaction
    within one call, so it cannot interleave with anything else on the connection: it only
    has to keep out of another session's open transaction. Such a session may hold the
    connection from the pool meanwhile (between its transactions, or before its first
    statement), exactly as if the unit had run a moment earlier. This saves the pool's
    hand-over from task to task, which on a busy event loop is most of a check-in's wait.
    """
    if driver._conn.in_transaction:
        return _BUSY
    return _run_in_driver_thread(driver, unit)


def _run_in_driver_thread(driver: Any, unit: Unit[T]) -> T:
    """In aiosqlite's thread: every await of the unit finishes at once, so one send runs it
    whole. A unit may not wait on the event loop (start a task, sleep, open its own session)."""
    coroutine = _with_session(_lent_engine(driver), unit)
    try:
        coroutine.send(None)
    except StopIteration as finished:
        return finished.value  # type: ignore[no-any-return]
    coroutine.close()
    raise RuntimeError("a unit of work in the database thread waited on the event loop")


async def _with_session(engine: AsyncEngine, unit: Unit[T]) -> T:
    # Not `async with`: AsyncSession's exit shields its close in a task, which needs the loop.
    db = AsyncSession(engine, expire_on_commit=False)
    try:
        return await unit(db)
    finally:
        await db.close()


# One synchronous engine per aiosqlite connection, over that connection's own sqlite3 handle.
_LENT: weakref.WeakKeyDictionary[Any, AsyncEngine] = weakref.WeakKeyDictionary()


class _Cursor(sqlite3.Cursor):
    async def _async_soft_close(self) -> None:
        """What SQLAlchemy's async layer calls on a result's cursor; rows here stay in sqlite3."""


class _Lent:
    """The driver thread's sqlite3 connection, lent: closing it stays the async pool's job."""

    __slots__ = ("_connection",)

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)

    def cursor(self) -> _Cursor:
        return self._connection.cursor(_Cursor)

    def close(self) -> None:
        pass


def _lent_engine(driver: Any) -> AsyncEngine:
    engine = _LENT.get(driver)
    if engine is None:
        lent = _Lent(driver._conn)
        sync_engine = create_engine(
            "sqlite://", creator=lambda: lent, poolclass=StaticPool, pool_reset_on_return=None
        )

        @event.listens_for(sync_engine, "begin")
        def _begin(connection: Any) -> None:
            # As every SQLite transaction of the app (db.py): take the write lock at BEGIN.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        # Every statement completes at once in this thread, so the async API may wrap it.
        sync_engine.dialect.is_async = True
        engine = _LENT[driver] = AsyncEngine(sync_engine)
    return engine
