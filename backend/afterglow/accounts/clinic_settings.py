"""Clinic-level settings with the defaults of CLINICAL.md; a clinic stores only what it changed."""

from __future__ import annotations

from typing import Any

import msgspec


class CrisisResource(msgspec.Struct, frozen=True):
    label: str
    contact: str
    kind: str  # phone | text | chat | emergency


US_CRISIS_RESOURCES = (
    CrisisResource("988 Suicide & Crisis Lifeline: call", "988", "phone"),
    CrisisResource("988 Suicide & Crisis Lifeline: text", "988", "text"),
    CrisisResource("988 Lifeline chat", "https://988lifeline.org", "chat"),
    CrisisResource("Veterans Crisis Line: call 988, then press 1", "988", "phone"),
    CrisisResource("Immediate danger: call 911", "911", "emergency"),
)

NOT_EMERGENCY_CARE = (
    "This app is not monitored around the clock and is not emergency care. "
    "If you might act on these thoughts, call or text 988 or call 911 now."
)


class ClinicSettings(msgspec.Struct, frozen=True, kw_only=True):
    # Crisis resources by locale; "default" is used when the patient's locale has none.
    crisis_resources: dict[str, tuple[CrisisResource, ...]] = msgspec.field(
        default_factory=lambda: {"default": US_CRISIS_RESOURCES}
    )
    not_emergency_notice: str = NOT_EMERGENCY_CARE
    # Hours a safety alert may stay unacknowledged before it escalates.
    alert_window_hours: float = 4.0
    urgent_alert_window_hours: float = 1.0
    on_call_contact: str | None = None

    def crisis_resources_for(self, locale: str) -> tuple[CrisisResource, ...]:
        for key in (locale, locale.split("-")[0], "default"):
            if key in self.crisis_resources:
                return self.crisis_resources[key]
        return US_CRISIS_RESOURCES


def clinic_settings(stored: dict[str, Any] | None) -> ClinicSettings:
    """Stored overrides on top of the defaults."""
    return msgspec.convert(stored or {}, ClinicSettings)
