"""Clinic-level settings with the defaults of CLINICAL.md; a clinic stores only what it changed.

The shape is strict: a key it does not know is refused (400 naming it), because a misspelt
safety setting that is stored and ignored looks saved to the admin and changes nothing. Rows
stored under an older shape are brought to this one by a migration (0006, 0014); reading still
skips what it does not know, so one odd row never stops check-ins.
"""

from __future__ import annotations

import logging
import re
from dataclasses import fields
from typing import Annotated, Any, Literal

import msgspec

from afterglow.accounts.countries import countries
from afterglow.errors import InvalidInput, Problem, invalid
from afterglow.fields import Id
from afterglow.relief.facts import ReliefThresholds

Text = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
# A language of the app's catalogue (en, es) and an ISO 3166-1 alpha-2 country (US, GB).
LanguageCode = Annotated[str, msgspec.Meta(pattern=r"^[a-z]{2}$")]
CountryCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}$")]
PHONE_PATTERN = re.compile(r"\+?[0-9(][0-9 ().-]*[0-9]")
# Kinds of resource whose contact the crisis screen dials or texts (a `tel:` or `sms:` link).
DIALLED = frozenset({"phone", "text", "emergency"})
# Where the settings row keeps the clinic's clinicians' confirmations of languages' crisis texts
# (afterglow.crisis.confirmations). Not a setting: only a clinician confirming writes it, so the
# settings PUT (an admin's) neither takes it nor drops it (`kept_on_replace`).
CRISIS_CONFIRMATIONS = "crisis_confirmations"


log = logging.getLogger(__name__)


class CrisisResource(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One line of a clinic's own crisis list: worded by the clinic in each language it serves."""

    label: dict[LanguageCode, Text]
    contact: Text
    kind: Literal["phone", "text", "chat", "emergency", "other"]


class ClinicSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    # The clinic's own crisis list for a country, shown to that country's patients in place of
    # Afterglow's (afterglow.crisis.screen.BUILT_IN); a country not listed keeps Afterglow's.
    crisis_resources: dict[CountryCode, tuple[CrisisResource, ...]] = msgspec.field(
        default_factory=dict
    )
    # Hours a safety alert may stay unacknowledged before it escalates.
    alert_window_hours: Annotated[float, msgspec.Meta(gt=0, le=72)] = 4.0
    urgent_alert_window_hours: Annotated[float, msgspec.Meta(gt=0, le=72)] = 1.0
    on_call_contact: Annotated[str, msgspec.Meta(max_length=300)] | None = None
    # The staff member (clinician or admin of this clinic) whose devices get escalations too.
    on_call_user_id: Id | None = None
    # The clinic's own phone number, shown to patients on the crisis screen (and cached by the
    # app with the patient's profile, so that it is there offline too).
    clinic_phone: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    # Overrides of the relief analysis thresholds (CLINICAL.md §2-§4), by name.
    relief: dict[str, Any] = msgspec.field(default_factory=dict)
    # Adaptive check-ins: extra PHQ-9s when relief may be changing (reminders/adaptive.py). Off,
    # only the regular schedule asks. A row stored before this key existed reads as on.
    adaptive_checkins: bool = True


RELIEF_THRESHOLDS = frozenset(spec.name for spec in fields(ReliefThresholds))


def _known_only(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored row without the keys this shape does not know (at any level)."""
    known = {k: v for k, v in stored.items() if k in ClinicSettings.__struct_fields__}
    resources = known.get("crisis_resources")
    if isinstance(resources, dict):
        known["crisis_resources"] = {
            country: [
                {k: v for k, v in r.items() if k in CrisisResource.__struct_fields__}
                if isinstance(r, dict)
                else r
                for r in listed
            ]
            if isinstance(listed, list)
            else listed
            for country, listed in resources.items()
        }
    if isinstance(known.get("relief"), dict):
        known["relief"] = {k: v for k, v in known["relief"].items() if k in RELIEF_THRESHOLDS}
    return known


def kept_on_replace(stored: dict[str, Any]) -> dict[str, Any]:
    """What a settings row keeps when an admin replaces the settings: the clinicians'
    confirmations of crisis texts, which an admin may neither forge nor lose."""
    return {key: stored[key] for key in (CRISIS_CONFIRMATIONS,) if key in stored}


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


def checked_crisis_resources(
    resources: dict[str, tuple[CrisisResource, ...]], languages: tuple[str, ...]
) -> None:
    """A clinic's own lists: for real countries, each with an emergency number, every label in
    every language of the app (`languages`), every number one a phone can dial."""
    problems: list[Problem] = []
    for country, listed in resources.items():
        where = f"crisis_resources.{country}"
        if country not in countries():
            problems.append(
                Problem(where, f"{country!r} is not an ISO 3166-1 alpha-2 country code (US, GB)")
            )
        if not any(r.kind == "emergency" for r in listed):
            problems.append(
                Problem(
                    where,
                    "list the emergency number too (kind emergency), or remove this list to "
                    "show Afterglow's",
                )
            )
        for n, resource in enumerate(listed):
            missing = [lang for lang in languages if lang not in resource.label]
            unknown = sorted(set(resource.label) - set(languages))
            if missing:
                problems.append(
                    Problem(
                        f"{where}.{n}.label.{missing[0]}",
                        "write this label in every language of the app (missing: "
                        + ", ".join(missing)
                        + ")",
                    )
                )
            if unknown:
                problems.append(
                    Problem(
                        f"{where}.{n}.label.{unknown[0]}",
                        "the app has no such language; its languages are " + ", ".join(languages),
                    )
                )
            if resource.kind in DIALLED and not is_phone_number(resource.contact):
                problems.append(
                    Problem(
                        f"{where}.{n}.contact",
                        "give a number a phone can dial or text: digits, with spaces, dashes, "
                        "dots, brackets or a leading +, 3 to 15 digits",
                    )
                )
            if resource.kind == "chat" and not resource.contact.startswith("https://"):
                problems.append(
                    Problem(f"{where}.{n}.contact", "give the chat's address, starting https://")
                )
    if problems:
        raise InvalidInput(
            f"Invalid {problems[0].field}: {problems[0].message}"
            + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
            problems,
        )


def checked_clinic_settings(settings: ClinicSettings, languages: tuple[str, ...]) -> ClinicSettings:
    """Rules that span fields: crisis lists patients can use in their language, thresholds that
    fit together, a dialable clinic phone, and urgent alerts escalating no later."""
    checked_crisis_resources(settings.crisis_resources, languages)
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
