"""The CSRF token belongs to one session: a token known before a sign-in is worth nothing after it.

With a double-submit cookie alone, anyone who plants a csrftoken cookie of their choosing (a
sibling subdomain, a proxy on plain HTTP) knows the token of the next session too. Here the
token changes at sign-in and sign-out, and one session's token does not work with another.
"""

from __future__ import annotations

import httpx

from conftest import PASSWORD, ClientFactory, World, checkin_key


def use_token(client: httpx.AsyncClient, token: str) -> None:
    """Put `token` in both the cookie and the header, as a planted cookie would."""
    client.cookies.delete("csrftoken")
    client.cookies.set("csrftoken", token, domain="testserver.local", path="/")
    client.headers["x-csrftoken"] = token


async def log_mood(client: httpx.AsyncClient) -> httpx.Response:
    return await client.post(
        "/api/checkins", json={"instrument": "mood", "answers": [5]}, headers=checkin_key()
    )


async def test_a_csrf_token_from_before_sign_in_is_refused_after_it(
    make_client: ClientFactory, world: World
) -> None:
    client = await make_client()
    before = client.headers["x-csrftoken"]

    login = await client.post("/api/auth/login", json={"email": "p1@a.test", "password": PASSWORD})
    assert login.status_code == 200, login.text
    after = login.cookies.get("csrftoken")
    assert after and after != before, "signing in should hand out a new token"

    use_token(client, before)
    refused = await log_mood(client)
    use_token(client, after)
    accepted = await log_mood(client)

    assert refused.status_code == 403
    assert accepted.status_code == 201, accepted.text


async def test_a_csrf_token_from_before_sign_out_is_refused_after_it(
    make_client: ClientFactory, world: World
) -> None:
    client = await make_client("p1@a.test")
    signed_in = client.cookies["csrftoken"]
    client.headers["x-csrftoken"] = signed_in

    logout = await client.post("/api/auth/logout")
    assert logout.status_code in (200, 204), logout.text
    anonymous = logout.cookies.get("csrftoken")
    assert anonymous and anonymous != signed_in

    use_token(client, signed_in)
    refused_login = await client.post(
        "/api/auth/login", json={"email": "p1@a.test", "password": PASSWORD}
    )
    use_token(client, anonymous)
    login = await client.post("/api/auth/login", json={"email": "p1@a.test", "password": PASSWORD})
    use_token(client, signed_in)
    refused_write = await log_mood(client)

    assert refused_login.status_code == 403
    assert login.status_code == 200, login.text
    assert refused_write.status_code == 403


async def test_one_sessions_csrf_token_does_not_work_in_another(
    make_client: ClientFactory, world: World
) -> None:
    first = await make_client("p1@a.test")
    second = await make_client("p2@a.test")

    use_token(second, first.cookies["csrftoken"])
    response = await log_mood(second)

    assert response.status_code == 403


async def test_any_page_load_repairs_a_token_that_belongs_to_no_session(
    make_client: ClientFactory, world: World
) -> None:
    client = await make_client("p1@a.test")
    use_token(client, "0" * 128)

    page = await client.get("/api/me")
    client.headers["x-csrftoken"] = page.cookies["csrftoken"]
    response = await log_mood(client)

    assert response.status_code == 201, response.text
