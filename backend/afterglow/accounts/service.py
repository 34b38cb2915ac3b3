"""What the accounts domain does: signing in, clinics, staff, the patient lifecycle (enrolment,
profile and time zone, deactivation), one-time enrollment and reset links.

Emails are unique within a clinic, not across clinics: every question about whether an email
is taken is asked of the caller's clinic only, so no answer says anything about another clinic.
"""

from __future__ import annotations

import asyncio
import io
import re
import secrets
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any, NoReturn

import msgspec
import segno
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.accounts import schemas
from afterglow.accounts.access import open_patient
from afterglow.accounts.clinic_settings import (
    ClinicSettings,
    checked_clinic_settings,
    clinic_settings,
    kept_on_replace,
)
from afterglow.accounts.countries import checked_country, country_of_zone
from afterglow.accounts.models import Clinic, Invite, Patient, User
from afterglow.accounts.passwords import (
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)
from afterglow.accounts.sessions import end_all_sessions, start_session, token_hash
from afterglow.accounts.throttle import (
    begin_login_attempt,
    clear_account_throttle,
    forgive_login_attempt,
)
from afterglow.accounts.viewer import Viewer
from afterglow.audit.service import record_account_audit, record_audit
from afterglow.catalogue import catalogue
from afterglow.crisis.service import patient_crisis_screen
from afterglow.derived import changed
from afterglow.errors import Clash, NotFound, NotSignedIn, conflict, invalid
from afterglow.fields import is_iana_zone
from afterglow.relief.facts import ReliefThresholds
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
    """The on-call clinician: an active clinician of this clinic (an admin opens no patient
    record, so could not open the alerts escalated to them)."""
    user = await db.get(User, user_id)
    if (
        user is None
        or user.clinic_id != clinic_id
        or user.role != "clinician"
        or not user.is_active
    ):
        raise invalid(
            "on_call_user_id",
            f"{user_id} is not an active clinician of this clinic; pick one from GET /api/staff",
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


async def choose_a_clinic(db: AsyncSession, accounts: list[User]) -> Clash:
    """409 listing the clinics whose accounts this email and password open: only someone who
    knows the password of each learns of them."""
    clinics = (
        await db.execute(
            select(Clinic)
            .where(col(Clinic.id).in_([a.clinic_id for a in accounts]))
            .order_by(col(Clinic.name))
        )
    ).scalars()
    return Clash(
        "This email and password open accounts at more than one clinic: "
        "sign in again with the clinic_id of the one you mean.",
        choices=[{"key": "clinic_id", "clinic_id": c.id, "clinic": c.name} for c in clinics],
    )


async def sign_in(
    db: AsyncSession,
    settings: Settings,
    data: schemas.LoginRequest,
    address: str | None,
    now: datetime,
) -> User:
    """The account this email and password open, through the sign-in throttle (throttle.py).

    Raises TooManyAttempts while the account or address must wait, NotSignedIn for a wrong
    email or password, and Clash listing the clinics when the pair opens accounts at several.
    Commits the attempt's count; the caller commits the rest (the forgiven count, a new hash).
    """
    email = normalise_email(data.email)
    attempt = await begin_login_attempt(db, settings, email, address, now)
    query = select(User).where(col(User.email) == email, col(User.is_active).is_(True))
    if data.clinic_id is not None:
        query = query.where(col(User.clinic_id) == data.clinic_id)
    accounts = list((await db.execute(query)).scalars())
    # Argon2 takes tens of milliseconds: give the connection back while it runs.
    await db.commit()
    matches = await matching_accounts(accounts, data.password)
    if not matches:
        raise NotSignedIn("The email or password is not right.")
    await forgive_login_attempt(db, settings, attempt, now)
    if len(matches) > 1:
        await db.commit()
        raise await choose_a_clinic(db, matches)
    [user] = matches
    if needs_rehash(user.password_hash):
        user.password_hash = await hash_password(data.password)
    return user


async def me(
    db: AsyncSession, user: User, patient_id: int | None, phone_zone: str | None = None
) -> schemas.MeOut:
    """Who is signed in: account, role, clinic, and for a patient their id, locale, pain setting
    and crisis screen (with the clinic's phone), which the app keeps for when it is offline;
    `phone_zone` is the time zone the phone says it is in (X-Time-Zone)."""
    clinic = await db.get(Clinic, user.clinic_id)
    assert clinic is not None and clinic.id is not None and user.id is not None
    patient = await db.get(Patient, patient_id) if patient_id is not None else None
    return schemas.MeOut(
        user_id=user.id,
        email=user.email,
        display_name=user.display_name,
        role=user.role,
        clinic=schemas.ClinicOut(id=clinic.id, name=clinic.name),
        patient_id=patient_id,
        locale=patient.locale if patient else None,
        pain_enabled=patient.pain_enabled if patient else None,
        crisis=patient_crisis_screen(patient, clinic, phone_zone) if patient else None,
    )


async def change_own_language(
    db: AsyncSession, viewer: Viewer, locale: str, phone_zone: str | None = None
) -> schemas.MeOut:
    """A patient's own choice of language, kept on the server so that the app on every device,
    reminder pushes and the crisis screen all follow it (the caller commits). Only a language
    the app speaks is taken. `phone_zone`: as for `GET /api/me`, the phone's time zone."""
    assert viewer.patient_id is not None
    languages = catalogue().languages
    if locale.split("-")[0] not in languages:
        raise invalid(
            "locale", f"Afterglow speaks {', '.join(languages)}: choose one of them (e.g. es-US)"
        )
    patient = await db.get(Patient, viewer.patient_id)
    assert patient is not None
    patient.locale = locale
    await db.flush()
    return await viewer_me(db, viewer, phone_zone)


async def viewer_me(
    db: AsyncSession, viewer: Viewer, phone_zone: str | None = None
) -> schemas.MeOut:
    user = await db.get(User, viewer.user_id)
    assert user is not None
    return await me(db, user, viewer.patient_id, phone_zone)


@dataclass(frozen=True)
class SignedIn:
    """A new session: its token and lifetime (for the cookie) and who it is for."""

    token: str
    lifetime: timedelta
    me: schemas.MeOut


async def open_session(
    db: AsyncSession,
    settings: Settings,
    user: User,
    now: datetime,
    *,
    user_agent: str | None,
    address: str | None,
) -> SignedIn:
    """Start a session for this account (the caller commits and sets the cookie)."""
    token, lifetime = await start_session(
        db, settings, user, now, user_agent=user_agent, address=address
    )
    patient_id = await db.scalar(select(col(Patient.id)).where(col(Patient.user_id) == user.id))
    return SignedIn(token, lifetime, await me(db, user, patient_id))


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


# One-time links, as the person holding one sees them.


async def link_info(db: AsyncSession, token: str, now: datetime) -> schemas.InviteOut:
    """What a link is for: the enrollment it opens, or the account a reset link resets."""
    invite = await open_invite(db, token, now)
    clinic = await db.get(Clinic, invite.clinic_id)
    assert clinic is not None
    if invite.reset_user_id is not None:
        user = await db.get(User, invite.reset_user_id)
        assert user is not None
        return schemas.InviteOut(
            purpose="password_reset",
            clinic=clinic.name,
            role=user.role,
            display_name=user.display_name,
            email=user.email,
            needs_email=False,
            expires_at=invite.expires_at,
        )
    patient = await db.get(Patient, invite.patient_id) if invite.patient_id else None
    return schemas.InviteOut(
        purpose="enrollment",
        clinic=clinic.name,
        role=invite.role,
        display_name=patient.display_name if patient else invite.display_name,
        email=invite.email,
        needs_email=invite.email is None,
        expires_at=invite.expires_at,
    )


async def use_link(
    db: AsyncSession,
    token: str,
    data: schemas.InviteAccept,
    address: str | None,
    now: datetime,
) -> User:
    """Set a password through a link: a new account (enrollment) or a new password (reset,
    audited). The caller starts the session and commits."""
    problem = password_problem(data.password)
    if problem:
        raise invalid("password", problem)
    # Hash before touching the database, so no connection waits on Argon2.
    password_hash = await hash_password(data.password)
    invite = await open_invite(db, token, now)
    if invite.reset_user_id is None:
        return await accept_invite(db, invite, now, email=data.email, password_hash=password_hash)
    user = await reset_account(db, invite, now, password_hash=password_hash)
    record_account_audit(
        db, user, "account.password_reset.use", address=address, target=f"user:{user.id}"
    )
    return user


def enrollment_link(link: IssuedLink) -> schemas.EnrollmentLink:
    return schemas.EnrollmentLink(url=link.url, expires_at=link.expires_at)


def reset_link_out(link: IssuedLink) -> schemas.ResetLink:
    return schemas.ResetLink(url=link.url, expires_at=link.expires_at, qr_svg=link_qr_svg(link.url))


# The patient lifecycle: enrolment, profile and time zone, deactivation and back.


def patient_out(patient: Patient) -> schemas.PatientOut:
    assert patient.id is not None
    return schemas.PatientOut(
        id=patient.id,
        display_name=patient.display_name,
        email=patient.email,
        timezone=patient.timezone,
        locale=patient.locale,
        country=patient.country,
        external_id=patient.external_id,
        pain_enabled=patient.pain_enabled,
        is_active=patient.is_active,
        enrolled=patient.user_id is not None,
        created_at=patient.created_at,
    )


async def enrollment_handout(
    db: AsyncSession, clinic_id: int, link: IssuedLink
) -> schemas.EnrollmentHandout:
    """The link as it is shown once: with its QR code and what the printed handout names."""
    clinic = await db.get(Clinic, clinic_id)
    assert clinic is not None
    return schemas.EnrollmentHandout(
        url=link.url,
        expires_at=link.expires_at,
        qr_svg=link_qr_svg(link.url),
        clinic_name=clinic.name,
        clinic_phone=clinic_settings(clinic.settings).clinic_phone,
    )


async def checked_external_id(
    db: AsyncSession, clinic_id: int, external_id: str, patient_id: int | None = None
) -> str:
    """The clinic's record number, trimmed; another patient of the clinic may not have it."""
    external_id = external_id.strip()
    query = select(col(Patient.id)).where(
        col(Patient.clinic_id) == clinic_id, col(Patient.external_id) == external_id
    )
    if patient_id is not None:
        query = query.where(col(Patient.id) != patient_id)
    if await db.scalar(query.limit(1)) is not None:
        raise _record_number_taken(external_id)
    return external_id


def _record_number_taken(external_id: str) -> Clash:
    return conflict(
        f"Record number {external_id!r} is already another patient's in your clinic; check "
        "the number, or open that patient."
    )


async def _flush_patient(db: AsyncSession, external_id: str | None) -> None:
    try:
        await db.flush()
    except IntegrityError:
        # The same record number given to another patient a moment ago.
        if external_id is None:
            raise
        raise _record_number_taken(external_id) from None


async def add_patient(
    db: AsyncSession,
    settings: Settings,
    viewer: Viewer,
    data: schemas.PatientCreate,
    now: datetime,
) -> schemas.PatientCreated:
    """A new patient of the viewer's clinic and their enrollment link (caller commits).

    The country, when not given, is the time zone's (so that crisis help follows it)."""
    timezone = checked_timezone(data.timezone)
    country = checked_country(data.country) if data.country else country_of_zone(timezone)
    email = checked_email(data.email) if data.email else None
    external_id = (
        await checked_external_id(db, viewer.clinic_id, data.external_id)
        if data.external_id
        else None
    )
    if email and await email_taken(db, viewer.clinic_id, email):
        raise conflict("An account of your clinic already has this email.")
    patient = Patient(
        clinic_id=viewer.clinic_id,
        display_name=data.display_name.strip(),
        email=email,
        timezone=timezone,
        locale=data.locale,
        country=country,
        external_id=external_id,
        pain_enabled=data.pain_enabled,
        created_by=viewer.user_id,
        created_at=now,
    )
    db.add(patient)
    await _flush_patient(db, external_id)
    assert patient.id is not None
    link = await issue_invite(
        db,
        settings,
        now,
        clinic_id=viewer.clinic_id,
        role="patient",
        created_by=viewer.user_id,
        patient_id=patient.id,
        email=email,
    )
    record_audit(db, viewer, "patient.create", patient_id=patient.id)
    changed(db, patient.id, "patient", now)
    return schemas.PatientCreated(
        patient=patient_out(patient),
        enrollment=await enrollment_handout(db, viewer.clinic_id, link),
    )


async def clinic_patients(
    db: AsyncSession,
    viewer: Viewer,
    *,
    q: str | None,
    include_inactive: bool,
    limit: int,
    offset: int,
) -> list[schemas.PatientOut]:
    """The clinic's patients by name, filtered by name or email; audited as a read of the list."""
    query = select(Patient).where(col(Patient.clinic_id) == viewer.clinic_id)
    if not include_inactive:
        query = query.where(col(Patient.is_active).is_(True))
    if q:
        pattern = f"%{q.strip().lower()}%"
        query = query.where(
            or_(col(Patient.display_name).ilike(pattern), col(Patient.email).ilike(pattern))
        )
    rows = (
        await db.execute(query.order_by(col(Patient.display_name)).limit(limit).offset(offset))
    ).scalars()
    patients = [patient_out(p) for p in rows]
    record_audit(db, viewer, "patients.list", detail={"q": q, "count": len(patients)})
    return patients


async def patient_profile(db: AsyncSession, viewer: Viewer, patient_id: int) -> schemas.PatientOut:
    return patient_out(await open_patient(db, viewer, patient_id, "patient.read"))


async def _set_account_active(db: AsyncSession, patient: Patient, active: bool) -> None:
    """A patient deactivated cannot sign in (their sessions end); reactivated, they can again."""
    if patient.user_id is None:
        return
    user = await db.get(User, patient.user_id)
    assert user is not None
    user.is_active = active
    if not active:
        await end_all_sessions(db, patient.user_id)


async def update_patient(
    db: AsyncSession,
    viewer: Viewer,
    patient_id: int,
    data: schemas.PatientUpdate,
    now: datetime,
) -> schemas.PatientOut:
    """Change a patient's profile. A new time zone, a deactivation or a reactivation changes
    what is derived from the patient (reminders, relief). The caller commits."""
    patient = await open_patient(db, viewer, patient_id, "patient.update")
    changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}
    if "display_name" in changes:
        changes["display_name"] = changes["display_name"].strip()
    if "timezone" in changes:
        changes["timezone"] = checked_timezone(changes["timezone"])
    if "email" in changes:
        changes["email"] = checked_email(changes["email"])
        if patient.user_id is not None:
            raise conflict("This patient has signed up; their sign-in email is theirs to keep.")
    if "country" in changes:
        changes["country"] = checked_country(changes["country"])
    if "external_id" in changes:
        changes["external_id"] = await checked_external_id(
            db, patient.clinic_id, changes["external_id"], patient_id
        )
    for key, value in changes.items():
        setattr(patient, key, value)
    if "external_id" in changes:
        await _flush_patient(db, changes["external_id"])
    if "is_active" in changes:
        await _set_account_active(db, patient, changes["is_active"])
    if "timezone" in changes or "is_active" in changes:
        changed(db, patient_id, "patient", now)
    return patient_out(patient)


