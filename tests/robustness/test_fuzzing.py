"""Schemathesis against the real app over HTTP, as a patient and as a clinician, on both databases.

Every response must be no 5xx, have a status the OpenAPI document lists for its operation, and a
body that matches the schema documented for that status. The run is bounded (examples per
operation and a time budget per account) so that it stays part of `make test`.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import uvicorn

from afterglow.app import create_app
from afterglow.settings import Settings
from conftest import PASSWORD, World

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    ]
)
# Operations that end the fuzzer's own session (or its password) would leave the rest of the run
# signed out; they are tested by hand in tests/accounts.
ENDS_OWN_SESSION = re.compile(r"logout|password", re.IGNORECASE)
MAX_EXAMPLES = int(os.environ.get("AFTERGLOW_FUZZ_EXAMPLES", "12"))
SECONDS_PER_ACCOUNT = int(os.environ.get("AFTERGLOW_FUZZ_SECONDS", "28"))
SEED = os.environ.get("AFTERGLOW_FUZZ_SEED", "20261129")
# The patient first: the clinician's run may deactivate or re-enroll that patient.
PATIENT_FIRST = ("p1@a.test", "doc@a.test")


@asynccontextmanager
async def live_server(settings: Settings) -> AsyncIterator[str]:
    """The app behind uvicorn on 127.0.0.1, on this test's event loop."""
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=0, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def session_headers(base_url: str, email: str) -> dict[str, str]:
    """The cookie and CSRF header of a fresh sign-in, as the app would send them."""
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        await client.get("/api/health")
        client.headers["x-csrftoken"] = client.cookies["csrftoken"]
        response = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        assert response.status_code == 200, response.text
        cookies = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
        return {"Cookie": cookies, "x-csrftoken": client.cookies["csrftoken"]}


async def fuzz(base_url: str, headers: dict[str, str], excluded: list[str], report: Path) -> str:
    """Run schemathesis; return its output, failing the test when it found anything."""
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{base_url}/schema/openapi.json",
        "--checks",
        CHECKS,
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--max-time",
        str(SECONDS_PER_ACCOUNT),
        "--seed",
        SEED,
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--suppress-health-check",
        "all",
        "--request-timeout",
        "10",
        "--no-color",
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(report),
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    for operation_id in excluded:
        command += ["--exclude-operation-id", operation_id]
    # In the report's folder: schemathesis keeps the cases of each run for `st replay` in its
    # working directory.
    process = await asyncio.create_subprocess_exec(
        *command,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=report.parent,
    )
    out, _ = await process.communicate()
    output = out.decode(errors="replace")
    # The report's FAILURES section (and the summary), not the long list of warnings.
    failures = output[output.find("=== FAILURES") :] if "=== FAILURES" in output else output
    assert process.returncode == 0, failures[:20000] + output[-3000:]
    return output


async def test_fuzzing_the_api_as_a_patient_and_a_clinician_finds_no_5xx_and_no_undocumented_answer(
    settings: Settings, world: World, tmp_path: Path
):
    async with live_server(settings) as base_url, httpx.AsyncClient(base_url=base_url) as client:
        schema = (await client.get("/schema/openapi.json")).json()
        excluded = [
            op["operationId"]
            for path in schema["paths"].values()
            for op in path.values()
            if ENDS_OWN_SESSION.search(op["operationId"])
        ]
        # Both sign in before any fuzzing: failed sign-ins of the fuzzer throttle this address.
        accounts = {email: await session_headers(base_url, email) for email in PATIENT_FIRST}
        for email, headers in accounts.items():
            started = time.monotonic()
            await fuzz(base_url, headers, excluded, tmp_path / f"{email}.ndjson")
            print(f"fuzzed as {email} in {time.monotonic() - started:.0f} s")
