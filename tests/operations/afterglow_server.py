"""A real `afterglow serve` in a process of its own on 127.0.0.1, and the `afterglow` command, for
tests that stop, kill or restore what an operator would."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx

from afterglow.settings import Settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def afterglow_env(settings: Settings, port: int | None = None) -> dict[str, str]:
    """The environment an operator would set for this database, scheduler off."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFTERGLOW_")}
    env.update(
        {
            "AFTERGLOW_DATA_DIR": str(settings.data_dir),
            "AFTERGLOW_DATABASE_URL": settings.database_url,
            "AFTERGLOW_SCHEDULER": "off",
            "AFTERGLOW_PUSH_HOSTS": "127.0.0.1",
            "AFTERGLOW_HOST": "127.0.0.1",
        }
    )
    if port is not None:
        env["AFTERGLOW_PORT"] = str(port)
    return env


def afterglow(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `afterglow <args>` as an operator would, and return what it printed."""
    return subprocess.run(
        [sys.executable, "-m", "afterglow.cli", *args],
        env=afterglow_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no flush, no goodbye."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


async def start_server(settings: Settings, log: Path, port: int | None = None) -> Server:
    """`afterglow serve`, once it answers /api/health."""
    port = port or free_port()
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "afterglow.cli", "serve"],
            env=afterglow_env(settings, port),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, port, log)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=2) as client:
        for _ in range(300):
            if process.poll() is not None:
                raise AssertionError(f"afterglow serve exited:\n{log.read_text()[-3000:]}")
            try:
                if (await client.get("/api/health")).status_code == 200:
                    return server
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    server.kill()
    raise AssertionError(f"afterglow serve did not answer in 30 s:\n{log.read_text()[-3000:]}")


async def signed_in(server: Server, email: str, password: str) -> httpx.AsyncClient:
    """A client of the real server, signed in, with the CSRF header the app would send."""
    client = httpx.AsyncClient(base_url=server.base_url, timeout=10)
    await client.get("/api/health")
    client.headers["x-csrftoken"] = client.cookies["csrftoken"]
    response = await client.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    # The CSRF token belongs to the session: sign-in may hand out a new one.
    client.headers["x-csrftoken"] = client.cookies["csrftoken"]
    return client
