"""A clinic's clinicians confirm a language's crisis text for the clinic's own patients (CLINICAL.md
§5: every word in the patient's language, or English whole): over the API, on both databases."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.accounts.models import Patient
from afterglow.catalogue import catalogue
from conftest import ClientFactory, World, checkin_key

ENGLISH = catalogue().strings["en"]
SPANISH = catalogue().strings["es"]
ITEM9 = {"instrument": "phq9", "answers": [1, 1, 1, 1, 1, 1, 1, 1, 1]}
TEXTS = "/api/clinic/crisis-texts"


def every_word(screen: dict[str, Any]) -> list[str]:
    clinic = [screen["clinic_phone"]["label"]] if screen["clinic_phone"] else []
    return [
        screen["title"],
        screen["message"],
        *(r["label"] for r in screen["resources"]),
        *clinic,
        screen["clinic_next"],
        screen["not_emergency_care"],
        screen["offline_note"],
        screen["refused_note"],
        screen["continue_label"],
    ]


def wholly_spanish(screen: dict[str, Any]) -> bool:
    words = every_word(screen)
    return screen["lang"] == "es" and not set(words) & set(ENGLISH.values())


def wholly_english(screen: dict[str, Any]) -> bool:
    words = every_word(screen)
    return screen["lang"] == "en" and not set(words) & set(SPANISH.values())


async def speaks(
    db: AsyncSession, patient: Patient, locale: str, country: str | None = None
) -> None:
    values: dict[str, Any] = {"locale": locale}
    if country:
        values["country"] = country
    await db.execute(update(Patient).where(col(Patient.id) == patient.id).values(**values))
    await db.commit()


async def spanish_text(client: httpx.AsyncClient) -> dict[str, Any]:
    answer = await client.get(TEXTS)
    assert answer.status_code == 200, answer.text
    [spanish] = answer.json()
    assert spanish["lang"] == "es"
    return dict(spanish)


async def confirm(client: httpx.AsyncClient, text: dict[str, Any]) -> httpx.Response:
    return await client.post(
        f"{TEXTS}/confirm", json={"lang": "es", "text_sha256": text["text_sha256"]}
    )


async def crisis_of(client: httpx.AsyncClient) -> dict[str, Any]:
    return dict((await client.get("/api/me")).json()["crisis"])


async def spanish_confirmed(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> tuple[httpx.AsyncClient, httpx.AsyncClient, httpx.AsyncClient]:
    """Patient A1 (New York) reads Spanish, and a clinician of their clinic confirmed the
    Spanish crisis text: the clinician's, the admin's and the patient's clients."""
    await speaks(db, world.patient_a1, "es-US")
    doctor = await make_client("doc@a.test")
    admin = await make_client("admin@a.test")
    patient = await make_client("p1@a.test")
    assert (await confirm(doctor, await spanish_text(doctor))).status_code == 200
    assert wholly_spanish(await crisis_of(patient))
    return doctor, admin, patient


