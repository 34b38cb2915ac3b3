"""Request and response shapes of the accounts API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

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


class SignedOutAll(msgspec.Struct):
    sessions_ended: int


class PatientCreate(msgspec.Struct, forbid_unknown_fields=True):
    display_name: NonEmpty
    timezone: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    email: Email | None = None
    locale: Annotated[str, msgspec.Meta(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")] = "en-US"
    pain_enabled: bool = False


class PatientUpdate(msgspec.Struct, forbid_unknown_fields=True):
    display_name: NonEmpty | None = None
    timezone: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    email: Email | None = None
    locale: Annotated[str, msgspec.Meta(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")] | None = None
    pain_enabled: bool | None = None
    is_active: bool | None = None


class PatientOut(msgspec.Struct):
    id: int
    display_name: str
    email: str | None
    timezone: str
    locale: str
    pain_enabled: bool
    is_active: bool
    enrolled: bool
    created_at: datetime


class EnrollmentLink(msgspec.Struct):
    url: str
    expires_at: datetime


class PatientCreated(msgspec.Struct):
    patient: PatientOut
    enrollment: EnrollmentLink


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
