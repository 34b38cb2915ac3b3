"""Request and response shapes of the accounts API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from afterglow.crisis.schemas import CrisisScreenOut
from afterglow.fields import Id

# Must contain something besides spaces (checked by the pattern, trimmed by the route).
NonEmpty = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S")]
Email = Annotated[str, msgspec.Meta(min_length=3, max_length=320)]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class LoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    password: Password
    # Only needed when the same email and password open accounts at two clinics.
    clinic_id: Id | None = None


class ClinicOut(msgspec.Struct):
    id: int
    name: str


class MeOut(msgspec.Struct):
    user_id: int
    email: str
    display_name: str
    role: str
    clinic: ClinicOut
    patient_id: int | None = None
    # A patient's language (e.g. es-MX) and whether they log pain; null for staff.
    locale: str | None = None
    pain_enabled: bool | None = None
    # A patient's crisis screen, kept by the app so that it needs no server (null for staff).
    crisis: CrisisScreenOut | None = None


class SignedOutAll(msgspec.Struct):
    sessions_ended: int


# ISO 3166-1 alpha-2 (US, GB, ES, MX, CA ...); checked against the list by the service.
Country = Annotated[str, msgspec.Meta(min_length=1, max_length=8, examples=["US", "MX"])]
# The clinic's own record number for the patient, unique within the clinic.
ExternalId = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"\S")]


class PatientCreate(msgspec.Struct, forbid_unknown_fields=True):
    display_name: NonEmpty
    timezone: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    email: Email | None = None
    locale: Annotated[str, msgspec.Meta(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")] = "en-US"
    # Left out: the country of the time zone (America/Mexico_City: MX), when it has one.
    country: Country | None = None
    external_id: ExternalId | None = None
    pain_enabled: bool = False


class LanguageChange(msgspec.Struct, forbid_unknown_fields=True):
    """A patient's own choice of language: es, or es-US with the region."""

    locale: Annotated[str, msgspec.Meta(pattern=r"^[a-z]{2}(-[A-Z]{2})?$", examples=["es-US"])]


class PatientUpdate(msgspec.Struct, forbid_unknown_fields=True):
    display_name: NonEmpty | None = None
    timezone: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    email: Email | None = None
    locale: Annotated[str, msgspec.Meta(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")] | None = None
    country: Country | None = None
    external_id: ExternalId | None = None
    pain_enabled: bool | None = None
    is_active: bool | None = None


class PatientOut(msgspec.Struct):
    id: int
    display_name: str
    email: str | None
    timezone: str
    locale: str
    country: str | None
    external_id: str | None
    pain_enabled: bool
    is_active: bool
    enrolled: bool
    created_at: datetime


class EnrollmentLink(msgspec.Struct):
    url: str
    expires_at: datetime


class EnrollmentHandout(msgspec.Struct):
    """A patient's one-time enrollment link, shown once: only its hash is stored, so the link
    and its QR code (SVG) are in this answer and nowhere else. With what the printed handout
    names: the clinic and its phone number (null until an admin sets it)."""

    url: str
    expires_at: datetime
    qr_svg: str
    clinic_name: str
    clinic_phone: str | None


class EnrollmentStatus(msgspec.Struct):
    """Whether the patient has set up the app, and the link waiting for them if any (the link
    itself was shown once, when issued)."""

    enrolled: bool
    link_issued_at: datetime | None
    link_expires_at: datetime | None


class PatientCreated(msgspec.Struct):
    patient: PatientOut
    enrollment: EnrollmentHandout


class InviteOut(msgspec.Struct):
    # "enrollment" makes a new account; "password_reset" sets a new password for an existing one.
    purpose: Literal["enrollment", "password_reset"]
    clinic: str
    role: str
    display_name: str | None
    email: str | None
    needs_email: bool
    expires_at: datetime


class InviteAccept(msgspec.Struct, forbid_unknown_fields=True):
    password: Password
    email: Email | None = None


class StaffCreate(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    display_name: NonEmpty
    role: Literal["clinician", "admin"] = "clinician"


class StaffOut(msgspec.Struct):
    id: int | None
    email: str
    display_name: str
    role: str
    is_active: bool
    created_at: datetime | None = None


class StaffCreated(msgspec.Struct):
    email: str
    display_name: str
    role: str
    invite: EnrollmentLink


class StaffUpdate(msgspec.Struct, forbid_unknown_fields=True):
    is_active: bool


class ResetLink(msgspec.Struct):
    """A one-time link to set a new password, to show as a QR code to the person locked out."""

    url: str
    expires_at: datetime
    qr_svg: str
