"""The patient's language over HTTP: the instruments a patient is served, the language they
choose in the app, and the reminder pushes that follow it (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.accounts.models import Patient
from afterglow.instruments.registry import REGISTRY, SPITZER_ATTRIBUTION
from afterglow.reminders.schemas import ReminderSettingsIn
from afterglow.reminders.service import change_reminder_settings
from afterglow.worker import ReminderTick
from conftest import ClientFactory, Clock, World, add_device
from fake_push_service import FakePushService

NEW_YORK = ZoneInfo("America/New_York")
NOON = datetime(2026, 11, 26, 12, 0, tzinfo=NEW_YORK)
SPANISH_STEM = (
    "Durante las últimas 2 semanas, ¿qué tan seguido ha tenido molestias debido a los "
    "siguientes problemas?"
)


def by_id(instruments: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    return {str(i["id"]): i for i in instruments}


async def speaks(db: AsyncSession, patient: Patient, locale: str) -> None:
    await db.execute(update(Patient).where(col(Patient.id) == patient.id).values(locale=locale))
    await db.commit()


async def test_a_spanish_patient_is_served_the_published_spanish_phq9_and_an_english_patient_english(
    db: AsyncSession, world: World, make_client: ClientFactory
) -> None:
    await speaks(db, world.patient_a1, "es-MX")
    spanish = await make_client("p1@a.test")
    english = await make_client("p2@a.test")

    served = by_id((await spanish.get("/api/instruments")).json())
    phq9 = served["phq9"]
    assert (phq9["lang"], phq9["requested_lang"]) == ("es", "es")
    assert (phq9["wording_origin"], phq9["review"]) == ("published", "awaiting_clinician")
    assert phq9["stem"] == SPANISH_STEM
    assert phq9["items"][0]["options"][0]["label"] == "Ningún día"
    assert phq9["attribution"] == SPITZER_ATTRIBUTION
    assert phq9["attribution_lang"] == "en"
    assert [b["label"] for b in phq9["bands"]][:2] == ["Mínimo", "Leve"]
    assert served["mood"]["stem"] == "¿Cómo está su ánimo hoy?"
    assert [o["label"] for o in served["mood"]["items"][0]["options"]][::10] == [
        "El peor",
        "El mejor",
    ]

    english_phq9 = by_id((await english.get("/api/instruments")).json())["phq9"]
    assert english_phq9["lang"] == "en"
    assert english_phq9["stem"] == REGISTRY["phq9"].stem
    assert english_phq9["items"][0]["options"][0]["label"] == "Not at all"


async def test_the_app_can_ask_for_a_language_and_is_answered_in_it_whoever_is_signed_in(
    client, make_client: ClientFactory, world: World
) -> None:
    anonymous = by_id((await client.get("/api/instruments", params={"lang": "es-US"})).json())
    assert anonymous["phq9"]["stem"] == SPANISH_STEM
    assert by_id((await client.get("/api/instruments")).json())["phq9"]["lang"] == "en"
    refused = await client.get("/api/instruments", params={"lang": "spanish"})
    assert refused.status_code == 400
    assert "lang" in refused.text


async def test_a_spanish_patient_is_served_the_published_spanish_gad7_with_spanish_band_names(
    db: AsyncSession, world: World, make_client: ClientFactory
) -> None:
    await speaks(db, world.patient_a1, "es-US")
    spanish = await make_client("p1@a.test")
    gad7 = by_id((await spanish.get("/api/instruments")).json())["gad7"]
    assert (gad7["lang"], gad7["requested_lang"]) == ("es", "es")
    assert (gad7["wording_origin"], gad7["review"]) == ("published", "awaiting_clinician")
    assert gad7["name"] == "GAD-7 (ansiedad)"
    assert gad7["stem"] == SPANISH_STEM
    assert gad7["items"][1]["text"] == "No ha sido capaz de parar o controlar su preocupación"
    assert {o["label"] for i in gad7["items"] for o in i["options"]} == {
        "Ningún día",
        "Varios días",
        "Más de la mitad de los días",
        "Casi todos los días",
    }
    english = REGISTRY["gad7"]
    assert [(i["id"], i["loinc"]) for i in gad7["items"]] == [
        (i.id, i.loinc) for i in english.items
    ]
    assert (gad7["attribution"], gad7["attribution_lang"]) == (SPITZER_ATTRIBUTION, "en")
    assert [b["label"] for b in gad7["bands"]][:2] == ["Mínimo", "Leve"]

    asked = by_id((await spanish.get("/api/instruments", params={"lang": "es-US"})).json())
    assert asked["gad7"] == gad7


async def test_a_language_without_any_wording_gets_every_instrument_in_english_whole(
    client,
) -> None:
    french = (await client.get("/api/instruments", params={"lang": "fr-CA"})).json()
    assert {(i["lang"], i["requested_lang"]) for i in french} == {("en", "fr")}
    assert [i["stem"] for i in french] == [i.stem for i in REGISTRY.values()]


async def test_the_clinic_sees_which_wordings_await_a_clinicians_confirmation_and_their_sources(
    client,
) -> None:
    wordings = (await client.get("/api/instruments/wordings")).json()
    waiting = [w for w in wordings if w["review"] == "awaiting_clinician"]
    assert [(w["instrument"], w["lang"], w["status"]) for w in waiting] == [
        ("phq9", "es", "published"),
        ("gad7", "es", "published"),
    ]
    phq9, gad7 = (w["sources"] for w in waiting)
    assert any("studenta.com" in s["where"] for s in phq9)
    assert any("Tamathe/Patient-Facing-App" in s["where"] for s in gad7)
    assert any("camilojerez35-ux/mindbridge" in s["where"] for s in gad7)
    for sources in (phq9, gad7):
        assert len(sources) >= 2
        assert all(s["covers"] for s in sources)
    # No instrument is shown to Spanish speakers in English any more.
    assert [w for w in wordings if w["status"] == "english"] == []


async def test_a_patient_who_chooses_spanish_in_the_app_is_reminded_in_spanish_and_back(
    db: AsyncSession,
    world: World,
    make_client: ClientFactory,
    push_service: FakePushService,
    make_tick: Callable[[Clock], ReminderTick],
) -> None:
    patient = world.patient_a1
    settings = ReminderSettingsIn(
        daily_mood_at="20:00", weekly_phq9=None, weekly_gad7=None, infusion_nudges=False
    )
    await change_reminder_settings(db, patient, settings, NOON)
    await db.commit()
    await add_device(db, push_service, patient.user_id, "phone", NOON)
    app = await make_client("p1@a.test")

    chosen = await app.put("/api/me/language", json={"locale": "es-US"})
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["locale"] == "es-US"
    assert (await app.get("/api/me")).json()["locale"] == "es-US"
    clock = Clock(datetime(2026, 11, 26, 20, 1, tzinfo=NEW_YORK))
    tick = make_tick(clock)
    await tick()
    [first] = push_service.payloads()
    assert (first["lang"], first["title"]) == ("es", "¿Cómo está su ánimo hoy?")

    assert (await app.put("/api/me/language", json={"locale": "en-US"})).status_code == 200
    clock.set(datetime(2026, 11, 27, 20, 1, tzinfo=NEW_YORK).astimezone(UTC))
    await tick()
    second = push_service.payloads()[-1]
    assert second["lang"] == "en"
    assert second["title"] != first["title"]


async def test_a_patient_cannot_choose_a_language_the_app_does_not_speak_and_staff_cannot_choose_here(
    world: World, make_client: ClientFactory
) -> None:
    app = await make_client("p1@a.test")
    refused = await app.put("/api/me/language", json={"locale": "fr-CA"})
    assert refused.status_code == 400
    assert "choose one of them" in refused.text
    assert "locale" in refused.text
    malformed = await app.put("/api/me/language", json={"locale": "Spanish"})
    assert malformed.status_code == 400
    assert (await app.get("/api/me")).json()["locale"] == "en-US"
    clinician = await make_client("doc@a.test")
    assert (await clinician.put("/api/me/language", json={"locale": "es"})).status_code == 403
