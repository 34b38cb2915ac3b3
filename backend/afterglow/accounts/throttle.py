"""Login throttling per account and per address, counted in the database so it holds across instances."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.accounts.models import LoginFailure
from afterglow.settings import Settings


def account_key(email: str) -> str:
    return f"account:{email}"


def address_key(address: str | None) -> str:
    return f"address:{address or 'unknown'}"


@dataclass(frozen=True)
class Throttled:
    retry_after_seconds: int
    reason: str


async def check_login_throttle(
    db: AsyncSession, settings: Settings, email: str, address: str | None, now: datetime
) -> Throttled | None:
    """Whether this account or this address has failed too often within the window."""
    window = timedelta(minutes=settings.login_window_minutes)
    limits = {
        account_key(email): (settings.login_max_failures_per_account, "this account"),
        address_key(address): (settings.login_max_failures_per_address, "your network address"),
    }
    rows = await db.execute(
        select(col(LoginFailure.key), func.count(), func.min(col(LoginFailure.at)))
        .where(col(LoginFailure.key).in_(limits), col(LoginFailure.at) > now - window)
        .group_by(col(LoginFailure.key))
    )
    for key, count, oldest in rows:
        limit, who = limits[key]
        if count >= limit:
            wait = max(1, math.ceil((oldest + window - now).total_seconds()))
            return Throttled(
                wait,
                f"Too many failed sign-ins for {who}. Try again in {math.ceil(wait / 60)} min.",
            )
    return None


def record_login_failure(db: AsyncSession, email: str, address: str | None, now: datetime) -> None:
    db.add(LoginFailure(key=account_key(email), at=now))
    db.add(LoginFailure(key=address_key(address), at=now))


async def clear_login_failures(
    db: AsyncSession, settings: Settings, email: str, now: datetime
) -> None:
    """A successful sign-in clears its account's count, and old rows are swept on the way."""
    window = timedelta(minutes=settings.login_window_minutes)
    await db.execute(delete(LoginFailure).where(col(LoginFailure.key) == account_key(email)))
    await db.execute(delete(LoginFailure).where(col(LoginFailure.at) < now - window))
