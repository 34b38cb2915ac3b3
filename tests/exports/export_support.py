"""What the export tests share: the background job on the test database, a clinic's records, and
a client that follows a Bulk Data export as an integration would."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from afterglow.exports.runner import BulkExports
from conftest import World, checkin_key

# Records are made relative to the real clock: the server refuses check-ins and infusions in
# the future, and exports' `_since` compares with when rows were really written.
NOW = datetime.now(UTC).replace(microsecond=0)
KICK_OFF = {"Prefer": "respond-async", "Accept": "application/fhir+json"}

Runner = Callable[..., BulkExports]
"""The `make_runner` fixture (tests/conftest.py)."""


async def add_records(doc: httpx.AsyncClient, patient: httpx.AsyncClient, patient_id: int) -> None:
    """A week of a synthetic patient: an infusion, PHQ-9s before and after, a daily mood."""
    given = NOW - timedelta(days=6)
    infusion = await doc.post(
        f"/api/patients/{patient_id}/infusions",
        json={
            "given_at": given.isoformat(),
            "route": "iv",
            "kind": "induction",
            "drug": "racemic_ketamine",
            "dose_mg_per_kg": 0.5,
            "bp_systolic_before": 128,
            "bp_diastolic_before": 82,
        },
    )
    assert infusion.status_code == 201, infusion.text
    for days_ago, answers in (
        (8, [2, 2, 2, 2, 2, 2, 2, 2, 0, 1]),
        (2, [1, 1, 0, 0, 1, 0, 0, 0, 0]),
    ):
        sent = await patient.post(
            "/api/checkins",
            json={
                "instrument": "phq9",
                "answers": answers,
                "taken_at": (NOW - timedelta(days=days_ago)).isoformat(),
            },
            headers=checkin_key(),
        )
        assert sent.status_code in (200, 201), sent.text
    mood = await patient.post(
        "/api/checkins", json={"instrument": "mood", "answers": [7]}, headers=checkin_key()
    )
    assert mood.status_code in (200, 201), mood.text


def ndjson(body: bytes) -> list[dict[str, Any]]:
    text = body.decode()
    assert text.endswith("\n") or not text, "every line of NDJSON ends in a newline"
    return [json.loads(line) for line in text.splitlines()]


async def export_of(
    client: httpx.AsyncClient, runner: BulkExports, world: World, query: str = ""
) -> tuple[str, dict[str, Any]]:
    """Kick off an export of clinic A, let the job run, and read the manifest."""
    response = await client.get(f"/fhir/Group/{world.clinic_a.id}/$export{query}", headers=KICK_OFF)
    assert response.status_code == 202, response.text
    location = response.headers["content-location"]
    assert await runner() == 1
    done = await client.get(location)
    assert done.status_code == 200, done.text
    return location, done.json()


async def files_by_type(
    client: httpx.AsyncClient, manifest: dict[str, Any]
) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for item in manifest["output"]:
        response = await client.get(item["url"])
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/fhir+ndjson")
        found[item["type"]] = ndjson(response.content)
        assert len(found[item["type"]]) == item["count"]
    return found
