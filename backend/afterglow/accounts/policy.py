"""Who may call a route: each route handler names its policy in its decorator (`policy="..."`).

The guards, `open_patient` and the services enforce access; the policy says in one word what
they are meant to enforce, so that tests/access/ can call every operation as every kind of
account and compare the answers with it. A route without a policy fails that test.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any


class Policy(StrEnum):
    """Who is let in. "Clinic" means the clinic of the record named in the path, or else the
    caller's own clinic; everyone else is refused with 401 (not signed in), 403 or 404."""

    PUBLIC = "public"
    """Anyone, signed in or not (sign-in, enrollment links, health, instruments, the push key)."""
    SIGNED_IN = "signed-in"
    """Any account, about itself (who am I, sign out, its own devices)."""
    SELF = "self"
    """Only the account that owns the thing named in the path (a push device)."""
    OWN_PATIENT = "own-patient"
    """Patients only, about their own record (check-ins, their reminder schedule)."""
    OWN_PATIENT_OR_CLINIC_CLINICIAN = "own-patient-or-clinic-clinician"
    """The patient themself, or a clinician of the patient's clinic."""
    CLINIC_CLINICIAN = "clinic-clinician"
    """Clinicians of the clinic (not its admins, who do not open patient records)."""
    CLINIC_STAFF = "clinic-staff"
    """Clinicians and admins of the clinic."""
    CLINIC_ADMIN = "clinic-admin"
    """Admins of the clinic."""


def declared_policy(opt: Mapping[str, Any]) -> Policy | None:
    """The policy a route handler's `opt` declares, or None when it declares none.

    Raises ValueError for a name that is not in the vocabulary, so a typo cannot pass.
    """
    name = opt.get("policy")
    return None if name is None else Policy(name)
