"""Run one request's whole unit of work with one hop to the database, committed in groups.

On SQLite every statement through SQLAlchemy's async layer is about four hops between the event
loop and aiosqlite's driver thread (cursor, execute, fetch, close), and under load each hop
waits its turn on a busy event loop. A check-in is a dozen statements: most of its time was
those hops, not SQLite. Here the same async code (the same functions as on PostgreSQL) runs in
the driver thread itself, on the pool's one SQLite connection, with a session whose statements
go straight to sqlite3: the unit of work is one hop, however many statements it takes.

What is left is the commit: with `synchronous=FULL` each one waits for the disk (fsync), and
one connection commits one transaction at a time, so check-ins could go no faster than the disk
syncs. Units that arrive while a group is being written wait for it and then go as the next
group: one transaction, each unit in a savepoint of its own (what a unit commits is released
into the group; what it leaves or fails on is rolled back, never touching the others), and one
COMMIT for all. A unit's caller gets its result only once that COMMIT is on disk, so a
check-in acknowledged is stored exactly as before; a unit alone is a group of one.

PostgreSQL (asyncpg has no driver thread) runs the same unit in an ordinary session.
"""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.pool import StaticPool

T = TypeVar("T")

Unit = Callable[[AsyncSession], Awaitable[T]]
# At most this many units share one commit: enough to carry a burst of check-ins, few enough
# that the first of them is not kept long.
GROUP_MOST = 64


async def run_unit(engine: AsyncEngine, unit: Unit[T]) -> T:
    """`unit(db)` in a session of its own; it commits what it keeps (a failure rolls back)."""
    if engine.dialect.name != "sqlite":
        async with AsyncSession(engine, expire_on_commit=False) as db:
            return await unit(db)
    waiting = _WAITING.get(engine)
    if waiting is None:
        waiting = _WAITING[engine] = _Waiting()
    done: asyncio.Future[T] = asyncio.get_running_loop().create_future()
    waiting.units.append((unit, done))
    if not waiting.writing:
        waiting.writing = True
        asyncio.get_running_loop().create_task(_write_groups(engine, waiting))
    return await done


class _Waiting:
    """Units queued on one SQLite engine, and whether a task is writing groups of them."""

    __slots__ = ("units", "writing")

    def __init__(self) -> None:
        self.units: list[tuple[Unit[Any], asyncio.Future[Any]]] = []
        self.writing = False


_WAITING: weakref.WeakKeyDictionary[AsyncEngine, _Waiting] = weakref.WeakKeyDictionary()


async def _write_groups(engine: AsyncEngine, waiting: _Waiting) -> None:
    """Run the waiting units group by group until none wait; each caller gets its own outcome."""
    try:
        while waiting.units:
            group = [(u, done) for u, done in waiting.units[:GROUP_MOST] if not done.cancelled()]
            del waiting.units[:GROUP_MOST]
            if not group:
                continue
            try:
                outcomes = await _run_group(engine, [unit for unit, _ in group])
            except BaseException as error:  # the group as a whole (its BEGIN or COMMIT) failed
                outcomes = [(False, error)] * len(group)
            for (_, done), (ok, value) in zip(group, outcomes, strict=True):
                if done.cancelled():
                    continue
                if ok:
                    done.set_result(value)
                else:
                    done.set_exception(value)
    finally:
        waiting.writing = False


Outcome = tuple[bool, Any]  # (True, the unit's result) or (False, the exception it raised)


async def _run_group(engine: AsyncEngine, units: Sequence[Unit[Any]]) -> list[Outcome]:
    driver: Any = _DRIVERS.get(engine)
    if driver is not None:
        try:
            outcomes = await driver._execute(_run_if_no_transaction, driver, units)
        except ValueError:  # "Connection closed": the pool has made a new one since
            outcomes = _BUSY
        if outcomes is not _BUSY:
            return outcomes  # type: ignore[no-any-return]
    # Another session is inside a transaction on the connection (or none is known yet): wait
    # for the connection in the pool, in turn with every other session.
    async with engine.connect() as connection:
        driver = (await connection.get_raw_connection()).driver_connection
        _DRIVERS[engine] = driver
        return await driver._execute(_run_in_driver_thread, driver, units)  # type: ignore[no-any-return]


# The aiosqlite connection of each SQLite engine (its pool holds one), once seen.
_DRIVERS: weakref.WeakKeyDictionary[AsyncEngine, Any] = weakref.WeakKeyDictionary()
_BUSY = object()


def _run_if_no_transaction(driver: Any, units: Sequence[Unit[Any]]) -> list[Outcome] | object:
    """The group, unless another session has a transaction open on the connection.

    The driver thread runs one call at a time, and a group begins and ends its transaction
    within one call, so it cannot interleave with anything else on the connection: it only
    has to keep out of another session's open transaction. Such a session may hold the
    connection from the pool meanwhile (between its transactions, or before its first
    statement), exactly as if the group had run a moment earlier. This saves the pool's
    hand-over from task to task, which on a busy event loop is most of a check-in's wait.
    """
    if driver._conn.in_transaction:
        return _BUSY
    return _run_in_driver_thread(driver, units)


def _run_in_driver_thread(driver: Any, units: Sequence[Unit[Any]]) -> list[Outcome]:
    """In aiosqlite's thread: every await of a unit finishes at once, so one send runs it
    whole. A unit may not wait on the event loop (start a task, sleep, open its own session)."""
    try:
        finished = _at_once(_in_one_transaction(_lent_engine(driver), units))
    finally:
        if driver._conn.in_transaction:
            # A COMMIT that failed (a deferred constraint, a full disk) leaves SQLite's
            # transaction open, and SQLAlchemy will not roll it back again: end it here, or
            # every later unit would find the connection busy.
            driver._conn.rollback()
    if finished is _WAITED:
        raise RuntimeError("a group of units in the database thread waited on the event loop")
    return finished  # type: ignore[no-any-return]


async def _in_one_transaction(engine: AsyncEngine, units: Sequence[Unit[Any]]) -> list[Outcome]:
    # Not `async with`: an AsyncConnection's exit may hand its close to the loop.
    connection = await engine.connect()
    try:
        await connection.begin()
        outcomes = [_one_unit(connection, unit) for unit in units]
        await connection.commit()
        return outcomes
    finally:
        await connection.close()  # rolls back what is still open when the COMMIT never came


def _one_unit(connection: AsyncConnection, unit: Unit[Any]) -> Outcome:
    """One unit in its own savepoint of the group's transaction; its failure is its own."""
    try:
        finished = _at_once(_with_session(connection, unit))
    except Exception as error:
        return False, error
    if finished is _WAITED:
        return False, RuntimeError("a unit of work in the database thread waited on the event loop")
    return True, finished


_WAITED = object()


def _at_once(coroutine: Any) -> Any:
    """Run a coroutine that never waits on the event loop to its end, in this thread; _WAITED
    (and the coroutine closed, its `finally` blocks run) when it tried to wait."""
    try:
        coroutine.send(None)
    except StopIteration as finished:
        return finished.value
    coroutine.close()
    return _WAITED


async def _with_session(connection: AsyncConnection, unit: Unit[T]) -> T:
    # Not `async with`: AsyncSession's exit shields its close in a task, which needs the loop.
    db = AsyncSession(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    try:
        return await unit(db)
    finally:
        await db.close()  # back to the unit's savepoint, unless it committed all it did


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
