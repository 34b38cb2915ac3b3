"""Imports every table so that SQLModel.metadata is complete (Alembic and tests use this)."""

from afterglow.accounts.models import AuthSession, Clinic, Invite, LoginFailure, Patient, User
from afterglow.alerts.models import SafetyAlert
from afterglow.audit.models import AuditEvent
from afterglow.checkins.models import CheckIn
from afterglow.infusions.models import ClinicalEvent, Infusion
from afterglow.relief.models import PatientSummary, ReliefEpisode

__all__ = [
    "AuditEvent",
    "AuthSession",
    "CheckIn",
    "Clinic",
    "ClinicalEvent",
    "Infusion",
    "Invite",
    "LoginFailure",
    "Patient",
    "PatientSummary",
    "ReliefEpisode",
    "SafetyAlert",
    "User",
]
