"""A synthetic patient's year of treatment for the timeline's browser tests: an IV induction
course, boosters (scheduled and symptom-triggered, IV and intranasal), daily mood, weekly PHQ-9
and GAD-7, a medication change, one PHQ-9 with item 9 answered 1."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any


def a_year_of_treatment(now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    start = now - timedelta(days=365)

    def at(day: float) -> str:
        return (start + timedelta(days=day)).isoformat()

    infusions: list[dict[str, Any]] = [
        {"given_at": at(d + 0.6), "route": "iv", "kind": "induction", "dose_mg_per_kg": 0.5}
        for d in (14, 17, 21, 24, 28, 31)
    ]
    boosters = [
        (62, "iv", "scheduled_booster"),
        (95, "iv", "symptom_triggered_booster"),
        (130, "intranasal", "scheduled_booster"),
        (168, "iv", "symptom_triggered_booster"),
        (205, "iv", "scheduled_booster"),
        (240, "im", "symptom_triggered_booster"),
        (280, "iv", "scheduled_booster"),
        (318, "iv", "symptom_triggered_booster"),
        (350, "iv", "scheduled_booster"),
    ]
    for day, route, kind in boosters:
        dose: dict[str, float] = (
            {"dose_mg": 56.0} if route == "intranasal" else {"dose_mg_per_kg": 0.5}
        )
        infusions.append({"given_at": at(day + 0.6), "route": route, "kind": kind, **dose})
    treated = [31.6] + [d + 0.6 for d, _, _ in boosters]

    def level(day: float) -> float:
        """The underlying PHQ-9: 20 before treatment, 5 after each treatment, rising from day 14."""
        if day < 14:
            return 20.0
        since = min((day - t for t in treated if t <= day), default=day - 14)
        return 5.0 + max(0.0, min(11.0, (since - 12) * 0.7))

    def answers(total: int, item9: int = 0) -> list[int]:
        rest = max(0, total - item9)
        items = [min(3, rest // 8 + (1 if i < rest % 8 else 0)) for i in range(8)]
        return [*items, item9, 1]

    checkins: list[dict[str, Any]] = []
    for day in range(1, 365):
        score = level(day)
        mood = max(0, min(10, round(10 - score * 0.4 + math.sin(day) * 0.8)))
        checkins.append({"instrument": "mood", "answers": [mood], "taken_at": at(day + 0.9)})
        if day % 7 == 3 or day in (12, 13):
            total = max(0, min(24, round(score + math.sin(day * 3) * 1.5)))
            item9 = 1 if day == 227 else 0
            checkins.append(
                {"instrument": "phq9", "answers": answers(total, item9), "taken_at": at(day + 0.8)}
            )
            gad = max(0, min(21, round(score * 0.75)))
            gad_answers = [min(3, gad // 7 + (1 if i < gad % 7 else 0)) for i in range(7)]
            checkins.append(
                {"instrument": "gad7", "answers": gad_answers, "taken_at": at(day + 0.81)}
            )
    for day in range(362, 365):  # the PHQ-9 of the last days, item 9 answered 1
        if day == 363:
            checkins.append(
                {"instrument": "phq9", "answers": answers(8, 1), "taken_at": at(day + 0.2)}
            )
    return {
        "infusions": infusions,
        "checkins": [c for c in checkins if c["taken_at"] < now.isoformat()],
        "events": [{"kind": "medication_change", "at": at(150.5), "notes": "Sertraline 50 mg"}],
    }
