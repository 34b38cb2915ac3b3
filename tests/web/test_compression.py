"""Compressed answers: API JSON worth compressing is gzipped; the app's files are gzipped once.

Each test reads the bytes as they travel (`aiter_raw`) and decompresses them itself, so what is
asserted is what a phone on a slow connection downloads and what it reads after.
"""

from __future__ import annotations

import gzip
import json
import re

import httpx

from conftest import ClientFactory, World, checkin_key

GZIP = {"accept-encoding": "gzip"}


async def raw_get(
    client: httpx.AsyncClient, url: str, headers: dict[str, str]
) -> tuple[httpx.Response, bytes]:
    """The response and its body exactly as sent (not decoded by the client)."""
    async with client.stream("GET", url, headers=headers) as response:
        body = b"".join([chunk async for chunk in response.aiter_raw()])
    return response, body


async def test_the_instruments_are_sent_gzipped_to_a_phone_that_takes_gzip(
    make_client: ClientFactory, world: World
) -> None:
    phone = await make_client("p1@a.test")
    plain, plain_body = await raw_get(phone, "/api/instruments", {"accept-encoding": "identity"})
    packed, packed_body = await raw_get(phone, "/api/instruments", GZIP)

    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in packed.headers["vary"].lower()
    assert int(packed.headers["content-length"]) == len(packed_body)
    instruments = json.loads(gzip.decompress(packed_body))
    assert instruments == json.loads(plain_body)
    assert {"mood", "phq9", "gad7"} <= {i["id"] for i in instruments}
    assert len(packed_body) < len(plain_body) / 4


async def test_small_answers_are_sent_as_they_are(make_client: ClientFactory, world: World) -> None:
    # A staff member's profile (a patient's carries their whole crisis screen, over 1 KB).
    browser = await make_client("doc@a.test")
    response, body = await raw_get(browser, "/api/me", GZIP)

    assert "content-encoding" not in response.headers
    assert json.loads(body)["email"] == "doc@a.test"


async def test_a_check_in_is_stored_and_answered_readably_by_a_phone_that_takes_gzip(
    make_client: ClientFactory, world: World
) -> None:
    phone = await make_client("p1@a.test")
    body = {"instrument": "phq9", "answers": [2, 2, 2, 2, 2, 2, 2, 2, 1]}
    key = checkin_key()

    created = await phone.post("/api/checkins", json=body, headers={**key, **GZIP})
    replayed = await phone.post("/api/checkins", json=body, headers={**key, **GZIP})

    assert created.status_code == 201, created.text
    assert replayed.status_code == 200, replayed.text
    for response in (created, replayed):
        assert "content-encoding" not in response.headers
        assert response.json()["score"] == 17
        assert response.json()["safety"] is not None
    assert created.json()["id"] == replayed.json()["id"]


async def test_the_app_files_are_gzipped_once_not_twice(
    make_client: ClientFactory, world: World
) -> None:
    phone = await make_client()
    _, page_body = await raw_get(phone, "/", GZIP)
    build = re.search(r"/app/([0-9a-f]{12})/main\.js", gzip.decompress(page_body).decode())
    assert build, "the page names its versioned code"

    for url in ("/", "/sw.js", f"/app/{build.group(1)}/main.js", "/manifest.webmanifest"):
        plain, plain_body = await raw_get(phone, url, {"accept-encoding": "identity"})
        packed, packed_body = await raw_get(phone, url, GZIP)
        assert packed.headers["content-encoding"] == "gzip", url
        assert gzip.decompress(packed_body) == plain_body, url
        assert packed.headers["vary"].lower() == "accept-encoding", url
        assert "content-encoding" not in plain.headers, url
