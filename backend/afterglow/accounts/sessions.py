"""Server-side sign-in sessions, shared by every instance through the database.

The cookie carries a random token; the database keeps only its SHA-256, so a copy of the
database does not let anyone sign in. Revoking is deleting the row.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.accounts.models import AuthSession, Patient, User
from afterglow.accounts.viewer import Viewer
from afterglow.settings import Settings

SESSION_COOKIE = "afterglow_session"
# Sliding expiry is written at most this often, so reads stay reads.
REFRESH_EVERY = timedelta(hours=1)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def session_csrf_token(secret_key: str, session_token: str) -> str:
    """The CSRF token of one session: a MAC of its cookie, which page scripts cannot read.

    Only the holder of the session knows it, it changes with every sign-in, and no token
    planted before the sign-in can equal it.
    """
    return hmac.new(
        secret_key.encode(), b"csrf:" + token_hash(session_token).encode(), hashlib.sha256
    ).hexdigest()


def session_lifetime(settings: Settings, role: str) -> timedelta:
    """Phones stay signed in for weeks; staff sessions last a shift."""
    if role == "patient":
        return timedelta(days=settings.patient_session_days)
    return timedelta(hours=settings.staff_session_hours)


async def start_session(
    db: AsyncSession,
    settings: Settings,
    user: User,
    now: datetime,
    *,
    user_agent: str | None,
    address: str | None,
) -> tuple[str, timedelta]:
    """Create a session row (caller commits) and return the cookie token and its lifetime."""
    token = secrets.token_urlsafe(32)
    lifetime = session_lifetime(settings, user.role)
    assert user.id is not None
    db.add(
        AuthSession(
            token_hash=token_hash(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + lifetime,
            last_seen_at=now,
            user_agent=(user_agent or "")[:300] or None,
            address=address,
        )
    )
    return token, lifetime


# Built once: this runs on every authenticated request.
_SESSION_LOOKUP = (
    select(
        col(AuthSession.user_id),
        col(AuthSession.expires_at),
        col(AuthSession.last_seen_at),
        col(User.clinic_id),
        col(User.role),
        col(User.email),
        col(User.display_name),
        col(Patient.id),
    )
    .join(User, col(User.id) == col(AuthSession.user_id))
    .outerjoin(Patient, col(Patient.user_id) == col(User.id))
    .where(col(AuthSession.token_hash) == bindparam("token_hash"), col(User.is_active).is_(True))
)


async def resolve_session(
    db: AsyncSession, settings: Settings, token: str, now: datetime, address: str | None
) -> Viewer | None:
    """The viewer behind a cookie token, or None when it is unknown, expired or the user is inactive."""
    hashed = token_hash(token)
    row = (await db.execute(_SESSION_LOOKUP, {"token_hash": hashed})).first()
    if row is None:
        return None
    user_id, expires_at, last_seen_at, clinic_id, role, email, display_name, patient_id = row
    if expires_at <= now:
        return None
    if now - last_seen_at >= REFRESH_EVERY:
        await db.execute(
            update(AuthSession)
            .where(col(AuthSession.token_hash) == hashed)
            .values(last_seen_at=now, expires_at=now + session_lifetime(settings, role))
        )
        await db.commit()
    return Viewer(
        user_id=user_id,
        clinic_id=clinic_id,
        role=role,
        email=email,
        display_name=display_name,
        session_hash=hashed,
        patient_id=patient_id,
        address=address,
    )


async def end_session(db: AsyncSession, session_hash: str) -> None:
    await db.execute(delete(AuthSession).where(col(AuthSession.token_hash) == session_hash))


async def end_all_sessions(db: AsyncSession, user_id: int) -> int:
    result = await db.execute(delete(AuthSession).where(col(AuthSession.user_id) == user_id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
