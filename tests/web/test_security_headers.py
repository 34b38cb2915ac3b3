"""Headers every API answer carries: nothing cached, nothing sniffed, HTTPS pinned when served so.

Patient data must not stay in a browser's or a proxy's cache, and a JSON body must never be
read as a script or a page. These run on both databases through the shared fixtures.
"""

from __future__ import annotations

import dataclasses

import httpx
import pytest

from afterglow.app import create_app
from afterglow.settings import Settings
from conftest import ClientFactory, World, checkin_key, csrf_ready


def assert_api_headers(response: httpx.Response) -> None:
    where = f"{response.request.method} {response.request.url.path} ({response.status_code})"
    assert response.headers.get("cache-control") == "no-store", where
    assert response.headers.get("x-content-type-options") == "nosniff", where


async def test_every_api_response_says_no_store_and_nosniff(
    make_client: ClientFactory, world: World
) -> None:
    anonymous = await make_client()
    patient = await make_client("p1@a.test")
    clinician = await make_client("doc@a.test")

    answers = [
        await anonymous.get("/api/health"),
        await anonymous.get("/api/me"),  # 401
        await anonymous.post("/api/auth/login", json={"email": "p1@a.test", "password": "x"}),
        await anonymous.post("/api/auth/login", content=b"{not json"),  # 400
        await patient.get("/api/me"),
        await patient.get("/api/instruments"),  # gzipped when large
        await patient.post(
            "/api/checkins",
            json={"instrument": "mood", "answers": [6]},
            headers=checkin_key(),
        ),
        await patient.get(f"/api/patients/{world.patient_b1.id}/checkins"),  # 403/404
        await clinician.get(f"/api/patients/{world.patient_a1.id}/checkins"),
        await clinician.get("/api/no-such-route"),  # 404
        await clinician.options("/api/patients"),
    ]

    for response in answers:
        assert_api_headers(response)


async def test_the_apps_own_files_keep_their_cache_rules(make_client: ClientFactory) -> None:
    browser = await make_client()

    shell = await browser.get("/")
    worker = await browser.get("/sw.js")

    assert shell.headers["cache-control"] == "no-cache"
    assert worker.headers["cache-control"] == "no-cache"
    assert "strict-transport-security" not in shell.headers


async def test_hsts_is_sent_when_the_public_url_is_https(settings: Settings) -> None:
    app = create_app(dataclasses.replace(settings, public_url="https://clinic.example"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://clinic.example") as client:
        api = await client.get("/api/health")
        shell = await client.get("/")

    for response in (api, shell):
        hsts = response.headers.get("strict-transport-security", "")
        assert "max-age=31536000" in hsts, response.request.url
        assert "includeSubDomains" in hsts
    assert_api_headers(api)


@pytest.mark.parametrize("path", ["/api/health", "/"])
async def test_no_hsts_over_plain_http(make_client: ClientFactory, path: str) -> None:
    client = await make_client()
    await csrf_ready(client)

    response = await client.get(path)

    assert "strict-transport-security" not in response.headers
