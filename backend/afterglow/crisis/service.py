"""The crisis screen of a patient, from their row and their clinic's settings; Afterglow's own
crisis help, as the clinic's settings screen shows it; and a clinic's clinicians confirming a
language's crisis text for the clinic's patients (`confirmations`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from afterglow.accounts.clinic_settings import clinic_settings
from afterglow.accounts.countries import country_of_zone
from afterglow.accounts.models import Clinic, Patient
from afterglow.accounts.viewer import Viewer
from afterglow.audit.service import record_audit
from afterglow.catalogue import ENGLISH, catalogue, fill
from afterglow.crisis.confirmations import (
    ClinicCrisisText,
    CrisisTextConfirmation,
    clinic_text_status,
    listed_countries,
    stored_confirmations,
    with_confirmation,
)
from afterglow.crisis.lists import BUILT_IN, EMERGENCY_112
from afterglow.crisis.reviews import CRISIS_TEXTS, crisis_text_reviewed
from afterglow.crisis.schemas import (
    BuiltInResourceOut,
    ClinicCrisisTextOut,
    CountryListOut,
    CrisisHelpOut,
    CrisisLanguageOut,
    CrisisResourceOut,
    CrisisScreenOut,
    CrisisTextConfirm,
    CrisisTextConfirmationOut,
    CrisisTextLineOut,
    CrisisTextWithdraw,
)
from afterglow.crisis.screen import Resource, crisis_screen
from afterglow.errors import Clash, invalid


def _resource_out(resource: Resource) -> CrisisResourceOut:
    return CrisisResourceOut(resource.label, resource.contact, resource.kind)


def patient_crisis_screen(
    patient: Patient, clinic: Clinic, phone_zone: str | None
) -> CrisisScreenOut:
    """`phone_zone`: the time zone the phone says it is in (the app's X-Time-Zone header)."""
    screen = crisis_screen(
        catalogue(),
        clinic_settings(clinic.settings),
        locale=patient.locale,
        country=patient.country,
        timezone=patient.timezone,
        phone_zone=phone_zone,
        confirmations=stored_confirmations(clinic.settings),
    )
    return CrisisScreenOut(
        lang=screen.lang,
        country=screen.country,
        here=screen.here,
        title=screen.title,
        message=screen.message,
        resources=[_resource_out(r) for r in screen.resources],
        clinic_phone=_resource_out(screen.clinic_phone) if screen.clinic_phone else None,
        clinic_next=screen.clinic_next,
        not_emergency_care=screen.not_emergency_care,
        offline_note=screen.offline_note,
        refused_note=screen.refused_note,
        continue_label=screen.continue_label,
    )


def crisis_help() -> CrisisHelpOut:
    cat = catalogue()
    english = cat.strings[ENGLISH]
    languages = []
    for lang in cat.languages:
        record = CRISIS_TEXTS.get(lang)
        review = record.review if record else None
        languages.append(
            CrisisLanguageOut(
                lang=lang,
                reviewed=crisis_text_reviewed(lang, cat.strings[lang], english),
                reviewer=review.reviewer if review else None,
                reviewed_on=review.reviewed_on if review else None,
                sources=dict(record.sources) if record else {},
            )
        )
    lists = [
        CountryListOut(
            country=country,
            resources=[
                BuiltInResourceOut(
                    label={
                        lang: fill(cat.strings[lang][r.key], number=r.contact)
                        for lang in cat.languages
                    },
                    contact=r.contact,
                    kind=r.kind,
                )
                for r in resources
            ],
        )
        for country, resources in BUILT_IN.items()
    ]
    return CrisisHelpOut(lists=lists, emergency_112=sorted(EMERGENCY_112), languages=languages)


def _translated(lang: str) -> str:
    """`lang` when it is a language the crisis screen can be confirmed in; else a 400."""
    languages = catalogue().languages
    if lang == ENGLISH:
        raise invalid(
            "lang", "English is the text every other language translates: it needs no confirmation"
        )
    if lang not in languages:
        raise invalid(
            "lang",
            "the app has no such language; its languages besides English are "
            + ", ".join(code for code in languages if code != ENGLISH),
        )
    return lang


async def _patient_homes(db: AsyncSession, clinic_id: int) -> list[str | None]:
    """The country of each active patient of the clinic (set, else their time zone's)."""
    rows = await db.execute(
        select(col(Patient.country), col(Patient.timezone))
        .where(col(Patient.clinic_id) == clinic_id, col(Patient.is_active))
        .distinct()
    )
    return [country or country_of_zone(zone) for country, zone in rows.all()]


async def _locked_clinic(db: AsyncSession, clinic_id: int) -> Clinic:
    """The clinic row, locked until commit: confirmations and the settings PUT each rewrite
    the whole settings row, so neither may be lost to the other."""
    clinic = await db.get(Clinic, clinic_id, with_for_update=True, populate_existing=True)
    assert clinic is not None
    return clinic


def _text_out(text: ClinicCrisisText) -> ClinicCrisisTextOut:
    record = CRISIS_TEXTS.get(text.lang)
    sources = record.sources if record else {}
    confirmation = text.confirmation
    return ClinicCrisisTextOut(
        lang=text.lang,
        status=text.status,
        countries=list(text.countries),
        uncovered=list(text.uncovered),
        text_sha256=text.text_sha256,
        unworded=list(text.unworded),
        lines=[
            CrisisTextLineOut(
                line.key, line.country, line.english, line.text, sources.get(line.key)
            )
            for line in text.lines
        ],
        confirmation=CrisisTextConfirmationOut(
            clinician_id=confirmation.clinician_id,
            clinician_name=confirmation.clinician_name,
            confirmed_at=confirmation.confirmed_at,
            countries=list(confirmation.countries),
        )
        if confirmation
        else None,
    )


async def _status(db: AsyncSession, clinic: Clinic, lang: str) -> ClinicCrisisText:
    cat = catalogue()
    settings = clinic_settings(clinic.settings)
    countries = listed_countries(await _patient_homes(db, clinic.id or 0), settings)
    return clinic_text_status(
        cat.strings[lang],
        cat.strings[ENGLISH],
        settings,
        lang,
        countries,
        stored_confirmations(clinic.settings).get(lang),
    )


async def clinic_crisis_texts(db: AsyncSession, viewer: Viewer) -> list[ClinicCrisisTextOut]:
    """Each language's crisis text for the clinic's patients, beside English, with whether its
    patients are shown it (every language of the app but English)."""
    clinic = await db.get(Clinic, viewer.clinic_id)
    assert clinic is not None
    return [
        _text_out(await _status(db, clinic, lang))
        for lang in catalogue().languages
        if lang != ENGLISH
    ]


async def confirm_crisis_text(
    db: AsyncSession, viewer: Viewer, data: CrisisTextConfirm, now: datetime
) -> ClinicCrisisTextOut:
    """A clinician confirms the text they read (`data.text_sha256`, its fingerprint as
    `clinic_crisis_texts` gave it) for the clinic's patients. Refused (409) when the text
    changed since it was shown, or when part of it is not worded in the language. Audited."""
    lang = _translated(data.lang)
    clinic = await _locked_clinic(db, viewer.clinic_id)
    text = await _status(db, clinic, lang)
    if text.status == "reviewed":
        raise Clash(
            f"Afterglow's own review covers the {lang!r} crisis text: every clinic's patients "
            "already see it in their language."
        )
    if text.unworded:
        raise Clash(
            f"Part of the crisis text is not worded in {lang!r} ("
            + ", ".join(text.unworded)
            + "): an admin words the clinic's own lists in every language first."
        )
    if text.text_sha256 != data.text_sha256:
        raise Clash(
            "The crisis text changed since it was shown to you (a new release, the clinic's own "
            "lists, or a patient in another country): read it again and confirm what is shown now."
        )
    confirmation = CrisisTextConfirmation(
        text_sha256=text.text_sha256,
        countries=text.countries,
        clinician_id=viewer.user_id,
        clinician_name=viewer.display_name,
        confirmed_at=now,
    )
    clinic.settings = with_confirmation(clinic.settings, lang, confirmation)
    # The trail keeps no wording, but names the exact text by its fingerprint.
    record_audit(db, viewer, "crisis_text.confirm", target=f"crisis_text:{lang}:{text.text_sha256}")
    await db.flush()
    return _text_out(await _status(db, clinic, lang))


async def withdraw_crisis_text(
    db: AsyncSession, viewer: Viewer, data: CrisisTextWithdraw
) -> ClinicCrisisTextOut:
    """The clinic's confirmation of a language's crisis text withdrawn: its patients see the
    crisis screen in English until a clinician confirms it again. Audited when there was one."""
    lang = _translated(data.lang)
    clinic = await _locked_clinic(db, viewer.clinic_id)
    withdrawn = stored_confirmations(clinic.settings).get(lang)
    if withdrawn is not None:
        clinic.settings = with_confirmation(clinic.settings, lang, None)
        record_audit(
            db,
            viewer,
            "crisis_text.withdraw",
            target=f"crisis_text:{lang}:{withdrawn.text_sha256}",
            detail={"confirmed_by_id": withdrawn.clinician_id},
        )
        await db.flush()
    return _text_out(await _status(db, clinic, lang))
