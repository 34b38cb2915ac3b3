"""Clinic-level settings with the defaults of CLINICAL.md; a clinic stores only what it changed.

The shape is strict: a key it does not know is refused (400 naming it), because a misspelt
safety setting that is stored and ignored looks saved to the admin and changes nothing. Rows
stored under an older shape are brought to this one by a migration (0006); reading still skips
what it does not know, so one odd row never stops check-ins.
"""

from __future__ import annotations

import logging
import re
from dataclasses import fields
from typing import Annotated, Any, Literal

import msgspec

from afterglow.errors import invalid
from afterglow.fields import Id
from afterglow.relief.facts import ReliefThresholds

Text = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
PHONE_PATTERN = re.compile(r"\+?[0-9(][0-9 ().-]*[0-9]")


log = logging.getLogger(__name__)


class CrisisResource(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
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


class ClinicSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
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
    # The clinic's own phone number, shown to patients on the crisis screen.
    clinic_phone: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    # Overrides of the relief analysis thresholds (CLINICAL.md §2-§4), by name.
    relief: dict[str, Any] = msgspec.field(default_factory=dict)

    def crisis_resources_for(self, locale: str) -> tuple[CrisisResource, ...]:
        for key in (locale, locale.split("-")[0], "default"):
            if key in self.crisis_resources:
                return self.crisis_resources[key]
        return US_CRISIS_RESOURCES


RELIEF_THRESHOLDS = frozenset(spec.name for spec in fields(ReliefThresholds))


def _known_only(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored row without the keys this shape does not know (at any level)."""
    known = {k: v for k, v in stored.items() if k in ClinicSettings.__struct_fields__}
    resources = known.get("crisis_resources")
    if isinstance(resources, dict):
        known["crisis_resources"] = {
            locale: [
                {k: v for k, v in r.items() if k in CrisisResource.__struct_fields__}
                if isinstance(r, dict)
                else r
                for r in listed
            ]
            if isinstance(listed, list)
            else listed
            for locale, listed in resources.items()
        }
    if isinstance(known.get("relief"), dict):
        known["relief"] = {k: v for k, v in known["relief"].items() if k in RELIEF_THRESHOLDS}
    return known


def _converts(key: str, value: Any) -> bool:
    try:
        msgspec.convert({key: value}, ClinicSettings)
    except msgspec.ValidationError:
        return False
    return True


def clinic_settings(stored: dict[str, Any] | None) -> ClinicSettings:
    """Stored overrides on top of the defaults.

    Never raises: check-ins, alerts and relief all read this, and a row that no longer fits
    (written by hand, or by an older release before its migration ran) must not stop them. Keys
    it does not know are skipped; a value that does not fit falls back to its default, logged.
    """
    known = _known_only(stored or {})
    try:
        return msgspec.convert(known, ClinicSettings)
    except msgspec.ValidationError:
        fitting = {key: value for key, value in known.items() if _converts(key, value)}
        log.warning(
            "clinic settings: stored values that do not fit use their defaults: %s",
            sorted(set(known) - set(fitting)),
        )
        return msgspec.convert(fitting, ClinicSettings)


def is_phone_number(text: str) -> bool:
    """A number a phone can dial from a `tel:` link: 3 to 15 digits (E.164's longest), written
    with the separators people use, a + only in front."""
    if not PHONE_PATTERN.fullmatch(text):
        return False
    return 3 <= sum(ch.isdigit() for ch in text) <= 15


def checked_clinic_settings(settings: ClinicSettings) -> ClinicSettings:
    """Rules that span fields: a default crisis list, and urgent alerts escalating no later."""
    if not settings.crisis_resources.get("default"):
        raise invalid("crisis_resources.default", "list at least one crisis resource for everyone")
    unknown = sorted(set(settings.relief) - RELIEF_THRESHOLDS)
    if unknown:
        raise invalid(
            f"relief.{unknown[0]}",
            "not a relief threshold; known: " + ", ".join(sorted(RELIEF_THRESHOLDS)),
        )
    try:
        ReliefThresholds.from_settings(settings.relief)
    except ValueError as error:
        raise invalid("relief", str(error)) from None
    if settings.clinic_phone is not None and not is_phone_number(settings.clinic_phone):
        raise invalid(
            "clinic_phone",
            "give a number patients can dial: digits, with spaces, dashes, dots, brackets or a "
            "leading + (like +1 555 010 0199), 3 to 15 digits",
        )
    if settings.urgent_alert_window_hours > settings.alert_window_hours:
        raise invalid(
            "urgent_alert_window_hours",
            "must not be longer than alert_window_hours: urgent alerts escalate sooner",
        )
    return settings
