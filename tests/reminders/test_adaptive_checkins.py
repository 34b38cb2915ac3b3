"""Adaptive check-ins in virtual time: the extra PHQ-9s a patient is asked when relief may be
changing, through the real API and the real tick, across daylight-saving changes.

The app and the tick share one settable clock; `VirtualClinic.until` moves it from one reminder
to the next, ticking at each as the worker would, and records what reached the patient's phone
(decrypted by the loopback push service) and when, in New York time.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.clock import SetClock
from afterglow.relief import InfusionFact, Phq9Fact, ReliefThresholds, relief_episodes
from afterglow.relief.episodes import confirmation_due
from afterglow.relief.models import PatientSummary
from afterglow.reminders.adaptive import nadir_prompt_at
from afterglow.reminders.models import ReminderPlan
from afterglow.reminders.schedule import CheckinStamp, InfusionAnchor, ReminderSchedule
from afterglow.worker import ReminderTick
from conftest import ClientFactory, World, add_device
from fake_push_service import FakePushService

NEW_YORK = ZoneInfo("America/New_York")
ADAPTIVE = {"waning_phq9", "confirm_phq9", "nadir_phq9"}
# Daily mood at 20:00, the PHQ-9 on Sunday evenings, nothing tied to infusions: the regular
# schedule is plain, so every extra prompt stands out.
SCHEDULE: dict[str, Any] = {
    "daily_mood_at": "20:00",
    "weekly_phq9": {"weekday": 6, "at": "19:00"},
    "weekly_gad7": None,
    "quiet_start": "21:30",
    "quiet_end": "08:00",
    "infusion_nudges": False,
}


def ny(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=NEW_YORK)  # type: ignore[misc]


def phq9(score: int) -> list[int]:
    """PHQ-9 answers adding up to `score`, item 9 at 0, then the difficulty item."""
    return [min(3, max(0, score - 3 * item)) for item in range(8)] + [0, 1]


@dataclass
class VirtualClinic:
    db: AsyncSession
    clock: SetClock
    tick: ReminderTick
    push: FakePushService
    make_client: ClientFactory
    patient: httpx.AsyncClient
    patient_id: int
    # (New York wall time, reminder kind) of every notification the phone received.
    received: list[tuple[datetime, str]] = field(default_factory=list)

    async def until(self, moment: datetime) -> None:
        """Tick at each reminder due up to `moment`, then stand at `moment`."""
        for _ in range(1000):
            await self.db.commit()
            due = await self.db.scalar(select(func.min(col(ReminderPlan.next_fire_at))))
            if due is None or due > moment:
                break
            self.clock.set(max(due, self.clock.now()))
            seen = len(self.push.received)
            await self.tick()
            for message in self.push.received[seen:]:
                self.received.append(
                    (self.clock.now().astimezone(NEW_YORK), message.payload["kind"])
                )
        self.clock.set(moment)

    async def checkin(self, at: datetime, instrument: str, answers: list[int]) -> None:
        await self.until(at)
        response = await self.patient.post(
            "/api/checkins",
            json={"instrument": instrument, "answers": answers},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert response.status_code == 201, response.text

    async def infusion(self, at: datetime, kind: str) -> None:
        await self.until(at)
        # Staff sessions last a shift: the clinician signs in at the visit.
        clinician = await self.make_client("doc@a.test")
        response = await clinician.post(
            f"/api/patients/{self.patient_id}/infusions",
            json={"given_at": at.isoformat(), "route": "iv", "kind": kind},
        )
        assert response.status_code == 201, response.text

    def kinds(self, since: datetime | None = None) -> list[str]:
        return [kind for at, kind in self.received if since is None or at >= since]

    def times(self, kind: str, since: datetime) -> list[datetime]:
        return [at for at, sent in self.received if sent == kind and at >= since]

    def extra(self) -> list[tuple[datetime, str]]:
        return [(at, kind) for at, kind in self.received if kind in ADAPTIVE]


OpenClinic = Callable[[datetime], Awaitable[VirtualClinic]]


@pytest.fixture
def open_clinic(
    db: AsyncSession,
    world: World,
    app_clock: SetClock,
    push_service: FakePushService,
    make_tick: Callable[..., ReminderTick],
    make_client: ClientFactory,
) -> OpenClinic:
    """Patient A1 of clinic A (New York) from `start` on, with a phone that takes notifications."""

    async def open_at(start: datetime) -> VirtualClinic:
        app_clock.set(start)
        patient = await make_client("p1@a.test")
        response = await patient.put("/api/me/reminders", json=SCHEDULE)
        assert response.status_code == 200, response.text
        await add_device(db, push_service, world.patient_a1.user_id, "phone", start)
        tick = make_tick(app_clock.now)
        patient_id = world.patient_a1.id or 0
        return VirtualClinic(db, app_clock, tick, push_service, make_client, patient, patient_id)

    return open_at


@pytest.fixture
async def clinic(open_clinic: OpenClinic) -> VirtualClinic:
    return await open_clinic(ny(2026, 10, 19, 8, 0))


async def responding_since_october(clinic: VirtualClinic) -> None:
    """Baseline PHQ-9 of 20, an induction on Monday 19 October, relief down to 6 by Thursday."""
    await clinic.checkin(ny(2026, 10, 19, 9, 0), "phq9", phq9(20))
    await clinic.infusion(ny(2026, 10, 19, 10, 0), "induction")
    await clinic.checkin(ny(2026, 10, 22, 20, 30), "phq9", phq9(6))


async def falling_mood_from_the_28th(clinic: VirtualClinic) -> None:
    """Mood 8 every evening from 20 October, 4 from the 28th; the weekly PHQ-9 of the 25th is 7.
    The 3-day mean is 4 points below its peak on the 30th: relief is waning."""
    for day in range(20, 31):
        if day == 25:
            await clinic.checkin(ny(2026, 10, 25, 19, 5), "phq9", phq9(7))
        await clinic.checkin(ny(2026, 10, day, 20, 5), "mood", [8 if day < 28 else 4])


async def relief_status(clinic: VirtualClinic) -> str:
    await clinic.db.commit()
    status = await clinic.db.scalar(
        select(col(PatientSummary.relief_status)).where(
            col(PatientSummary.patient_id) == clinic.patient_id
        )
    )
    return str(status)


async def set_clinic_settings(clinic: VirtualClinic, **changes: Any) -> None:
    admin = await clinic.make_client("admin@a.test")
    settings = (await admin.get("/api/clinic/settings")).json()
    response = await admin.put("/api/clinic/settings", json={**settings, **changes})
    assert response.status_code == 200, response.text


async def test_a_qualifying_phq9_is_confirmed_on_the_day_it_becomes_due_not_at_the_weekly_slot(
    clinic: VirtualClinic,
) -> None:
    await responding_since_october(clinic)
    await clinic.checkin(ny(2026, 10, 25, 19, 5), "phq9", phq9(7))
    # Friday evening: 14, more than half the baseline and 8 above the nadir. It awaits a PHQ-9
    # at least 3 days later: Monday 19:30 once the clocks have gone back on Sunday.
    friday = ny(2026, 10, 30, 20, 30)
    await clinic.checkin(friday, "phq9", phq9(14))
    assert await relief_status(clinic) == "waning"

    await clinic.until(ny(2026, 10, 31, 12, 0))
    shown = (await clinic.patient.get("/api/me/reminders")).json()["extra_checkins"]
    assert shown["on_at_clinic"] is True
    assert shown["asking"]["kind"] == "confirm_phq9"
    await clinic.until(ny(2026, 11, 2, 20, 30))

    # Monday at the usual check-in time; no waning prompt although relief shows waning, and
    # Sunday's weekly PHQ-9 is not sent: Friday's stands in for it (and would be too early).
    assert clinic.extra() == [(ny(2026, 11, 2, 20, 0), "confirm_phq9")]
    assert "weekly_phq9" not in clinic.kinds(since=friday)
    shown = (await clinic.patient.get("/api/me/reminders")).json()["extra_checkins"]
    assert shown["asking"]["kind"] == "confirm_phq9"
    assert datetime.fromisoformat(shown["asking"]["fire_at"]) == ny(2026, 11, 2, 20, 0)

    await clinic.checkin(ny(2026, 11, 2, 20, 40), "phq9", phq9(15))
    assert await relief_status(clinic) == "relapsed"
    shown = (await clinic.patient.get("/api/me/reminders")).json()["extra_checkins"]
    assert shown["asking"] is None


async def test_falling_mood_asks_one_extra_phq9_at_once_then_its_confirmation_and_not_again(
    clinic: VirtualClinic,
) -> None:
    await responding_since_october(clinic)
    await falling_mood_from_the_28th(clinic)
    assert await relief_status(clinic) == "waning"

    # The mood that showed it came at 20:05 on Friday: the extra PHQ-9 comes with it, before
    # quiet hours.
    await clinic.until(ny(2026, 10, 30, 20, 10))
    assert clinic.extra() == [(ny(2026, 10, 30, 20, 5), "waning_phq9")]
    await clinic.checkin(ny(2026, 10, 30, 20, 20), "phq9", phq9(14))
    await clinic.checkin(ny(2026, 10, 31, 20, 5), "mood", [4])
    for day in (1, 2, 3):
        await clinic.checkin(ny(2026, 11, day, 20, 5), "mood", [4])
    await clinic.until(ny(2026, 11, 4, 12, 0))

    # Due 72 hours later, Monday 19:20 in winter time: asked at 20:00 that day, and mood still
    # low meanwhile brings no second waning prompt.
    assert clinic.extra() == [
        (ny(2026, 10, 30, 20, 5), "waning_phq9"),
        (ny(2026, 11, 2, 20, 0), "confirm_phq9"),
    ]


async def test_a_booster_whose_weekly_phq9_falls_outside_the_nadir_window_gets_one_inside_it(
    open_clinic: OpenClinic,
) -> None:
    clinic = await open_clinic(ny(2027, 3, 9, 8, 0))
    await set_clinic_settings(clinic, relief={"nadir_window_days": 7})
    # Thursday 11 March 2027: a PHQ-9 at the visit, then the booster. Sunday's weekly PHQ-9
    # (day 3) is answered by the visit's; the next Sunday is day 10, after the window closes
    # on Thursday 18 at 11:00 (summer time from the 14th).
    await clinic.checkin(ny(2027, 3, 11, 9, 30), "phq9", phq9(9))
    await clinic.infusion(ny(2027, 3, 11, 10, 0), "scheduled_booster")
    await clinic.until(ny(2027, 3, 22, 12, 0))

    assert clinic.extra() == [(ny(2027, 3, 17, 20, 0), "nadir_phq9")]
    assert clinic.times("weekly_phq9", since=ny(2027, 3, 11)) == [ny(2027, 3, 21, 19, 0)]


async def test_a_booster_whose_weekly_phq9_went_unanswered_gets_one_more_chance_in_the_window(
    open_clinic: OpenClinic,
) -> None:
    clinic = await open_clinic(ny(2026, 10, 27, 8, 0))
    await clinic.checkin(ny(2026, 10, 29, 9, 30), "phq9", phq9(9))
    await clinic.infusion(ny(2026, 10, 29, 10, 0), "symptom_triggered_booster")
    await clinic.until(ny(2026, 11, 14, 12, 0))

    # Sunday 1 November is answered by the visit's PHQ-9; Sunday 8 (day 10) goes unanswered;
    # Monday 9 at 20:00 is still inside the 14-day window.
    assert clinic.times("weekly_phq9", since=ny(2026, 10, 29)) == [ny(2026, 11, 8, 19, 0)]
    assert clinic.extra() == [(ny(2026, 11, 9, 20, 0), "nadir_phq9")]


async def test_a_patient_whose_relief_holds_is_asked_nothing_extra(clinic: VirtualClinic) -> None:
    await responding_since_october(clinic)
    for day in range(20, 28):
        if day == 25:
            await clinic.checkin(ny(2026, 10, 25, 19, 5), "phq9", phq9(6))
        await clinic.checkin(ny(2026, 10, day, 20, 5), "mood", [7 + day % 2])
    await clinic.infusion(ny(2026, 10, 28, 10, 0), "scheduled_booster")
    for day in range(28, 32):
        await clinic.checkin(ny(2026, 10, day, 20, 5), "mood", [7 + day % 2])
    await clinic.checkin(ny(2026, 11, 1, 19, 5), "phq9", phq9(5))
    await clinic.until(ny(2026, 11, 16, 12, 0))

    assert await relief_status(clinic) == "holding"
    assert clinic.extra() == []
    assert clinic.kinds().count("weekly_phq9") >= 2


async def test_a_patient_who_snoozes_extra_checkins_gets_no_extra_prompt_that_week(
    clinic: VirtualClinic,
) -> None:
    await responding_since_october(clinic)
    await clinic.checkin(ny(2026, 10, 25, 19, 5), "phq9", phq9(7))
    await clinic.checkin(ny(2026, 10, 30, 20, 30), "phq9", phq9(14))
    snoozed = await clinic.patient.post("/api/me/reminders/snooze")
    assert snoozed.status_code == 200, snoozed.text
    shown = snoozed.json()["extra_checkins"]
    # A week is 7 x 24 hours: 19:30 in winter time.
    assert datetime.fromisoformat(shown["snoozed_until"]) == ny(2026, 11, 6, 19, 30)
    assert shown["asking"] is None

    await clinic.until(ny(2026, 11, 6, 12, 0))

    assert clinic.extra() == []
    assert clinic.kinds(since=ny(2026, 10, 31)).count("daily_mood") == 6
    resumed = await clinic.patient.delete("/api/me/reminders/snooze")
    assert resumed.status_code == 200
    assert resumed.json()["extra_checkins"]["snoozed_until"] is None


async def test_a_clinic_that_switches_adaptive_checkins_off_gets_only_the_weekly_phq9(
    clinic: VirtualClinic,
) -> None:
    await set_clinic_settings(clinic, adaptive_checkins=False)
    await responding_since_october(clinic)
    await falling_mood_from_the_28th(clinic)
    await clinic.checkin(ny(2026, 10, 31, 10, 0), "phq9", phq9(14))
    await clinic.until(ny(2026, 11, 9, 12, 0))

    assert clinic.extra() == []
    # Sunday 1 November is answered by Saturday's PHQ-9; the next one asked is the weekly.
    assert clinic.times("weekly_phq9", since=ny(2026, 10, 31)) == [ny(2026, 11, 8, 19, 0)]
    shown = (await clinic.patient.get("/api/me/reminders")).json()["extra_checkins"]
    assert shown == {"on_at_clinic": False, "snoozed_until": None, "asking": None}


# The rule for the first PHQ-9 after a booster, on its own (pure).

BOOSTER = InfusionAnchor(1, ny(2026, 10, 29, 10, 0))
WEEKLY_ONLY = ReminderSchedule(
    timezone="America/New_York",
    weekly_phq9=(6, ny(2026, 1, 1, 19, 0).time()),
    infusion_nudges=False,
)


def test_no_first_phq9_prompt_once_a_phq9_came_in_after_the_booster() -> None:
    answered = [CheckinStamp("phq9", ny(2026, 11, 8, 19, 30))]

    assert nadir_prompt_at(WEEKLY_ONLY, BOOSTER, timedelta(days=14), [BOOSTER], answered) is None


def test_with_no_weekly_phq9_the_first_one_after_a_booster_is_asked_on_day_7() -> None:
    no_weekly = ReminderSchedule(timezone="America/New_York", infusion_nudges=False)

    at = nadir_prompt_at(no_weekly, BOOSTER, timedelta(days=14), [BOOSTER], [])

    assert at == ny(2026, 11, 5, 20, 0)


def test_the_day_7_phq9_of_infusion_nudges_counts_as_a_regular_one() -> None:
    nudges = ReminderSchedule(timezone="America/New_York", infusion_nudges=True)

    at = nadir_prompt_at(nudges, BOOSTER, timedelta(days=14), [BOOSTER], [])

    # Day 7 (Thursday 5) is the nudge's; unanswered, the prompt is the day after.
    assert at == ny(2026, 11, 6, 20, 0)


def test_the_confirming_phq9_is_due_three_days_after_the_qualifying_one_until_it_comes() -> None:
    # Stored times are UTC (arithmetic between two times of one zone would be wall-clock).
    def utc(*parts: int) -> datetime:
        return ny(*parts).astimezone(UTC)

    infusion = InfusionFact(1, utc(2026, 10, 19, 10, 0), "iv", "induction")
    scores = [
        Phq9Fact(1, utc(2026, 10, 19, 9, 0), 20, 0),
        Phq9Fact(2, utc(2026, 10, 22, 20, 30), 6, 0),
        Phq9Fact(3, utc(2026, 10, 30, 20, 30), 14, 0),
    ]
    limits = ReliefThresholds()

    def due(taken: list[Phq9Fact], now: datetime) -> datetime | None:
        [episode] = relief_episodes([infusion], taken, [], now, limits)
        return confirmation_due(episode, limits)

    # 72 hours after Friday 20:30 (summer time) is Monday 19:30 (winter time).
    assert due(scores, ny(2026, 10, 31, 9, 0)) == ny(2026, 11, 2, 19, 30)
    # A PHQ-9 in between repeats the same recall window: still awaited.
    between = [*scores, Phq9Fact(4, utc(2026, 11, 1, 10, 0), 15, 0)]
    assert due(between, ny(2026, 11, 1, 12, 0)) == ny(2026, 11, 2, 19, 30)
    # Refuted (or confirmed): nothing awaits.
    refuted = [*scores, Phq9Fact(5, utc(2026, 11, 2, 20, 10), 7, 0)]
    assert due(refuted, ny(2026, 11, 2, 21, 0)) is None
    assert due(scores[:2], ny(2026, 10, 31, 9, 0)) is None