async def test_a_clinics_confirmation_puts_its_spanish_patients_crisis_screen_wholly_in_spanish_and_not_another_clinics(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    await speaks(db, world.patient_a1, "es-US")  # clinic A, New York
    await speaks(db, world.patient_b1, "es-US")  # clinic B, New York
    doctor = await make_client("doc@a.test")
    ours = await make_client("p1@a.test")
    theirs = await make_client("p1@b.test")
    assert wholly_english(await crisis_of(ours))

    text = await spanish_text(doctor)
    assert (text["status"], text["countries"], text["confirmation"]) == (
        "awaiting",
        ["GB", "US"],
        None,
    )
    # Every line as patients read it, beside its English: the screen's own sentences, then
    # the list of each country the clinic's patients are in.
    by_key = {(line["key"], line["country"]): line for line in text["lines"]}
    assert by_key["crisis.title", None]["text"] == SPANISH["crisis.title"]
    assert by_key["crisis.us.veterans", "US"] == {
        "key": "crisis.us.veterans",
        "country": "US",
        "english": "Veterans Crisis Line: call 988, then press 1",
        "text": "Línea de Crisis para Veteranos: llame al 988 y luego marque 1",
        "source": by_key["crisis.us.veterans", "US"]["source"],
    }
    assert "veteranscrisisline.net" in by_key["crisis.us.veterans", "US"]["source"]
    assert by_key["crisis.emergency", "GB"]["text"] == "Peligro inmediato: llame al 999"
    assert {country for _, country in by_key} == {None, "US", "GB"}

    confirmed = await confirm(doctor, text)

    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "confirmed"
    assert confirmed.json()["confirmation"]["clinician_name"] == "Dr Synthetic A"
    assert confirmed.json()["confirmation"]["countries"] == ["GB", "US"]
    profile = await crisis_of(ours)
    safety = (await ours.post("/api/checkins", json=ITEM9, headers=checkin_key())).json()["safety"]
    for screen in (profile, safety):
        assert wholly_spanish(screen), every_word(screen)
        assert screen["title"] == SPANISH["crisis.title"]
        assert screen["resources"][0]["label"] == (
            "988 Línea de Prevención del Suicidio y Crisis: llamar"
        )
    assert wholly_english(await crisis_of(theirs))
    assert (await spanish_text(await make_client("doc@b.test")))["status"] == "awaiting"


async def test_a_change_to_the_text_after_confirmation_puts_the_screen_back_in_english_whole(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    doctor, admin, patient = await spanish_confirmed(make_client, world, db)

    # The admin writes the clinic's own list for the US, worded in Spanish too.
    settings = (await admin.get("/api/clinic/settings")).json()
    own = [
        {
            "label": {"en": "Clinic night line", "es": "Línea nocturna de la clínica"},
            "contact": "555 010 0100",
            "kind": "phone",
        },
        {
            "label": {"en": "Emergency: 911", "es": "Emergencias: 911"},
            "contact": "911",
            "kind": "emergency",
        },
    ]
    saved = await admin.put(
        "/api/clinic/settings", json={**settings, "crisis_resources": {"US": own}}
    )
    assert saved.status_code == 200, saved.text

    changed = await spanish_text(admin)
    screen = await crisis_of(patient)
    assert changed["status"] == "changed"
    assert changed["confirmation"]["clinician_name"] == "Dr Synthetic A"
    assert wholly_english(screen)
    assert [r["label"] for r in screen["resources"]] == ["Clinic night line", "Emergency: 911"]

    # Read again and confirmed, the clinic's own Spanish lines are what the patient reads.
    assert [line["text"] for line in changed["lines"] if line["country"] == "US"] == [
        "Línea nocturna de la clínica",
        "Emergencias: 911",
    ]
    assert (await confirm(doctor, changed)).status_code == 200
    screen = await crisis_of(patient)
    assert wholly_spanish(screen)
    assert [r["label"] for r in screen["resources"]] == [
        "Línea nocturna de la clínica",
        "Emergencias: 911",
    ]


async def test_a_text_that_changed_since_it_was_shown_is_not_confirmed(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    doctor = await make_client("doc@a.test")
    shown = await spanish_text(doctor)
    # Meanwhile a patient of a new country joins: the text now holds Mexico's list too.
    await speaks(db, world.patient_a1, "es-MX", country="MX")

    late = await confirm(doctor, shown)
    again = await spanish_text(doctor)

    assert late.status_code == 409, late.text
    assert "read it again" in late.json()["detail"]
    assert again["status"] == "awaiting"
    assert again["countries"] == ["GB", "MX"]
    assert (await confirm(doctor, again)).json()["status"] == "confirmed"
    assert wholly_spanish(await crisis_of(await make_client("p1@a.test")))


async def test_a_patient_of_a_country_the_clinician_did_not_read_sees_english(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    await speaks(db, world.patient_a1, "es-US")
    await speaks(db, world.patient_a2, "es-ES")  # London
    doctor = await make_client("doc@a.test")
    assert (await confirm(doctor, await spanish_text(doctor))).status_code == 200

    await speaks(db, world.patient_a2, "es-ES", country="ES")
    text = await spanish_text(doctor)

    assert (text["status"], text["uncovered"]) == ("partly", ["ES"])
    assert wholly_english(await crisis_of(await make_client("p2@a.test")))
    assert wholly_spanish(await crisis_of(await make_client("p1@a.test")))


async def test_a_withdrawn_confirmation_puts_the_screen_back_in_english(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    doctor, admin, patient = await spanish_confirmed(make_client, world, db)

    withdrawn = await admin.post(f"{TEXTS}/withdraw", json={"lang": "es"})
    again = await doctor.post(f"{TEXTS}/withdraw", json={"lang": "es"})

    assert withdrawn.status_code == 200, withdrawn.text
    assert (withdrawn.json()["status"], withdrawn.json()["confirmation"]) == ("awaiting", None)
    assert again.status_code == 200, again.text
    assert wholly_english(await crisis_of(patient))
    trail = (await admin.get("/api/audit", params={"action": "crisis_text.withdraw"})).json()
    assert [(row["actor_user_id"], row["detail"]) for row in trail] == [
        (world.admin_a.id, {"confirmed_by_id": world.clinician_a.id})
    ]


async def test_only_the_clinics_clinicians_confirm_and_each_confirmation_is_audited(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    await speaks(db, world.patient_a1, "es-US")
    doctor = await make_client("doc@a.test")
    text = await spanish_text(doctor)
    admin = await make_client("admin@a.test")
    patient = await make_client("p1@a.test")
    anonymous = await make_client()

    refused = {
        "admin": await confirm(admin, text),
        "patient": await confirm(patient, text),
        "anonymous": await confirm(anonymous, text),
    }
    patient_reads = await patient.get(TEXTS)

    assert {who: r.status_code for who, r in refused.items()} == {
        "admin": 403,
        "patient": 403,
        "anonymous": 401,
    }
    assert patient_reads.status_code == 403
    assert (await spanish_text(admin))["status"] == "awaiting"
    assert wholly_english(await crisis_of(patient))

    confirmed = await confirm(doctor, text)
    trail = (await admin.get("/api/audit", params={"action": "crisis_text.confirm"})).json()

    assert confirmed.status_code == 200
    assert [(row["actor_user_id"], row["actor_role"], row["target"]) for row in trail] == [
        (world.clinician_a.id, "clinician", f"crisis_text:es:{text['text_sha256']}")
    ]


async def test_a_confirmation_names_what_to_fix_when_it_cannot_be_taken(
    make_client: ClientFactory, world: World
) -> None:
    doctor = await make_client("doc@a.test")
    sha = (await spanish_text(doctor))["text_sha256"]

    answers = {
        "english": await doctor.post(f"{TEXTS}/confirm", json={"lang": "en", "text_sha256": sha}),
        "unknown": await doctor.post(f"{TEXTS}/confirm", json={"lang": "fr", "text_sha256": sha}),
        "not a fingerprint": await doctor.post(
            f"{TEXTS}/confirm", json={"lang": "es", "text_sha256": "yes"}
        ),
        "another text": await doctor.post(
            f"{TEXTS}/confirm", json={"lang": "es", "text_sha256": "0" * 64}
        ),
    }

    assert {name: a.status_code for name, a in answers.items()} == {
        "english": 400,
        "unknown": 400,
        "not a fingerprint": 400,
        "another text": 409,
    }
    assert answers["english"].json()["extra"][0]["key"] == "lang"
    assert "es" in answers["unknown"].json()["extra"][0]["message"]
    assert "text_sha256" in answers["not a fingerprint"].text


async def test_an_admin_saving_the_settings_neither_forges_nor_drops_a_confirmation(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    await speaks(db, world.patient_a1, "es-US")
    doctor = await make_client("doc@a.test")
    admin = await make_client("admin@a.test")
    text = await spanish_text(doctor)
    settings = (await admin.get("/api/clinic/settings")).json()
    forged = {
        "es": {
            "text_sha256": text["text_sha256"],
            "countries": text["countries"],
            "clinician_id": world.clinician_a.id,
            "clinician_name": "Dr Synthetic A",
            "confirmed_at": "2026-11-26T15:00:00Z",
        }
    }

    forging = await admin.put(
        "/api/clinic/settings", json={**settings, "crisis_confirmations": forged}
    )
    assert forging.status_code == 400, forging.text
    assert (await spanish_text(admin))["status"] == "awaiting"

    assert (await confirm(doctor, text)).status_code == 200
    saved = await admin.put(
        "/api/clinic/settings", json={**settings, "clinic_phone": "555 010 0199"}
    )

    assert saved.status_code == 200, saved.text
    assert "crisis_confirmations" not in saved.json()
    assert (await spanish_text(admin))["status"] == "confirmed"
    screen = await crisis_of(await make_client("p1@a.test"))
    assert wholly_spanish(screen)
    assert screen["clinic_phone"]["label"] == "Llame a su clínica: 555 010 0199"


async def test_choosing_a_language_keeps_the_line_for_the_country_the_phone_is_in(
    make_client: ClientFactory, world: World
) -> None:
    patient = await make_client("p2@a.test")  # Europe/London, phone in New York

    changed = await patient.put(
        "/api/me/language",
        json={"locale": "en-GB"},
        headers={"X-Time-Zone": "America/New_York"},
    )

    assert changed.status_code == 200, changed.text
    crisis = changed.json()["crisis"]
    assert (crisis["country"], crisis["here"]) == ("GB", "US")
    assert crisis["resources"][0] == {
        "label": "Where you are now: call 911 in an emergency",
        "contact": "911",
        "kind": "emergency",
    }
    assert crisis["not_emergency_care"].endswith("call 911 now.")
