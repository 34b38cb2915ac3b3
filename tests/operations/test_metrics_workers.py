"""Under `afterglow serve --workers 2` a scrape of either worker reports what both did."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys

import httpx
import pytest

from afterglow.settings import Settings

TOKEN = "synthetic-metrics-token-0123456789"
HEALTH = 'afterglow_http_requests_total{method="GET",route="/api/health",status="2xx"}'


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def health_count(scrape: str) -> float:
    [line] = [line for line in scrape.splitlines() if line.startswith(HEALTH + " ")]
    return float(line.rsplit(" ", 1)[1])


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_scrape_of_any_worker_counts_the_requests_of_all(settings: Settings) -> None:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "PROMETHEUS_MULTIPROC_DIR"}
    env.update(
        {
            "AFTERGLOW_DATA_DIR": str(settings.data_dir),
            "AFTERGLOW_DATABASE_URL": settings.database_url,
            "AFTERGLOW_PORT": str(port),
            "AFTERGLOW_SCHEDULER": "off",
            "AFTERGLOW_METRICS_TOKEN": TOKEN,
        }
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "afterglow.cli", "serve", "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    answered = 0
    try:
        # A new connection per request, so that both workers take some.
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}",
            limits=httpx.Limits(max_keepalive_connections=0),
        ) as client:
            for _ in range(300):
                try:
                    if (await client.get("/api/health")).status_code == 200:
                        answered += 1
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            assert answered, "the server did not start"
            for _ in range(40):
                assert (await client.get("/api/health")).status_code == 200
                answered += 1
            headers = {"Authorization": f"Bearer {TOKEN}"}
            scrapes = [(await client.get("/metrics", headers=headers)).text for _ in range(6)]
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0].decode()
    assert [health_count(scrape) for scrape in scrapes] == [answered] * 6, output
    assert len(list((settings.data_dir / "metrics").glob("counter_*.db"))) >= 2
