"""Tables for clinics, users, patients, sign-in sessions, sign-in throttling and one-time links."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from afterglow.record_times import updated_at_field


class Clinic(SQLModel, table=True):
    __tablename__ = "clinic"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    # Clinic-level settings (crisis resources, alert windows, thresholds); defaults live in
    # accounts.clinic_settings so that an empty dict means "all defaults".
    settings: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime


class User(SQLModel, table=True):
    """An account. Each clinic is its own namespace of emails, so that nothing one clinic's staff
    or enrollment links can try reveals whether an email has an account at another clinic."""

    __tablename__ = "app_user"
    __table_args__ = (UniqueConstraint("clinic_id", "email", name="uq_app_user_clinic_email"),)

    id: int | None = Field(default=None, primary_key=True)
    clinic_id: int = Field(foreign_key="clinic.id", index=True)
    email: str = Field(max_length=320, index=True)
    display_name: str = Field(max_length=200)
    role: str = Field(max_length=16)  # admin | clinician | patient
    password_hash: str = Field(max_length=200)
    is_active: bool = True
    created_at: datetime


class Patient(SQLModel, table=True):
    __tablename__ = "patient"
    __table_args__ = (
        # Each clinic numbers its own records; several patients may have none (NULLs differ).
        # A unique index rather than a constraint: SQLite adds an index without copying the
        # table, which the tables that reference patients would refuse.
        Index("uq_patient_clinic_external_id", "clinic_id", "external_id", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    clinic_id: int = Field(foreign_key="clinic.id", index=True)
    # Null until the patient has opened their enrollment link and set a password.
    user_id: int | None = Field(default=None, foreign_key="app_user.id", unique=True)
    display_name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=320)
    timezone: str = Field(max_length=64)
    locale: str = Field(default="en-US", max_length=16)
    # ISO 3166-1 alpha-2: the country whose crisis help the patient is shown (CLINICAL.md §5).
    country: str | None = Field(default=None, max_length=2)
    # The clinic's own identifier for the patient (its record number), unique within the clinic.
    external_id: str | None = Field(default=None, max_length=64)
    pain_enabled: bool = False
    is_active: bool = True
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime
    # When the patient's record last changed: exports' `_since`.
    updated_at: datetime = updated_at_field("created_at")


class AuthSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "auth_session"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    created_at: datetime
    expires_at: datetime
    last_seen_at: datetime
    user_agent: str | None = Field(default=None, max_length=300)
    address: str | None = Field(default=None, max_length=64)


class LoginThrottle(SQLModel, table=True):
    """Failed sign-ins of one account or one address, shared by every instance through the database.

    `failures` also serves as a version: an attempt is let through by a conditional UPDATE on it,
    so concurrent guesses cannot all slip in while one is being checked.
    """

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=400)
    failures: int
    last_failure_at: datetime
    # Attempts before this time are answered 429 with Retry-After.
    retry_at: datetime


class Invite(SQLModel, table=True):
    """A one-time link that lets a new patient (enrollment) or staff member set their password,
    or, with `reset_user_id`, lets someone locked out set a new password for their account."""

    __tablename__ = "invite"
    __table_args__ = (UniqueConstraint("token_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64)
    clinic_id: int = Field(foreign_key="clinic.id", index=True)
    role: str = Field(max_length=16)
    patient_id: int | None = Field(default=None, foreign_key="patient.id", index=True)
    email: str | None = Field(default=None, max_length=320)
    display_name: str | None = Field(default=None, max_length=200)
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    reset_user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    # Claims refused because the email was taken: a link stops working after a few, so that
    # one link cannot be used to test which emails have accounts in the clinic.
    failed_claims: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
