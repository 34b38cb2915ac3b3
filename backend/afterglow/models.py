"""Imports every table so that SQLModel.metadata is complete (Alembic and tests use this)."""

from afterglow.accounts.models import AuthSession, Clinic, Invite, LoginThrottle, Patient, User
from afterglow.alerts.models import EscalationEmail, SafetyAlert
from afterglow.audit.models import AuditEvent
from afterglow.checkins.models import CheckIn
from afterglow.exports.models import ApiToken, ExportChunk, ExportFile, ExportJob
from afterglow.infusions.models import ClinicalEvent, Infusion
from afterglow.journal.models import JournalEntry
from afterglow.push.models import PushMessage, PushSubscription
from afterglow.relief.models import PatientSummary, ReliefEpisode
from afterglow.reminders.models import ReminderPlan

__all__ = [
    "ApiToken",
    "AuditEvent",
    "AuthSession",
    "CheckIn",
    "Clinic",
    "ClinicalEvent",
    "EscalationEmail",
    "ExportChunk",
    "ExportFile",
    "ExportJob",
    "Infusion",
    "Invite",
    "JournalEntry",
    "LoginThrottle",
    "Patient",
    "PatientSummary",
    "PushMessage",
    "PushSubscription",
    "ReliefEpisode",
    "ReminderPlan",
    "SafetyAlert",
    "User",
]
