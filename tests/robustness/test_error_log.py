"""Every unhandled error is one JSON line in the log with a request id, and the caller gets that id."""

from __future__ import annotations

import json

import pytest
from litestar import Litestar, post
from litestar.params import FromPath, JSONBody

from conftest import World

SECRET_NOTE = "synthetic note: I feel hopeless"


@post("/api/patients/{patient_id:int}/explode", include_in_schema=False, status_code=200)
async def explode(patient_id: FromPath[int], data: JSONBody[dict[str, str]]) -> None:
    # Errors from the database driver carry the values of the statement in their message.
    raise RuntimeError(f"cannot store {data['note']!r} for patient {patient_id}")


def log_lines(err: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in err.splitlines() if line.startswith("{")]


async def test_an_unhandled_error_is_logged_as_json_with_the_request_id_it_returns(
    make_client, world: World, running_app: Litestar, capsys: pytest.CaptureFixture[str]
):
    running_app.register(explode)
    patient = await make_client("p1@a.test")
    capsys.readouterr()
    response = await patient.post(
        f"/api/patients/{world.patient_a1.id}/explode?q=secret-query-value",
        json={"note": SECRET_NOTE},
    )
    assert response.status_code == 500
    request_id = response.headers["x-request-id"]
    assert response.json()["request_id"] == request_id
    assert SECRET_NOTE not in response.text
    err = capsys.readouterr().err
    [line] = [entry for entry in log_lines(err) if entry.get("request_id") == request_id]
    assert line["level"] == "ERROR" and line["time"]
    assert line["method"] == "POST"
    assert line["route"] == "/api/patients/{patient_id}/explode"
    assert line["status"] == 500
    assert line["exception"] == "RuntimeError"
    assert "in explode" in str(line["traceback"])
    logged = json.dumps(line)
    for private in (SECRET_NOTE, "hopeless", "secret-query-value", "/api/patients/1"):
        assert private not in logged


async def test_every_response_carries_its_own_request_id(client):
    first = await client.get("/api/health")
    second = await client.get("/api/me")
    ids = {first.headers["x-request-id"], second.headers["x-request-id"]}
    assert len(ids) == 2 and all(len(i) >= 16 for i in ids)
