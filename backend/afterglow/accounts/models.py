"""Tables for clinics, users, patients, sign-in sessions, login throttling and invitations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel


class Clinic(SQLModel, table=True):
    __tablename__ = "clinic"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    # Clinic-level settings (crisis resources, alert windows, thresholds); defaults live in
    # accounts.clinic_settings so that an empty dict means "all defaults".
    settings: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    clinic_id: int = Field(foreign_key="clinic.id", index=True)
    email: str = Field(max_length=320, unique=True)
    display_name: str = Field(max_length=200)
    role: str = Field(max_length=16)  # admin | clinician | patient
    password_hash: str = Field(max_length=200)
    is_active: bool = True
    created_at: datetime


class Patient(SQLModel, table=True):
    __tablename__ = "patient"

    id: int | None = Field(default=None, primary_key=True)
    clinic_id: int = Field(foreign_key="clinic.id", index=True)
    # Null until the patient has opened their enrollment link and set a password.
    user_id: int | None = Field(default=None, foreign_key="app_user.id", unique=True)
    display_name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=320)
    timezone: str = Field(max_length=64)
    locale: str = Field(default="en-US", max_length=16)
    pain_enabled: bool = False
    is_active: bool = True
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime


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


class LoginFailure(SQLModel, table=True):
    """One failed sign-in, keyed by account and by address, so throttling holds across instances."""

    __tablename__ = "login_failure"
    __table_args__ = (Index("ix_login_failure_key_at", "key", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=400)
    at: datetime


class Invite(SQLModel, table=True):
    """A one-time link that lets a new patient (enrollment) or staff member set their password."""

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