async def enrollment_status(
    db: AsyncSession, viewer: Viewer, patient_id: int, now: datetime
) -> schemas.EnrollmentStatus:
    """Whether the patient has enrolled, and the unused link still waiting for them, if any."""
    patient = await open_patient(db, viewer, patient_id, "patient.enrollment.read", staff_only=True)
    waiting = (
        await db.execute(
            select(col(Invite.created_at), col(Invite.expires_at))
            .where(
                col(Invite.patient_id) == patient_id,
                col(Invite.used_at).is_(None),
                col(Invite.expires_at) > now,
            )
            .order_by(col(Invite.created_at).desc())
            .limit(1)
        )
    ).first()
    enrolled = patient.user_id is not None
    return schemas.EnrollmentStatus(
        enrolled=enrolled,
        link_issued_at=waiting[0] if waiting and not enrolled else None,
        link_expires_at=waiting[1] if waiting and not enrolled else None,
    )


async def reissue_enrollment(
    db: AsyncSession, settings: Settings, viewer: Viewer, patient_id: int, now: datetime
) -> schemas.EnrollmentHandout:
    """A new enrollment link for a patient not yet enrolled; earlier links stop working."""
    patient = await open_patient(db, viewer, patient_id, "patient.enrollment")
    if patient.user_id is not None:
        raise conflict("This patient already has an account.")
    link = await issue_invite(
        db,
        settings,
        now,
        clinic_id=patient.clinic_id,
        role="patient",
        created_by=viewer.user_id,
        patient_id=patient_id,
        email=patient.email,
    )
    return await enrollment_handout(db, patient.clinic_id, link)


