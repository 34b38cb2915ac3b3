"""What the accounts domain does: clinics, staff, patients, one-time enrollment and reset links.

Emails are unique within a clinic, not across clinics: every question about whether an email
is taken is asked of the caller's clinic only, so no answer says anything about another clinic.
"""

from __future__ import annotations

import asyncio
import io
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn

import segno
from litestar.exceptions import ClientException, HTTPException
from litestar.status_codes import HTTP_409_CONFLICT
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.accounts.models import Clinic, Invite, Patient, User
from afterglow.accounts.passwords import hash_password, verify_password
from afterglow.accounts.sessions import end_all_sessions, token_hash
from afterglow.accounts.throttle import clear_account_throttle
from afterglow.errors import conflict, invalid
from afterglow.fields import is_iana_zone
from afterglow.settings import Settings

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# A reset link is handed over in person or on a call (as a QR code): it need not live long.
RESET_LINK_LIFETIME = timedelta(hours=1)
# Claims of one link refused because the email was taken, before the link stops working.
MAX_FAILED_CLAIMS = 5


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


async def email_taken(
    db: AsyncSession, clinic_id: int, email: str, *, staff_only: bool = False
) -> bool:
    """Whether an account of this clinic (of its staff, with `staff_only`) has this email."""
    query = select(func.count()).where(col(User.clinic_id) == clinic_id, col(User.email) == email)
    if staff_only:
        query = query.where(col(User.role) != "patient")
    return bool(await db.scalar(query))


async def matching_accounts(accounts: list[User], password: str) -> list[User]:
    """The accounts (of one email, one per clinic at most) that this password opens.

    The hashes are checked side by side, so that an email with accounts at two clinics takes
    about as long as an email with one; an unknown email costs one check like any other.
    """
    if not accounts:
        await verify_password(None, password)
        return []
    checks = await asyncio.gather(*(verify_password(a.password_hash, password) for a in accounts))
    return [account for account, ok in zip(accounts, checks, strict=True) if ok]


async def choose_a_clinic(db: AsyncSession, accounts: list[User]) -> HTTPException:
    """409 listing the clinics whose accounts this email and password open: only someone who
    knows the password of each learns of them."""
    clinics = (
        await db.execute(
            select(Clinic)
            .where(col(Clinic.id).in_([a.clinic_id for a in accounts]))
            .order_by(col(Clinic.name))
        )
    ).scalars()
    return ClientException(
        detail="This email and password open accounts at more than one clinic: "
        "sign in again with the clinic_id of the one you mean.",
        status_code=HTTP_409_CONFLICT,
        extra=[{"key": "clinic_id", "clinic_id": c.id, "clinic": c.name} for c in clinics],
    )


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
    reset_user_id: int | None = None,
) -> IssuedLink:
    """A fresh one-time link; earlier unused links of this clinic for the same patient, account
    (a reset) or invited email stop working."""
    stale = update(Invite).where(col(Invite.used_at).is_(None), col(Invite.clinic_id) == clinic_id)
    if patient_id is not None:
        stale = stale.where(col(Invite.patient_id) == patient_id)
    elif reset_user_id is not None:
        stale = stale.where(col(Invite.reset_user_id) == reset_user_id)
    else:
        stale = stale.where(
            col(Invite.email) == email,
            col(Invite.patient_id).is_(None),
            col(Invite.reset_user_id).is_(None),
        )
    await db.execute(stale.values(expires_at=now))
    token = secrets.token_urlsafe(24)
    lifetime = RESET_LINK_LIFETIME if reset_user_id else timedelta(days=settings.enrollment_days)
    expires_at = now + lifetime
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
            reset_user_id=reset_user_id,
        )
    )
    return IssuedLink(enrollment_url(settings, token), expires_at)


async def open_invite(db: AsyncSession, token: str, now: datetime) -> Invite:
    invite = await db.scalar(select(Invite).where(col(Invite.token_hash) == token_hash(token)))
    if (
        invite is None
        or invite.used_at is not None
        or invite.expires_at <= now
        or invite.failed_claims >= MAX_FAILED_CLAIMS
    ):
        raise invalid(
            "token",
            "this link is not valid any more (used, replaced, older than 7 days or 1 hour for a "
            "password reset, or tried too often); ask your clinic for a new one",
        )
    return invite


