"""Who is making a request, as resolved from their session cookie."""

from __future__ import annotations

from dataclasses import dataclass

STAFF_ROLES = frozenset({"admin", "clinician"})
ROLES = frozenset({"admin", "clinician", "patient"})


@dataclass(frozen=True)
class Viewer:
    user_id: int
    clinic_id: int
    role: str
    email: str
    display_name: str
    session_hash: str
    patient_id: int | None = None
    address: str | None = None
    # Set when the request came with an integration's API token (exports only), not a session.
    token_id: int | None = None

    @property
    def is_patient(self) -> bool:
        return self.role == "patient"

    @property
    def is_clinician(self) -> bool:
        return self.role == "clinician"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"