async def patient_reset_link(
    db: AsyncSession, settings: Settings, viewer: Viewer, patient_id: int, now: datetime
) -> schemas.ResetLink:
    """A password reset link for an enrolled patient, issued by one of their clinicians."""
    patient = await open_patient(
        db, viewer, patient_id, "patient.password_reset.issue", staff_only=True
    )
    if patient.user_id is None:
        raise conflict("This patient has not enrolled yet: give them a new enrollment link.")
    user = await db.get(User, patient.user_id)
    assert user is not None
    link = await issue_reset_link(db, settings, now, user=user, issued_by=viewer.user_id)
    return reset_link_out(link)


# Staff (clinicians and admins), as the clinic's admins manage them.


def staff_out(user: User) -> schemas.StaffOut:
    return schemas.StaffOut(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        role=user.role,
        is_active=user.is_active,
        created_at=user.created_at,
    )


async def clinic_staff(db: AsyncSession, clinic_id: int) -> list[schemas.StaffOut]:
    rows = await db.execute(
        select(User)
        .where(col(User.clinic_id) == clinic_id, col(User.role) != "patient")
        .order_by(col(User.display_name))
    )
    return [staff_out(u) for u in rows.scalars()]


async def _staff_member(db: AsyncSession, clinic_id: int, user_id: int) -> User:
    user = await db.get(User, user_id)
    if user is None or user.clinic_id != clinic_id or user.role == "patient":
        raise NotFound(f"No staff member {user_id} in your clinic.")
    return user


