"""The crisis screen as the API sends it: with a check-in's safety block, and with a patient's
profile (`GET /api/me`), which the app keeps so that the screen needs no server."""

from __future__ import annotations

import msgspec


class CrisisResourceOut(msgspec.Struct):
    label: str
    # A number to call or text, a chat's https address, or "" for a line that only says what to do.
    contact: str
    kind: str


class CrisisScreenOut(msgspec.Struct):
    """Every word of the crisis screen, in one language (`lang`): the patient's when its crisis
    text is reviewed, else English. `country` is whose list is shown; `here`, when not null, the
    country the phone is in (its emergency number comes first)."""

    lang: str
    country: str | None
    here: str | None
    title: str
    message: str
    resources: list[CrisisResourceOut]
    # The clinic's own number (null until an admin sets it), and when the clinic sees the answer.
    clinic_phone: CrisisResourceOut | None
    clinic_next: str
    not_emergency_care: str
    # Said instead of `clinic_next` when the answers have not reached the clinic yet, or never will.
    offline_note: str
    refused_note: str
    continue_label: str


class BuiltInResourceOut(msgspec.Struct):
    label: dict[str, str]
    contact: str
    kind: str


class CountryListOut(msgspec.Struct):
    country: str
    resources: list[BuiltInResourceOut]


class CrisisLanguageOut(msgspec.Struct):
    """Whether patients who read `lang` see the crisis screen in it (`reviewed`), who reviewed
    it, and the published wording its texts follow (catalogue key: source)."""

    lang: str
    reviewed: bool
    reviewer: str | None
    reviewed_on: str | None
    sources: dict[str, str]


class CrisisHelpOut(msgspec.Struct):
    """Afterglow's own crisis help, which a clinic's lists replace country by country."""

    lists: list[CountryListOut]
    # Countries with no list of their own whose patients are shown 112 (EU, EEA, Switzerland).
    emergency_112: list[str]
    languages: list[CrisisLanguageOut]
