"""A correction or an entry marked entered in error changes the patient's relief episodes and
outlook on the very next read: no stale episode survives a fixed record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.audit.models import AuditEvent
from conftest import ClientFactory, World

NOW = datetime.now(UTC).replace(microsecond=0)


def day(n: float) -> str:
    return (NOW + timedelta(days=n)).isoformat()


def phq9(total: int, when: str) -> dict[str, Any]:
    answers = [3] * (total // 3) + ([total % 3] if total % 3 else [])
    return {"instrument": "phq9", "answers": answers + [0] * (9 - len(answers)), "taken_at": when}


# Baseline 20; six IV inductions ending day -48; nadir 5 on day -41; 14 on -33 qualifies and
# is confirmed by 16 on -29.
HISTORY = {
    "infusions": [
        {"given_at": day(d), "route": "iv", "kind": "induction", "dose_mg_per_kg": 0.5}
        for d in (-58, -56, -54, -52, -50, -48)
    ],
    "checkins": [
        phq9(20, day(-60)),
        phq9(6, day(-45)),
        phq9(5, day(-41)),
        phq9(8, day(-37)),
        phq9(14, day(-33)),
        phq9(16, day(-29)),
    ],
}


def outcomes(relief: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["outcome"], e["relapse_reason"] or e["censor_reason"]) for e in relief["episodes"]]


async def test_relief_follows_a_corrected_booster_and_one_entered_in_error(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    doc = await make_client("doc@a.test")
    base = f"/api/patients/{world.patient_a1.id}"
    assert (await doc.post(f"{base}/history", json=HISTORY)).status_code == 200
    assert outcomes((await doc.get(f"{base}/relief")).json()) == [("relapsed", "confirmed")]

    # A booster for symptoms 2 days after the qualifying 14, before it was confirmed.
    booster = await doc.post(
        f"{base}/infusions",
        json={
            "given_at": day(-31),
            "drug": "racemic_ketamine",
            "route": "iv",
            "kind": "symptom_triggered_booster",
            "dose_mg_per_kg": 0.5,
        },
    )
    assert booster.status_code == 201, booster.text
    booster_url = f"{base}/infusions/{booster.json()['id']}"
    relief = (await doc.get(f"{base}/relief")).json()
    assert len(relief["episodes"]) == 2
    assert relief["episodes"][0]["outcome"] == "relapsed"
    assert relief["episodes"][0]["relapse_reason"] != "confirmed"

    # It was a scheduled booster after all: the first episode is censored at it, not relapsed.
    corrected = await doc.patch(booster_url, json={"kind": "scheduled_booster"})
    assert corrected.status_code == 200, corrected.text
    relief = (await doc.get(f"{base}/relief")).json()
    first = relief["episodes"][0]
    assert (first["outcome"], first["censor_reason"]) == ("censored", "scheduled_booster")
    assert first["probable_relapse"] is True
    assert relief["outlook"]["days_since_infusion"] < 32

    # It was never given: back to one episode, relapsed and confirmed; the outlook counts from
    # the last induction again.
    struck = await doc.post(f"{booster_url}/entered-in-error", json={"reason": "Wrong patient"})
    assert struck.status_code == 200, struck.text
    relief = (await doc.get(f"{base}/relief")).json()
    assert outcomes(relief) == [("relapsed", "confirmed")]
    assert relief["outlook"]["days_since_infusion"] > 47
    infusion_ids = {i for e in relief["episodes"] for i in e["infusion_ids"]}
    assert booster.json()["id"] not in infusion_ids
    actions = (
        await db.execute(
            select(col(AuditEvent.action)).where(col(AuditEvent.patient_id) == world.patient_a1.id)
        )
    ).scalars()
    assert {"infusion.create", "infusion.update", "infusion.entered_in_error"} <= set(actions)


async def test_an_event_entered_in_error_no_longer_censors_an_episode(
    make_client: ClientFactory, world: World
) -> None:
    doc = await make_client("doc@a.test")
    base = f"/api/patients/{world.patient_a1.id}"
    history = {**HISTORY, "checkins": HISTORY["checkins"][:4]}  # still holding at 8 on -37
    assert (await doc.post(f"{base}/history", json=history)).status_code == 200
    event = await doc.post(
        f"{base}/events", json={"kind": "medication_change", "occurred_at": day(-39)}
    )
    assert event.status_code == 201, event.text
    censored = (await doc.get(f"{base}/relief")).json()["episodes"][0]
    assert censored["censor_reason"] == "medication_change"
    assert round(censored["duration_days"]) == 9

    moved = await doc.patch(f"{base}/events/{event.json()['id']}", json={"occurred_at": day(-38)})
    assert moved.status_code == 200, moved.text
    episode = (await doc.get(f"{base}/relief")).json()["episodes"][0]
    assert (episode["censor_reason"], round(episode["duration_days"])) == ("medication_change", 10)

    struck = await doc.post(f"{base}/events/{event.json()['id']}/entered-in-error", json={})
    assert struck.status_code == 200, struck.text
    episode = (await doc.get(f"{base}/relief")).json()["episodes"][0]
    assert episode["censor_reason"] != "medication_change"