async def invite_staff(
    db: AsyncSession,
    settings: Settings,
    viewer: Viewer,
    data: schemas.StaffCreate,
    now: datetime,
) -> schemas.StaffCreated:
    """A one-time link for a new clinician or admin (audited; the caller commits)."""
    email = checked_email(data.email)
    # Only the clinic's own staff list can clash here; anything else surfaces, if at all,
    # to the invitee when they accept.
    if await email_taken(db, viewer.clinic_id, email, staff_only=True):
        raise conflict("A staff member of your clinic already has this email.")
    display_name = data.display_name.strip()
    link = await issue_invite(
        db,
        settings,
        now,
        clinic_id=viewer.clinic_id,
        role=data.role,
        created_by=viewer.user_id,
        email=email,
        display_name=display_name,
    )
    record_audit(db, viewer, "staff.invite", target=email, detail={"role": data.role})
    return schemas.StaffCreated(
        email=email, display_name=display_name, role=data.role, invite=enrollment_link(link)
    )


async def set_staff_active(
    db: AsyncSession, viewer: Viewer, user_id: int, active: bool
) -> schemas.StaffOut:
    """Deactivate (ending every session at once) or reactivate a staff account; audited."""
    user = await _staff_member(db, viewer.clinic_id, user_id)
    if user.id == viewer.user_id and not active:
        raise conflict("You cannot deactivate your own account.")
    user.is_active = active
    if not active:
        await end_all_sessions(db, user_id)
    record_audit(db, viewer, "staff.update", target=f"user:{user_id}", detail={"is_active": active})
    return staff_out(user)


