"""API tokens: how an integration (an EHR's nightly pull) calls the export routes without a
browser session.

A clinician makes a token in the workspace and copies it once into the other system, which sends
it as `Authorization: Bearer <token>`. Only its SHA-256 is stored. A token acts as the clinician
who made it, only on routes that take tokens (exports: `API_TOKENS` in their `opt`), and stops
working when it is revoked, when it expires, or when that clinician's account is deactivated.
Requests with a token carry no cookie, so they need no CSRF header (accounts/csrf.py); making,
revoking and every use for an export are audited.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import msgspec
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.accounts.models import User
from afterglow.accounts.sessions import token_hash
from afterglow.accounts.viewer import Viewer
from afterglow.audit.service import record_audit
from afterglow.errors import Forbidden, NotFound
from afterglow.exports.models import ApiToken
from afterglow.exports.schemas import ApiTokenCreate, ApiTokenCreated, ApiTokenOut
from afterglow.infusions.service import staff_names

API_TOKENS = {"api_tokens": True}
"""The `opt` of a route an integration may call with an API token."""
PREFIX = "agx_"
# The last use is written at most this often, so that a busy integration's reads stay reads.
USE_RECORDED_EVERY = timedelta(minutes=1)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer ...` header, or None."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


# Built once: this runs on every request that comes with a token.
_TOKEN_LOOKUP = select(
    col(ApiToken.id),
    col(ApiToken.clinic_id),
    col(ApiToken.created_by),
    col(ApiToken.expires_at),
    col(ApiToken.revoked_at),
    col(ApiToken.last_used_at),
    col(User.email),
    col(User.display_name),
).join(
    User,
    (col(User.id) == col(ApiToken.created_by))
    & col(User.is_active).is_(True)
    & (col(User.role) == "clinician"),
)


async def resolve_api_token(
    db: AsyncSession, token: str, now: datetime, address: str | None
) -> Viewer | None:
    """The viewer a token acts as (its clinician, `token_id` set), or None when it is unknown,
    revoked, expired, or its clinician can no longer sign in."""
    row = (
        await db.execute(_TOKEN_LOOKUP.where(col(ApiToken.token_hash) == token_hash(token)))
    ).first()
    if row is None:
        return None
    token_id, clinic_id, user_id, expires_at, revoked_at, last_used_at, email, name = row
    if revoked_at is not None or (expires_at is not None and expires_at <= now):
        return None
    if last_used_at is None or now - last_used_at >= USE_RECORDED_EVERY:
        await db.execute(
            update(ApiToken)
            .where(
                col(ApiToken.id) == token_id,
                or_(
                    col(ApiToken.last_used_at).is_(None),
                    col(ApiToken.last_used_at) <= now - USE_RECORDED_EVERY,
                ),
            )
            .values(last_used_at=now)
        )
        await db.commit()
    return Viewer(
        user_id=user_id,
        clinic_id=clinic_id,
        role="clinician",
        email=email,
        display_name=name,
        session_hash=f"api-token:{token_id}",
        address=address,
        token_id=token_id,
    )


def _made_by_clinician(viewer: Viewer) -> None:
    if not viewer.is_clinician or viewer.token_id is not None:
        raise Forbidden("API tokens are made by the clinic's clinicians, signed in.")


async def _out(db: AsyncSession, tokens: list[ApiToken]) -> list[ApiTokenOut]:
    names = await staff_names(db, [t.created_by for t in tokens] + [t.revoked_by for t in tokens])
    return [
        ApiTokenOut(
            id=t.id or 0,
            name=t.name,
            hint=t.hint,
            scope=t.scope,
            created_at=t.created_at,
            created_by_name=names.get(t.created_by),
            expires_at=t.expires_at,
            last_used_at=t.last_used_at,
            revoked_at=t.revoked_at,
            revoked_by_name=names.get(t.revoked_by) if t.revoked_by else None,
        )
        for t in tokens
    ]


async def clinic_tokens(db: AsyncSession, viewer: Viewer) -> list[ApiTokenOut]:
    """Every token of the clinic, newest first, revoked ones too (the clinic sees what it made)."""
    rows = await db.execute(
        select(ApiToken)
        .where(col(ApiToken.clinic_id) == viewer.clinic_id)
        .order_by(col(ApiToken.created_at).desc(), col(ApiToken.id).desc())
    )
    return await _out(db, list(rows.scalars()))


async def create_token(
    db: AsyncSession, viewer: Viewer, data: ApiTokenCreate, now: datetime
) -> ApiTokenCreated:
    """A new token (the caller commits); the token itself is in this answer only."""
    _made_by_clinician(viewer)
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        clinic_id=viewer.clinic_id,
        created_by=viewer.user_id,
        name=data.name.strip(),
        token_hash=token_hash(token),
        hint=token[: len(PREFIX) + 4],
        created_at=now,
        expires_at=now + timedelta(days=data.expires_in_days) if data.expires_in_days else None,
    )
    db.add(row)
    await db.flush()
    record_audit(db, viewer, "api_token.create", target=f"api_token:{row.id}")
    (out,) = await _out(db, [row])
    return ApiTokenCreated(**msgspec.structs.asdict(out), token=token)


async def revoke_token(db: AsyncSession, viewer: Viewer, token_id: int, now: datetime) -> None:
    """Revoke a token of the clinic (the caller commits): clinicians, and admins, who may cut an
    integration off without reading what it exports. Revoking twice changes nothing."""
    if viewer.is_patient or viewer.token_id is not None:
        raise Forbidden("API tokens are revoked by the clinic's staff, signed in.")
    row = await db.get(ApiToken, token_id)
    if row is None or row.clinic_id != viewer.clinic_id:
        raise NotFound(f"No API token {token_id} in your clinic.")
    if row.revoked_at is None:
        row.revoked_at = now
        row.revoked_by = viewer.user_id
        record_audit(db, viewer, "api_token.revoke", target=f"api_token:{token_id}")