async def _claim(db: AsyncSession, invite: Invite, now: datetime) -> None:
    """Mark the link used with a conditional UPDATE: a one-time link works once, even when two
    phones open it at the same moment."""
    claimed: Any = await db.execute(
        update(Invite)
        .where(
            col(Invite.id) == invite.id,
            col(Invite.used_at).is_(None),
            col(Invite.expires_at) > now,
            col(Invite.failed_claims) < MAX_FAILED_CLAIMS,
        )
        .values(used_at=now)
    )
    if claimed.rowcount != 1:
        raise conflict("This link has just been used; sign in instead.")


async def _refuse_taken_email(db: AsyncSession, invite: Invite) -> NoReturn:
    """Count the refused claim (committed, as the request fails) and say the email is taken.

    Only this clinic's accounts can clash, and a link stops working after a few refusals.
    """
    invite_id = invite.id
    await db.rollback()
    await db.execute(
        update(Invite)
        .where(col(Invite.id) == invite_id)
        .values(failed_claims=col(Invite.failed_claims) + 1)
    )
    await db.commit()
    raise conflict(
        "An account of this clinic already has this email: sign in with it, or choose another."
    )


async def accept_invite(
    db: AsyncSession, invite: Invite, now: datetime, *, email: str | None, password_hash: str
) -> User:
    """Create the account behind an invite and mark the link used (caller commits).

    A patient chooses the email they will sign in with; staff sign in with the email their
    invitation was sent to.
    """
    assert invite.reset_user_id is None
    email = checked_email(email) if email else invite.email
    if not email:
        raise invalid("email", "give the email address you will sign in with")
    if invite.role != "patient" and email != invite.email:
        raise invalid("email", "a staff invitation is accepted with the email it was sent to")
    if await email_taken(db, invite.clinic_id, email):
        await _refuse_taken_email(db, invite)
    await _claim(db, invite, now)
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
        # The same email signed up in this clinic a moment ago.
        await _refuse_taken_email(db, invite)
    if patient is not None:
        if patient.user_id is not None:
            raise conflict("This patient already has an account; sign in instead.")
        patient.user_id = user.id
        patient.email = email
    return user


def link_qr_svg(url: str) -> str:
    """The link as an SVG QR code, for the person locked out to scan from the clinician's screen."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=4, xmldecl=False, nl=False)
    return out.getvalue().decode()


async def issue_reset_link(
    db: AsyncSession, settings: Settings, now: datetime, *, user: User, issued_by: int
) -> IssuedLink:
    """A one-time link that sets a new password for an active account (caller audits, commits)."""
    if not user.is_active:
        raise conflict("This account is deactivated; reactivate it before resetting its password.")
    assert user.id is not None
    return await issue_invite(
        db,
        settings,
        now,
        clinic_id=user.clinic_id,
        role=user.role,
        created_by=issued_by,
        reset_user_id=user.id,
    )


async def reset_account(
    db: AsyncSession, invite: Invite, now: datetime, *, password_hash: str
) -> User:
    """Set a new password through a reset link and end the account's sessions (caller commits)."""
    assert invite.reset_user_id is not None
    user = await db.get(User, invite.reset_user_id)
    if user is None or not user.is_active or user.clinic_id != invite.clinic_id:
        raise invalid("token", "this link is not valid any more; ask your clinic for a new one")
    await _claim(db, invite, now)
    user.password_hash = password_hash
    await end_all_sessions(db, invite.reset_user_id)
    await clear_account_throttle(db, user.email)
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
    clinic = await db.scalar(select(Clinic).where(col(Clinic.name) == clinic_name))
    if clinic is None:
        clinic = Clinic(name=clinic_name, created_at=now)
        db.add(clinic)
        await db.flush()
    assert clinic.id is not None
    if await email_taken(db, clinic.id, email):
        raise conflict(f"An account of {clinic_name} with email {email} already exists.")
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
