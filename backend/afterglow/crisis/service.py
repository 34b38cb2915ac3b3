"""The crisis screen of a patient, from their row and their clinic's settings; and Afterglow's
own crisis help, as the clinic's settings screen shows it."""

from __future__ import annotations

from afterglow.accounts.clinic_settings import clinic_settings
from afterglow.accounts.models import Clinic, Patient
from afterglow.catalogue import ENGLISH, catalogue, fill
from afterglow.crisis.reviews import CRISIS_TEXTS, crisis_text_reviewed
from afterglow.crisis.schemas import (
    BuiltInResourceOut,
    CountryListOut,
    CrisisHelpOut,
    CrisisLanguageOut,
    CrisisResourceOut,
    CrisisScreenOut,
)
from afterglow.crisis.screen import BUILT_IN, EMERGENCY_112, Resource, crisis_screen


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
