"""SIGKILL a real `afterglow serve` while patients send check-ins: after a restart, every check-in
the server acknowledged is stored, and so is the safety alert of every item-9 answer among them."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
from afterglow_server import Server, signed_in, start_server
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.alerts.models import SafetyAlert
from afterglow.checkins.models import CheckIn
from afterglow.settings import Settings
from conftest import PASSWORD, World

LOAD_SECONDS = 2.5
SENDERS_PER_PATIENT = 3
PHQ9_ITEM9 = [2, 2, 2, 1, 1, 1, 1, 1, 2]


@dataclass(frozen=True)
class Acknowledged:
    patient_id: int
    key: str
    checkin_id: int
    item9: bool


async def send_until_the_server_dies(
    client: httpx.AsyncClient, acknowledged: list[Acknowledged], refused: list[str]
) -> None:
    """One phone's outbox: check-in after check-in, every fourth a PHQ-9 with item 9 at 2."""
    sent = 0
    while True:
        sent += 1
        item9 = sent % 4 == 0
        body = (
            {"instrument": "phq9", "answers": PHQ9_ITEM9}
            if item9
            else {"instrument": "mood", "answers": [sent % 11]}
        )
        key = str(uuid.uuid4())
        try:
            response = await client.post(
                "/api/checkins", json=body, headers={"Idempotency-Key": key}
            )
        except httpx.TransportError:
            return
        if response.status_code in (200, 201):
            stored = response.json()
            acknowledged.append(Acknowledged(stored["patient_id"], key, stored["id"], item9))
        else:
            refused.append(f"{response.status_code} {response.text[:80]}")


async def alerts_seen_by(server: Server, email: str) -> set[int]:
    """The check-in ids behind every alert in a clinician's inbox, page by page."""
    clinician = await signed_in(server, email, PASSWORD)
    seen: set[int] = set()
    offset = 0
    while True:
        page = await clinician.get("/api/alerts", params={"limit": 200, "offset": offset})
        assert page.status_code == 200, page.text
        seen |= {alert["checkin_id"] for alert in page.json()}
        if len(page.json()) < 200:
            break
        offset += 200
    await clinician.aclose()
    return seen


async def test_no_acknowledged_checkin_or_alert_is_lost_when_the_server_is_killed(
    settings: Settings, world: World, db: AsyncSession, tmp_path: Path
) -> None:
    server = await start_server(settings, tmp_path / "serve.log")
    phones = [
        await signed_in(server, email, PASSWORD)
        for email in ("p1@a.test", "p2@a.test", "p1@b.test")
    ]
    acknowledged: list[Acknowledged] = []
    refused: list[str] = []
    senders = [
        asyncio.create_task(send_until_the_server_dies(phone, acknowledged, refused))
        for phone in phones
        for _ in range(SENDERS_PER_PATIENT)
    ]
    try:
        await asyncio.sleep(LOAD_SECONDS)
        in_flight = sum(not task.done() for task in senders)
        server.kill()
        await asyncio.wait_for(asyncio.gather(*senders), timeout=20)
    finally:
        server.kill()
        for phone in phones:
            await phone.aclose()
    assert in_flight == len(senders), "every sender was still sending when the server died"
    assert not refused, f"refused before the kill: {refused[:5]}"
    item9_acks = [a for a in acknowledged if a.item9]
    assert len(acknowledged) >= 50 and item9_acks, f"too little load: {len(acknowledged)}"

    server = await start_server(settings, tmp_path / "serve-again.log")
    try:
        stored = {
            key: checkin_id
            for key, checkin_id in (
                await db.execute(select(col(CheckIn.idempotency_key), col(CheckIn.id)))
            ).all()
        }
        lost = [a for a in acknowledged if stored.get(a.key) != a.checkin_id]
        assert not lost, f"{len(lost)} of {len(acknowledged)} acknowledged check-ins are gone"
        alerted = set((await db.execute(select(col(SafetyAlert.checkin_id)))).scalars().all())
        await db.commit()
        missing = [a for a in item9_acks if a.checkin_id not in alerted]
        assert not missing, f"{len(missing)} of {len(item9_acks)} item-9 alerts are gone"

        # And the restarted server shows them: each clinic's clinicians see their patients' alerts.
        clinic_a = {world.patient_a1.id, world.patient_a2.id}
        seen_a = await alerts_seen_by(server, "doc@a.test")
        seen_b = await alerts_seen_by(server, "doc@b.test")
        for ack in item9_acks:
            assert ack.checkin_id in (seen_a if ack.patient_id in clinic_a else seen_b)
    finally:
        server.stop()
