"""Sign-in throttling: progressive delays per account and per address, counted in the database.

A lockout would let anyone lock a clinician out during an incident, or everyone behind one
address out at once. Instead, after a few failures each further attempt is accepted only after
a delay that doubles with every failure, up to a few minutes; a correct password after the
delay signs in. That keeps guessing to a few hundred tries a day while the rightful user waits
minutes at most, and a clinician or admin can hand out a reset link that needs no sign-in.

Every attempt is counted as a failure before its password is checked (and forgiven when it
was right), through a conditional UPDATE on the count, so concurrent guesses on any number of
instances cannot all get through while one is being checked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.accounts.models import LoginThrottle
from afterglow.errors import TooManyAttempts
from afterglow.settings import Settings

# The first delayed attempt waits this long; each failure after it doubles the wait, up to the cap.
FIRST_DELAY = timedelta(seconds=5)
MAX_DELAY = timedelta(minutes=5)
# A concurrent attempt that changed the count first is retried this often before answering 429.
CLAIM_TRIES = 3


def account_key(email: str) -> str:
    return f"account:{email}"


def address_key(address: str | None) -> str:
    return f"address:{address or 'unknown'}"


@dataclass(frozen=True)
class LoginAttempt:
    """An attempt let through, counted as a failure until `forgive_login_attempt` says otherwise."""

    email: str
    address_key: str
    address_failures_before: int
    address_retry_at_before: datetime


def delay_after(failures: int, free: int) -> timedelta:
    """How long the next attempt waits after `failures` failures, when `free` come without a wait."""
    if failures < free:
        return timedelta(0)
    doublings = min(failures - free, 16)
    return min(MAX_DELAY, FIRST_DELAY * (1 << doublings))


def _limits(settings: Settings, email: str, address: str | None) -> dict[str, tuple[int, str]]:
    return {
        account_key(email): (settings.login_max_failures_per_account, "this account"),
        address_key(address): (settings.login_max_failures_per_address, "your network address"),
    }


async def _insert_if_missing(db: AsyncSession, key: str, now: datetime) -> None:
    values = {"key": key, "failures": 0, "last_failure_at": now, "retry_at": now}
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    await db.execute(
        dialect.insert(LoginThrottle)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["key"])
    )


async def begin_login_attempt(
    db: AsyncSession, settings: Settings, email: str, address: str | None, now: datetime
) -> LoginAttempt:
    """Let one attempt through and count it (committed), or raise TooManyAttempts saying how
    long to wait."""
    limits = _limits(settings, email, address)
    forget_before = now - timedelta(minutes=settings.login_window_minutes)
    for _ in range(CLAIM_TRIES):
        for key in limits:
            await _insert_if_missing(db, key, now)
        # Plain values, not rows: the UPDATE below would bring loaded rows up to date.
        seen = {
            key: (failures, last_failure_at, retry_at)
            for key, failures, last_failure_at, retry_at in await db.execute(
                select(
                    col(LoginThrottle.key),
                    col(LoginThrottle.failures),
                    col(LoginThrottle.last_failure_at),
                    col(LoginThrottle.retry_at),
                ).where(col(LoginThrottle.key).in_(limits))
            )
        }
        waits = [
            (retry_at, limits[key][1]) for key, (_, _, retry_at) in seen.items() if retry_at > now
        ]
        if waits:
            retry_at, who = max(waits)
            await db.rollback()
            wait = max(1, math.ceil((retry_at - now).total_seconds()))
            raise TooManyAttempts(
                f"Too many failed sign-ins for {who}. Try again in {wait} seconds.", wait
            )
        claimed = 0
        for key, (free, _) in limits.items():
            failures, last_failure_at, _ = seen[key]
            # Failures long past are forgotten: a quiet spell starts the count again.
            before = failures if last_failure_at > forget_before else 0
            result = await db.execute(
                update(LoginThrottle)
                .where(col(LoginThrottle.key) == key, col(LoginThrottle.failures) == failures)
                .values(
                    failures=before + 1,
                    last_failure_at=now,
                    retry_at=now + delay_after(before + 1, free),
                )
            )
            claimed += result.rowcount  # type: ignore[attr-defined]
        if claimed == len(limits):
            await db.commit()
            failures, last_failure_at, retry_at = seen[address_key(address)]
            return LoginAttempt(
                email=email,
                address_key=address_key(address),
                address_failures_before=failures if last_failure_at > forget_before else 0,
                address_retry_at_before=retry_at,
            )
        # Another attempt on the same account or address counted itself first: look again.
        await db.rollback()
    raise TooManyAttempts("Another sign-in is being checked. Try again in a second.", 1)


async def forgive_login_attempt(
    db: AsyncSession, settings: Settings, attempt: LoginAttempt, now: datetime
) -> None:
    """The password was right: the account starts afresh and the address gets its try back.

    The address is not cleared outright, or anyone with an account could wipe the count of the
    address they guess from by signing in to it between guesses. Caller commits.
    """
    await db.execute(
        delete(LoginThrottle).where(col(LoginThrottle.key) == account_key(attempt.email))
    )
    await db.execute(
        update(LoginThrottle)
        .where(
            col(LoginThrottle.key) == attempt.address_key,
            col(LoginThrottle.failures) == attempt.address_failures_before + 1,
        )
        .values(failures=attempt.address_failures_before, retry_at=attempt.address_retry_at_before)
    )
    forget_before = now - timedelta(minutes=settings.login_window_minutes)
    await db.execute(
        delete(LoginThrottle).where(
            col(LoginThrottle.last_failure_at) < forget_before, col(LoginThrottle.retry_at) <= now
        )
    )


async def clear_account_throttle(db: AsyncSession, email: str) -> None:
    """A new password from a reset link: earlier failures against the account no longer matter."""
    await db.execute(delete(LoginThrottle).where(col(LoginThrottle.key) == account_key(email)))
