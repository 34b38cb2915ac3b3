"""What a push service's answer means for the message and the device (pure rules)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from afterglow.push.delivery import DeviceResult, Outcome, outcome_of, retry_after_seconds
from afterglow.push.outbox import judge_delivery

NOW = datetime(2026, 11, 26, 20, 0, tzinfo=UTC)
END_OF_DAY = datetime(2026, 11, 27, 5, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (201, Outcome.DELIVERED),
        (202, Outcome.DELIVERED),
        (404, Outcome.GONE),
        (410, Outcome.GONE),
        (429, Outcome.RATE_LIMITED),
        (500, Outcome.RETRY),
        (502, Outcome.RETRY),
        (503, Outcome.RETRY),
        (400, Outcome.REJECTED),
        (403, Outcome.REJECTED),
        (413, Outcome.REJECTED),
    ],
)
def test_each_push_service_status_has_one_meaning(status: int, outcome: Outcome) -> None:
    assert outcome_of(status) is outcome


def test_retry_after_is_read_as_seconds_or_as_a_date() -> None:
    assert retry_after_seconds("120", NOW) == 120
    assert retry_after_seconds("Thu, 26 Nov 2026 20:05:00 GMT", NOW) == 300
    assert retry_after_seconds("soon", NOW) is None
    assert retry_after_seconds(None, NOW) is None


def result(
    outcome: Outcome, status: int | None = None, retry_after: float | None = None
) -> DeviceResult:
    return DeviceResult(1, outcome, status, retry_after)


def test_one_device_taking_it_is_enough() -> None:
    verdict = judge_delivery(
        [result(Outcome.RETRY, 503), result(Outcome.DELIVERED, 201)],
        attempts=1,
        now=NOW,
        expires_at=END_OF_DAY,
    )
    assert (verdict.status, verdict.sent_at, verdict.last_status) == ("sent", NOW, 201)


def test_retries_back_off_from_thirty_seconds_to_at_most_thirty_minutes() -> None:
    waits = [
        judge_delivery(
            [result(Outcome.RETRY, 503)], attempts=n, now=NOW, expires_at=END_OF_DAY
        ).next_attempt_at
        - NOW
        for n in (1, 2, 3, 8, 20)
    ]
    assert waits == [
        timedelta(seconds=30),
        timedelta(seconds=60),
        timedelta(seconds=120),
        timedelta(minutes=30),
        timedelta(minutes=30),
    ]


def test_a_push_service_asking_to_wait_longer_is_obeyed() -> None:
    verdict = judge_delivery(
        [result(Outcome.RATE_LIMITED, 429, retry_after=900)],
        attempts=1,
        now=NOW,
        expires_at=END_OF_DAY,
    )
    assert (verdict.status, verdict.next_attempt_at) == ("queued", NOW + timedelta(seconds=900))


def test_a_retry_that_would_come_too_late_expires_the_message() -> None:
    verdict = judge_delivery(
        [result(Outcome.RETRY, 503)], attempts=1, now=NOW, expires_at=NOW + timedelta(seconds=80)
    )
    assert (verdict.status, verdict.last_status) == ("expired", 503)


def test_gone_or_refused_everywhere_fails_without_retrying() -> None:
    gone = judge_delivery([result(Outcome.GONE, 410)], attempts=1, now=NOW, expires_at=END_OF_DAY)
    refused = judge_delivery(
        [result(Outcome.GONE, 404), result(Outcome.REJECTED, 403)],
        attempts=1,
        now=NOW,
        expires_at=END_OF_DAY,
    )
    nobody = judge_delivery([], attempts=1, now=NOW, expires_at=END_OF_DAY)
    assert (gone.status, gone.last_error) == ("failed", "every device unsubscribed")
    assert (refused.status, refused.last_status) == ("failed", 403)
    assert (nobody.status, nobody.last_error) == ("failed", "no device with notifications on")


def test_a_message_whose_day_ended_before_any_tick_could_send_it_expires_unsent() -> None:
    verdict = judge_delivery(None, attempts=1, now=END_OF_DAY, expires_at=END_OF_DAY)
    assert (verdict.status, verdict.sent_at) == ("expired", None)
