"""What the accounts domain does: clinics, staff, patients and one-time enrollment links."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.accounts.models import Clinic, Invite, Patient, User
from afterglow.accounts.passwords import hash_password
from afterglow.accounts.sessions import token_hash
from afterglow.errors import conflict, invalid
from afterglow.fields import is_iana_zone
from afterglow.settings import Settings

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def checked_email(email: str, field: str = "email") -> str:
    email = normalise_email(email)
    if not EMAIL_PATTERN.match(email) or len(email) > 320:
        raise invalid(field, "give an email address like name@example.org")
    return email


def checked_timezone(name: str, field: str = "timezone") -> str:
    """An IANA zone name such as America/New_York; offsets like +02:00 do not follow daylight saving."""
    if not is_iana_zone(name):
        raise invalid(field, f"{name!r} is not an IANA time zone; use a name like America/New_York")
    return name


async def checked_on_call(db: AsyncSession, clinic_id: int, user_id: int) -> User:
    """The on-call staff member: an active clinician or admin of this clinic."""
    user = await db.get(User, user_id)
    if (
        user is None
        or user.clinic_id != clinic_id
        or user.role not in ("clinician", "admin")
        or not user.is_active
    ):
        raise invalid(
            "on_call_user_id",
            f"{user_id} is not an active clinician or admin of this clinic; "
            "pick one from GET /api/staff",
        )
    return user


async def email_taken(db: AsyncSession, email: str) -> bool:
    found = await db.scalar(select(func.count()).where(col(User.email) == email))
    return bool(found)


@dataclass(frozen=True)
class IssuedLink:
    url: str
    expires_at: datetime


def enrollment_url(settings: Settings, token: str) -> str:
    # A hash route: the token never reaches server logs or the Referer header.
    return f"{settings.public_url}/#/enroll/{token}"


async def issue_invite(
    db: AsyncSession,
    settings: Settings,
    now: datetime,
    *,
    clinic_id: int,
    role: str,
    created_by: int | None,
    patient_id: int | None = None,
    email: str | None = None,
    display_name: str | None = None,
) -> IssuedLink:
    """A fresh one-time link; earlier unused links for the same patient or email stop working."""
    stale = update(Invite).where(col(Invite.used_at).is_(None))
    if patient_id is not None:
        stale = stale.where(col(Invite.patient_id) == patient_id)
    else:
        stale = stale.where(col(Invite.email) == email, col(Invite.patient_id).is_(None))
    await db.execute(stale.values(expires_at=now))
    token = secrets.token_urlsafe(24)
    expires_at = now + timedelta(days=settings.enrollment_days)
    db.add(
        Invite(
            token_hash=token_hash(token),
            clinic_id=clinic_id,
            role=role,
            patient_id=patient_id,
            email=email,
            display_name=display_name,
            created_by=created_by,
            created_at=now,
            expires_at=expires_at,
        )
    )
    return IssuedLink(enrollment_url(settings, token), expires_at)


async def open_invite(db: AsyncSession, token: str, now: datetime) -> Invite:
    invite = await db.scalar(select(Invite).where(col(Invite.token_hash) == token_hash(token)))
    if invite is None or invite.used_at is not None or invite.expires_at <= now:
        raise invalid(
            "token",
            "this enrollment link is not valid any more (used, replaced or older than 7 days); "
            "ask your clinic for a new one",
        )
    return invite


async def accept_invite(
    db: AsyncSession, invite: Invite, now: datetime, *, email: str | None, password_hash: str
) -> User:
    """Create the account behind an invite and mark the link used (caller commits)."""
    email = checked_email(email) if email else invite.email
    if not email:
        raise invalid("email", "give the email address you will sign in with")
    if await email_taken(db, email):
        raise conflict("An account with this email already exists; sign in instead.")
    claimed: Any = await db.execute(
        update(Invite)
        .where(
            col(Invite.id) == invite.id, col(Invite.used_at).is_(None), col(Invite.expires_at) > now
        )
        .values(used_at=now)
    )
    if claimed.rowcount != 1:
        # Someone opened the same link a moment ago: a one-time link makes one account.
        raise conflict("This enrollment link has just been used; sign in instead.")
    patient = await db.get(Patient, invite.patient_id) if invite.patient_id else None
    display_name = patient.display_name if patient else (invite.display_name or email)
    user = User(
        clinic_id=invite.clinic_id,
        email=email,
        display_name=display_name,
        role=invite.role,
        password_hash=password_hash,
        created_at=now,
    )
    db.add(user)
    try:
        await db.flush()
    except IntegrityError:
        await db.rollback()
        raise conflict("An account with this email already exists; sign in instead.") from None
    if patient is not None:
        if patient.user_id is not None:
            raise conflict("This patient already has an account; sign in instead.")
        patient.user_id = user.id
        patient.email = email
    return user


async def create_clinic_with_admin(
    db: AsyncSession,
    now: datetime,
    *,
    clinic_name: str,
    email: str,
    display_name: str,
    password: str,
) -> tuple[Clinic, User]:
    """The first admin of a clinic (used by `afterglow create-admin`); reuses a clinic of that name."""
    email = checked_email(email)
    password_hash = await hash_password(password)
    if await email_taken(db, email):
        raise conflict(f"An account with email {email} already exists.")
    clinic = await db.scalar(select(Clinic).where(col(Clinic.name) == clinic_name))
    if clinic is None:
        clinic = Clinic(name=clinic_name, created_at=now)
        db.add(clinic)
        await db.flush()
    assert clinic.id is not None
    admin = User(
        clinic_id=clinic.id,
        email=email,
        display_name=display_name,
        role="admin",
        password_hash=password_hash,
        created_at=now,
    )
    db.add(admin)
    await db.flush()
    return clinic, admin
