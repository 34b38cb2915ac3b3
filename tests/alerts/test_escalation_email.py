"""Escalations that reach someone: by push where a clinician has a device, by email (a real SMTP
server on loopback) where not, and "not delivered" at the top of the inbox when nobody was reached.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.accounts.models import Clinic, User
from afterglow.alerts.email import FIRST_RETRY, PUSH_GRACE
from afterglow.alerts.models import EscalationEmail, SafetyAlert
from afterglow.checkins.models import CheckIn
from afterglow.mail import Mailer
from afterglow.settings import Settings
from afterglow.worker import ReminderTick
from conftest import Clock, World, add_device, add_urgent_alert
from fake_push_service import FakePushService
from fake_smtp_server import FakeSmtpServer

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
DUE = NOW + timedelta(hours=1, seconds=5)
PATIENT_NOTE = "Synthetic note: rough week after the move"

Ticks = Callable[[Clock], ReminderTick]


@pytest.fixture
def smtp() -> Iterator[FakeSmtpServer]:
    server = FakeSmtpServer().start()
    yield server
    server.stop()


def mailer_for(smtp: FakeSmtpServer, settings: Settings) -> Mailer:
    env = smtp.env()
    return Mailer(
        host=env["AFTERGLOW_SMTP_HOST"],
        port=int(env["AFTERGLOW_SMTP_PORT"]),
        sender=env["AFTERGLOW_SMTP_FROM"],
        public_url=settings.public_url,
        starttls=False,
        timeout_seconds=5,
    )


def emailing_tick(make_tick: Ticks, clock: Clock, mailer: Mailer) -> ReminderTick:
    tick = make_tick(clock)
    tick.mailer = mailer
    return tick


async def alert_id(db: AsyncSession) -> int:
    await db.commit()
    return int((await db.execute(select(col(SafetyAlert.id)))).scalars().one())


async def emails(db: AsyncSession) -> list[EscalationEmail]:
    await db.commit()
    rows = await db.execute(select(EscalationEmail).order_by(col(EscalationEmail.id)))
    return list(rows.scalars())


async def test_a_clinician_with_no_device_gets_the_escalation_by_email_with_nothing_of_the_patient(
    db: AsyncSession,
    world: World,
    push_service: FakePushService,
    smtp: FakeSmtpServer,
    make_tick: Ticks,
    make_client,
    settings: Settings,
):
    await add_device(db, push_service, world.clinician_a.id, "doc-a", NOW)
    await add_urgent_alert(db, world, NOW, NOW + timedelta(hours=1))
    await db.execute(update(CheckIn).values(note=PATIENT_NOTE))
    await db.commit()
    await emailing_tick(make_tick, Clock(DUE), mailer_for(smtp, settings))()
    alert = await alert_id(db)

    assert [r.device for r in push_service.received] == ["doc-a"]
    assert push_service.received[0].payload["url"] == f"/clinic/#/alerts/{alert}"
    [mail] = smtp.mails
    assert mail.recipients == ["doc2@a.test"]
    assert mail.message["From"] == "Afterglow <alerts@clinic.example>"
    assert "urgent" in mail.subject.lower()
    assert f"http://testserver.local/clinic/#/alerts/{alert}" in mail.body
    # Nothing of the patient: no name, no email, no score, no item-9 answer, no note.
    text = mail.raw.decode()
    for secret in ("Patient A1", "p1@a.test", PATIENT_NOTE, "rough week", "PHQ", "item 9"):
        assert secret.lower() not in text.lower(), secret
    assert "15" not in mail.subject + mail.body.replace(str(alert), "")

    clinician = await make_client("doc@a.test")
    shown = (await clinician.get(f"/api/alerts/{alert}")).json()
    assert shown["delivery"] == "delivered"
    assert [
        (e["recipient_name"], e["channel"], e["status"], e["reason"]) for e in shown["escalations"]
    ] == [
        ("Dr Synthetic A", "push", "sent", None),
        ("Dr Synthetic A2", "email", "sent", "no_device"),
    ]
    assert all(e["delivered_at"] for e in shown["escalations"])


async def test_one_refused_address_is_recorded_and_the_other_clinicians_still_get_theirs(
    db: AsyncSession, world: World, smtp: FakeSmtpServer, make_tick: Ticks, settings: Settings
):
    smtp.refuse("doc@a.test")
    await add_urgent_alert(db, world, NOW, NOW + timedelta(hours=1))
    await emailing_tick(make_tick, Clock(DUE), mailer_for(smtp, settings))()
    assert [m.recipients for m in smtp.mails] == [["doc2@a.test"]]
    by_user = {e.recipient_user_id: e for e in await emails(db)}
    assert by_user[world.clinician_a2.id or 0].status == "sent"
    refused = by_user[world.clinician_a.id or 0]
    assert refused.status == "failed" and "550" in (refused.last_error or "")


async def test_racing_instances_send_each_email_once(
    db: AsyncSession, world: World, smtp: FakeSmtpServer, make_tick: Ticks, settings: Settings
):
    await add_urgent_alert(db, world, NOW, NOW + timedelta(hours=1))
    await add_urgent_alert(db, world, NOW, NOW + timedelta(hours=1), patient=world.patient_a2)
    clock = Clock(DUE)
    mailer = mailer_for(smtp, settings)
    ticks = [emailing_tick(make_tick, clock, mailer) for _ in range(3)]
    await asyncio.gather(*(tick() for tick in ticks))
    await asyncio.gather(*(tick() for tick in ticks))
    # Two alerts, two clinicians without a device: four emails, each sent exactly once.
    assert sorted(m.to for m in smtp.mails) == ["doc2@a.test"] * 2 + ["doc@a.test"] * 2
    assert len({(m.to, m.body) for m in smtp.mails}) == 4
    assert [e.status for e in await emails(db)] == ["sent"] * 4


async def test_a_server_that_says_try_later_gets_the_email_again_until_it_takes_it(
    db: AsyncSession, world: World, smtp: FakeSmtpServer, make_tick: Ticks, settings: Settings
):
    smtp.defer("doc@a.test")
    await add_urgent_alert(db, world, NOW, NOW + timedelta(hours=1))
    clock = Clock(DUE)
    tick = emailing_tick(make_tick, clock, mailer_for(smtp, settings))
    await tick()
    assert smtp.to("doc@a.test") == []
    waiting = {e.recipient_user_id: e for e in await emails(db)}[world.clinician_a.id or 0]
    assert waiting.status == "queued" and "451" in (waiting.last_error or "")
    smtp.accept("doc@a.test")
    clock.set(DUE + FIRST_RETRY)
    await tick()
    assert len(smtp.to("doc@a.test")) == 1
    assert len(smtp.to("doc2@a.test")) == 1


async def test_an_alert_acknowledged_before_its_email_could_go_is_not_emailed(
    db: AsyncSession, world: World, smtp: FakeSmtpServer, make_tick: Ticks, settings: Settings
):
    smtp.defer("doc@a.test")
    smtp.defer("doc2@a.test")
    await add_urgent_alert(db, world, NOW, NOW + timedelta(hours=1))
    clock = Clock(DUE)
    tick = emailing_tick(make_tick, clock, mailer_for(smtp, settings))
    await tick()
    await db.execute(update(SafetyAlert).values(status="acknowledged", ack_note="Called."))
    await db.commit()
    smtp.accept("doc@a.test")
    smtp.accept("doc2@a.test")
    clock.set(DUE + FIRST_RETRY)
    await tick()
    assert smtp.mails == []
    assert [e.status for e in await emails(db)] == ["skipped", "skipped"]


async def test_a_push_that_does_not_get_through_is_followed_by_an_email(
    db: AsyncSession,
    world: World,
    push_service: FakePushService,
    smtp: FakeSmtpServer,
    make_tick: Ticks,
    settings: Settings,
):
    await add_device(db, push_service, world.clinician_a.id, "doc-a", NOW)
    await add_device(db, push_service, world.clinician_a2.id, "doc-a2", NOW)
    push_service.answer("doc-a", 410)  # unsubscribed: the push fails at once
    push_service.answer("doc-a2", *[503] * 20)  # the push service is down: retried for now
    clock = Clock(DUE)
    await add_urgent_alert(db, world, NOW, NOW + timedelta(hours=1))
    tick = emailing_tick(make_tick, clock, mailer_for(smtp, settings))
    await tick()
    assert [m.to for m in smtp.mails] == ["doc@a.test"]
    assert "could not be delivered" in smtp.mails[0].body
    clock.set(DUE + PUSH_GRACE)
    await tick()
    assert sorted(m.to for m in smtp.mails) == ["doc2@a.test", "doc@a.test"]
    assert {e.reason for e in await emails(db)} == {"push_failed"}


async def test_the_on_call_clinician_gets_an_email_as_well_as_the_push(
    db: AsyncSession,
    world: World,
    push_service: FakePushService,
    smtp: FakeSmtpServer,
    make_tick: Ticks,
    settings: Settings,
):
    await add_device(db, push_service, world.clinician_a.id, "doc-a", NOW)
    await add_device(db, push_service, world.clinician_a2.id, "doc-a2", NOW)
    await db.execute(
        update(Clinic)
        .where(col(Clinic.id) == world.clinic_a.id)
        .values(settings={"on_call_user_id": world.clinician_a2.id})
    )
    await db.commit()
    await add_urgent_alert(db, world, NOW, NOW + timedelta(hours=1))
    await emailing_tick(make_tick, Clock(DUE), mailer_for(smtp, settings))()
    assert sorted(r.device for r in push_service.received) == ["doc-a", "doc-a2"]
    assert [m.to for m in smtp.mails] == ["doc2@a.test"]
    assert "on-call" in smtp.mails[0].body


async def test_an_escalation_that_reached_nobody_shows_first_in_the_inbox_as_not_delivered(
    db: AsyncSession, world: World, make_tick: Ticks, make_client
):
    # Older and urgent, but not yet escalated: it would come first on age alone.
    await add_urgent_alert(
        db, world, NOW - timedelta(hours=3), NOW + timedelta(hours=5), patient=world.patient_a2
    )
    await add_urgent_alert(db, world, NOW, NOW + timedelta(hours=1))
    # No device anywhere, and this server has no email set up (the default mailer).
    await make_tick(Clock(DUE))()
    clinician = await make_client("doc@a.test")
    inbox = (await clinician.get("/api/alerts")).json()
    assert [(a["patient_name"], a["delivery"]) for a in inbox] == [
        ("Patient A1", "not_delivered"),
        ("Patient A2", None),
    ]
    history = inbox[0]["escalations"]
    assert {(e["recipient_name"], e["channel"], e["status"]) for e in history} == {
        ("Dr Synthetic A", "email", "failed"),
        ("Dr Synthetic A2", "email", "failed"),
    }
    assert all("AFTERGLOW_SMTP_HOST" in e["error"] for e in history)


async def test_an_escalation_in_a_clinic_with_no_clinician_is_not_delivered(
    db: AsyncSession, world: World, make_tick: Ticks, make_client
):
    await add_urgent_alert(db, world, NOW, NOW + timedelta(hours=1), patient=world.patient_b1)
    await db.execute(update(SafetyAlert).values(escalate_at=NOW))
    await db.commit()
    await db.execute(
        update(User).where(col(User.id) == world.clinician_b.id).values(is_active=False)
    )
    await db.commit()
    await make_tick(Clock(DUE))()
    await db.execute(
        update(User).where(col(User.id) == world.clinician_b.id).values(is_active=True)
    )
    await db.commit()
    inbox = (await (await make_client("doc@b.test")).get("/api/alerts")).json()
    assert [(a["delivery"], a["escalations"]) for a in inbox] == [("not_delivered", [])]
