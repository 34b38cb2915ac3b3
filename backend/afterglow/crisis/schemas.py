"""The crisis screen as the API sends it: with a check-in's safety block, and with a patient's
profile (`GET /api/me`), which the app keeps so that the screen needs no server."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from afterglow.accounts.clinic_settings import LanguageCode


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


class CrisisTextLineOut(msgspec.Struct):
    """One crisis text as patients read it (numbers filled in), beside its English. `country`:
    null for the screen's own sentences, else the country whose list it is in. `source`: the
    published wording it follows, when there is one, to check it against."""

    key: str
    country: str | None
    english: str
    text: str
    source: str | None


class CrisisTextConfirmationOut(msgspec.Struct):
    clinician_id: int
    clinician_name: str
    confirmed_at: datetime
    # The countries whose lists the confirmed text held.
    countries: list[str]


class ClinicCrisisTextOut(msgspec.Struct):
    """A language's crisis text for this clinic's patients and whether they are shown it.

    `status`: `reviewed` (Afterglow's review covers it), `confirmed` (this clinic's confirmation
    covers today's text for every country its patients are in), `partly` (confirmed, but not for
    the `uncovered` countries, whose patients see English), `changed` (the text changed since it
    was confirmed: patients see English until it is confirmed again), `awaiting` (patients see
    English). `countries`: whose lists the text holds (the countries of the clinic's patients);
    `unworded`: texts not worded in the language, which must be before it can be confirmed;
    `text_sha256`: the fingerprint of the text below, which a confirmation sends back."""

    lang: str
    status: Literal["reviewed", "confirmed", "partly", "changed", "awaiting"]
    countries: list[str]
    uncovered: list[str]
    text_sha256: str
    unworded: list[str]
    lines: list[CrisisTextLineOut]
    confirmation: CrisisTextConfirmationOut | None


class CrisisTextConfirm(msgspec.Struct, forbid_unknown_fields=True):
    """The language, and the fingerprint of its text as it was shown to the clinician."""

    lang: LanguageCode
    text_sha256: Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]


class CrisisTextWithdraw(msgspec.Struct, forbid_unknown_fields=True):
    lang: LanguageCode