async def staff_reset_link(
    db: AsyncSession, settings: Settings, viewer: Viewer, user_id: int, now: datetime
) -> schemas.ResetLink:
    """A password reset link for a staff member of the admin's clinic; audited."""
    user = await _staff_member(db, viewer.clinic_id, user_id)
    link = await issue_reset_link(db, settings, now, user=user, issued_by=viewer.user_id)
    record_audit(db, viewer, "staff.password_reset.issue", target=f"user:{user_id}")
    return reset_link_out(link)


# The clinic's settings.


class ReliefThresholdSpec(msgspec.Struct):
    """One relief threshold an admin may override: its default and the values it takes."""

    name: str
    default: float | list[int]
    low: float
    high: float
    # Whole numbers only (counts, points, whole days); a list of whole days when `default` is one.
    whole: bool


def relief_threshold_specs() -> list[ReliefThresholdSpec]:
    """Every threshold of CLINICAL.md §2-§4 with its default and range, in the order of
    `ReliefThresholds` (for the settings screen: an override left empty is the default)."""
    specs = []
    for spec in fields(ReliefThresholds):
        default: float | tuple[int, ...] = spec.default  # type: ignore[assignment]
        specs.append(
            ReliefThresholdSpec(
                name=spec.name,
                default=list(default) if isinstance(default, tuple) else default,
                low=spec.metadata["low"],
                high=spec.metadata["high"],
                whole=not isinstance(default, float),
            )
        )
    return specs


async def settings_of_clinic(db: AsyncSession, clinic_id: int) -> ClinicSettings:
    clinic = await db.get(Clinic, clinic_id)
    assert clinic is not None
    return clinic_settings(clinic.settings)


async def replace_clinic_settings(
    db: AsyncSession, viewer: Viewer, data: ClinicSettings
) -> ClinicSettings:
    """Check and store the whole settings object; the audit row names the keys that changed."""
    checked_clinic_settings(data, catalogue().languages)
    if data.on_call_user_id is not None:
        await checked_on_call(db, viewer.clinic_id, data.on_call_user_id)
    # Locked: a clinician confirming a crisis text rewrites the same row (crisis/service.py).
    clinic = await db.get(Clinic, viewer.clinic_id, with_for_update=True, populate_existing=True)
    assert clinic is not None
    stored = {**msgspec.to_builtins(data), **kept_on_replace(clinic.settings)}
    changes = {key: True for key, value in stored.items() if clinic.settings.get(key) != value}
    clinic.settings = stored
    record_audit(db, viewer, "clinic.settings.update", detail={"changes": changes})
    return data
