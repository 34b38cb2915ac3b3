"""Clinic-level settings with the defaults of CLINICAL.md; a clinic stores only what it changed."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from afterglow.errors import invalid
from afterglow.fields import Id
from afterglow.relief.facts import ReliefThresholds

Text = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]


class CrisisResource(msgspec.Struct, frozen=True):
    label: Text
    contact: Text
    kind: Literal["phone", "text", "chat", "emergency", "other"]


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
    not_emergency_notice: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)] = (
        NOT_EMERGENCY_CARE
    )
    # Hours a safety alert may stay unacknowledged before it escalates.
    alert_window_hours: Annotated[float, msgspec.Meta(gt=0, le=72)] = 4.0
    urgent_alert_window_hours: Annotated[float, msgspec.Meta(gt=0, le=72)] = 1.0
    on_call_contact: Annotated[str, msgspec.Meta(max_length=300)] | None = None
    # The staff member (clinician or admin of this clinic) whose devices get escalations too.
    on_call_user_id: Id | None = None
    # Overrides of the relief analysis thresholds (CLINICAL.md §2-§4), by name.
    relief: dict[str, Any] = msgspec.field(default_factory=dict)

    def crisis_resources_for(self, locale: str) -> tuple[CrisisResource, ...]:
        for key in (locale, locale.split("-")[0], "default"):
            if key in self.crisis_resources:
                return self.crisis_resources[key]
        return US_CRISIS_RESOURCES


def clinic_settings(stored: dict[str, Any] | None) -> ClinicSettings:
    """Stored overrides on top of the defaults."""
    return msgspec.convert(stored or {}, ClinicSettings)


def checked_clinic_settings(settings: ClinicSettings) -> ClinicSettings:
    """Rules that span fields: a default crisis list, and urgent alerts escalating no later."""
    if not settings.crisis_resources.get("default"):
        raise invalid("crisis_resources.default", "list at least one crisis resource for everyone")
    try:
        ReliefThresholds.from_settings(settings.relief)
    except ValueError as error:
        raise invalid("relief", str(error)) from None
    if settings.urgent_alert_window_hours > settings.alert_window_hours:
        raise invalid(
            "urgent_alert_window_hours",
            "must not be longer than alert_window_hours: urgent alerts escalate sooner",
        )
    return settings
