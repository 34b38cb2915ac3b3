"""Shared by the benchmarks: a real `afterglow serve` in a temporary data folder, and wrk."""

from __future__ import annotations

import asyncio
import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from afterglow.accounts.models import Clinic, Patient, User
from afterglow.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    settings: Settings
    process: subprocess.Popen[bytes]


@contextmanager
def running_server(extra_env: dict[str, str] | None = None, prepare=None) -> Iterator[Server]:
    """Migrate a fresh SQLite database, let `prepare(settings)` add rows, then serve it."""
    data_dir = Path(tempfile.mkdtemp(prefix="afterglow-bench-"))
    port = free_port()
    env = {
        **os.environ,
        "AFTERGLOW_DATA_DIR": str(data_dir),
        "AFTERGLOW_PORT": str(port),
        "AFTERGLOW_SCHEDULER": "off",
        **(extra_env or {}),
    }
    settings = Settings.from_env({k: v for k, v in env.items() if k.startswith("AFTERGLOW_")})
    from afterglow.db import migrate

    migrate(settings)
    if prepare is not None:
        asyncio.run(prepare(settings))
    process = subprocess.Popen(
        [sys.executable, "-m", "afterglow.cli", "serve"], env=env, stdout=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        # A minute: on a busy shared machine the server's imports alone can take many seconds.
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/health", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.05)
        yield Server(url, settings, process)
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(data_dir, ignore_errors=True)


def sign_in(url: str, email: str, password: str) -> tuple[str, str]:
    """Sign in through the API like a browser: the Cookie header to send, and the CSRF token."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{url}/api/health")
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    request = urllib.request.Request(
        f"{url}/api/auth/login",
        data=json.dumps({"email": email, "password": password}).encode(),
        headers={"Content-Type": "application/json", "x-csrftoken": csrf},
    )
    opener.open(request)
    # The CSRF token belongs to the session: signing in set a new one.
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return cookie, csrf


def require_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("This benchmark drives the server with wrk: apt-get install -y wrk")
    return wrk


@dataclass
class WrkResult:
    requests_per_second: float
    requests: int
    non_2xx: int
    errors: int


def run_wrk(
    url: str,
    *,
    seconds: int,
    connections: int,
    script: str | None = None,
    headers: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
    timeout: int | None = None,
) -> WrkResult:
    """One wrk run on one thread (the other core is the server's).

    `timeout` (seconds) raises wrk's 2-second default for endpoints slow enough that many
    connections queue longer than that; a timed-out request is not counted as done.
    """
    command = [require_wrk(), "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if timeout is not None:
        command += ["--timeout", f"{timeout}s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", script]
    command.append(url)
    output = subprocess.run(
        command, capture_output=True, text=True, check=True, env={**os.environ, **(env or {})}
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    non_2xx_match = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors_match = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    errors = sum(int(g) for g in errors_match.groups()) if errors_match else 0
    return WrkResult(rps, requests, int(non_2xx_match.group(1)) if non_2xx_match else 0, errors)


async def add_enrolled_patient(
    db: AsyncSession, clinic: Clinic, email: str, name: str, password_hash: str, now: datetime
) -> Patient:
    """A synthetic patient in New York who has signed up (has an account), as benchmarks need."""
    user = User(
        clinic_id=clinic.id or 0,
        email=email,
        display_name=name,
        role="patient",
        password_hash=password_hash,
        created_at=now,
    )
    db.add(user)
    await db.flush()
    patient = Patient(
        clinic_id=clinic.id or 0,
        user_id=user.id,
        display_name=name,
        timezone="America/New_York",
        created_at=now,
    )
    db.add(patient)
    await db.flush()
    return patient
