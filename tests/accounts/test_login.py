"""Signing in and out: sessions in the database, CSRF, and progressive sign-in delays that hold
across instances without locking the rightful user out."""

import asyncio
from dataclasses import replace
from datetime import timedelta

import httpx
from sqlalchemy import func, select, update

from afterglow.accounts.models import AuthSession, LoginThrottle, User
from afterglow.app import create_app
from afterglow.clock import SetClock
from conftest import PASSWORD, World, csrf_ready


async def test_it_signs_a_patient_in_and_reports_their_patient_id(make_client, world: World):
    client = await make_client("p1@a.test")
    me = (await client.get("/api/me")).json()
    assert me.pop("crisis")["country"] == "US"  # the crisis screen: tests/crisis
    assert me == {
        "user_id": world.patient_a1.user_id,
        "email": "p1@a.test",
        "display_name": "Patient A1",
        "role": "patient",
        "clinic": {"id": world.clinic_a.id, "name": "Synthetic Clinic A"},
        "patient_id": world.patient_a1.id,
        "locale": "en-US",
        "pain_enabled": False,
    }


async def test_the_session_cookie_is_http_only_and_same_site(client, world: World):
    response = await client.post(
        "/api/auth/login", json={"email": "doc@a.test", "password": PASSWORD}
    )
    cookie = response.headers["set-cookie"].lower()
    assert "afterglow_session=" in cookie
    assert "httponly" in cookie and "samesite=lax" in cookie


async def test_it_accepts_the_email_in_any_case(client, world: World):
    response = await client.post(
        "/api/auth/login", json={"email": "  Doc@A.test ", "password": PASSWORD}
    )
    assert response.status_code == 200


async def test_a_wrong_password_or_unknown_email_gets_the_same_401(client, world: World):
    wrong = await client.post(
        "/api/auth/login", json={"email": "doc@a.test", "password": "nope nope nope"}
    )
    unknown = await client.post(
        "/api/auth/login", json={"email": "nobody@a.test", "password": PASSWORD}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


async def test_a_login_without_the_csrf_header_is_refused(make_client, world: World):
    client = await make_client()
    del client.headers["x-csrftoken"]
    response = await client.post(
        "/api/auth/login", json={"email": "doc@a.test", "password": PASSWORD}
    )
    assert response.status_code == 403


async def test_an_unsafe_request_without_the_csrf_header_is_refused(make_client, world: World):
    client = await make_client("p1@a.test")
    del client.headers["x-csrftoken"]
    response = await client.post("/api/checkins", json={"instrument": "mood", "answers": [5]})
    assert response.status_code == 403


async def test_signing_out_ends_only_this_device(make_client, world: World):
    phone = await make_client("p1@a.test")
    laptop = await make_client("p1@a.test")
    assert (await phone.post("/api/auth/logout")).status_code == 204
    assert (await phone.get("/api/me")).status_code == 401
    assert (await laptop.get("/api/me")).status_code == 200


async def test_signing_out_everywhere_ends_every_session(make_client, world: World, db):
    phone = await make_client("p1@a.test")
    laptop = await make_client("p1@a.test")
    response = await laptop.post("/api/auth/logout-all")
    assert response.json() == {"sessions_ended": 2}
    assert (await phone.get("/api/me")).status_code == 401
    assert (await laptop.get("/api/me")).status_code == 401
    count = await db.scalar(
        select(func.count())
        .select_from(AuthSession)
        .where(AuthSession.user_id == world.patient_a1.user_id)
    )
    assert count == 0


async def test_an_expired_session_is_refused(make_client, world: World, db, app_clock):
    client = await make_client("doc@a.test")
    await db.execute(update(AuthSession).values(expires_at=app_clock.now() - timedelta(minutes=1)))
    await db.commit()
    response = await client.get("/api/me")
    assert response.status_code == 401
    assert "sign in again" in response.json()["detail"]


async def test_a_deactivated_user_cannot_sign_in(client, world: World, db):
    await db.execute(update(User).where(User.email == "doc@a.test").values(is_active=False))
    await db.commit()
    response = await client.post(
        "/api/auth/login", json={"email": "doc@a.test", "password": PASSWORD}
    )
    assert response.status_code == 401


async def test_the_database_keeps_only_a_hash_of_the_session_token(client, world: World, db):
    await client.post("/api/auth/login", json={"email": "doc@a.test", "password": PASSWORD})
    token = client.cookies.get("afterglow_session")
    stored = (await db.execute(select(AuthSession.token_hash))).scalars().all()
    assert token and token not in stored and len(stored) == 1 and len(stored[0]) == 64


async def let_the_delay_pass(db, clock: SetClock) -> None:
    """Move every sign-in delay into the app clock's past, as if its Retry-After had been waited
    out (the clock stays put: moving it would also age the failures)."""
    await db.execute(update(LoginThrottle).values(retry_at=clock.now() - timedelta(seconds=1)))
    await db.commit()


async def fail(client: httpx.AsyncClient, email: str = "doc@a.test") -> int:
    response = await client.post(
        "/api/auth/login", json={"email": email, "password": "wrong password"}
    )
    return response.status_code


async def test_repeated_failures_delay_the_next_attempt_even_with_the_right_password(
    client, world: World
):
    assert [await fail(client) for _ in range(5)] == [401] * 5

    delayed = await client.post(
        "/api/auth/login", json={"email": "doc@a.test", "password": PASSWORD}
    )

    assert delayed.status_code == 429
    assert 1 <= int(delayed.headers["retry-after"]) <= 5
    assert "this account" in delayed.json()["detail"]
    other_account = await client.post(
        "/api/auth/login", json={"email": "doc2@a.test", "password": PASSWORD}
    )
    assert other_account.status_code == 200


async def test_a_correct_password_after_the_delay_signs_in(client, world: World, db, app_clock):
    for _ in range(12):
        await fail(client)
        await let_the_delay_pass(db, app_clock)
    assert await fail(client) == 401

    delayed = await client.post(
        "/api/auth/login", json={"email": "doc@a.test", "password": PASSWORD}
    )
    await let_the_delay_pass(db, app_clock)
    after_the_delay = await client.post(
        "/api/auth/login", json={"email": "doc@a.test", "password": PASSWORD}
    )

    assert delayed.status_code == 429
    assert int(delayed.headers["retry-after"]) <= 5 * 60
    assert after_the_delay.status_code == 200, after_the_delay.text


async def test_the_delay_doubles_with_each_failure_up_to_five_minutes(
    client, world: World, db, app_clock
):
    for _ in range(5):
        assert await fail(client) == 401
    waits = []
    for _ in range(9):
        waiting = await client.post(
            "/api/auth/login", json={"email": "doc@a.test", "password": PASSWORD}
        )
        assert waiting.status_code == 429
        waits.append(int(waiting.headers["retry-after"]))
        await let_the_delay_pass(db, app_clock)
        assert await fail(client) == 401

    expected = [5, 10, 20, 40, 80, 160, 300, 300, 300]
    # Retry-After rounds up what is left, and a slow machine may spend a second in between.
    assert all(want - 1 <= got <= want for got, want in zip(waits, expected, strict=True)), waits


async def test_attempts_during_the_delay_do_not_make_it_longer(client, world: World, db, app_clock):
    for _ in range(5):
        await fail(client)

    during = [await fail(client) for _ in range(10)]
    await let_the_delay_pass(db, app_clock)
    next_failure = await fail(client)
    waiting = await client.post(
        "/api/auth/login", json={"email": "doc@a.test", "password": PASSWORD}
    )

    assert during == [429] * 10
    assert next_failure == 401
    assert 9 <= int(waiting.headers["retry-after"]) <= 10


async def test_concurrent_guesses_get_one_try_per_delay(make_client, world: World, db, app_clock):
    client = await make_client()
    for _ in range(5):
        await fail(client)
    await let_the_delay_pass(db, app_clock)

    answers = await asyncio.gather(*(fail(client) for _ in range(8)))

    assert sorted(answers) == [401] + [429] * 7


async def test_the_throttle_holds_across_instances(settings, world: World):
    """Failures counted by one instance delay the account on another (the database counts)."""
    first, second = create_app(settings), create_app(settings)
    async with first.lifespan(), second.lifespan():
        clients = []
        for app in (first, second):
            client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver.local"
            )
            await csrf_ready(client)
            clients.append(client)
        for attempt in range(5):
            await fail(clients[attempt % 2])
        response = await clients[1].post(
            "/api/auth/login", json={"email": "doc@a.test", "password": PASSWORD}
        )
        assert response.status_code == 429
        signed_in = await clients[0].post(
            "/api/auth/login", json={"email": "doc2@a.test", "password": PASSWORD}
        )
        assert signed_in.status_code == 200
        # A session started on one instance works on the other.
        clients[1].cookies.set("afterglow_session", clients[0].cookies.get("afterglow_session"))
        assert (await clients[1].get("/api/me")).json()["email"] == "doc2@a.test"
        for client in clients:
            await client.aclose()


async def test_a_flood_from_one_address_is_throttled_across_accounts(
    client, world: World, settings
):
    emails = [f"nobody{i}@a.test" for i in range(settings.login_max_failures_per_address)]
    for email in emails:
        await fail(client, email)
    response = await client.post(
        "/api/auth/login", json={"email": "doc@a.test", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "network address" in response.json()["detail"]


async def test_many_failures_from_one_address_do_not_lock_out_another_account(
    client, world: World, db, app_clock
):
    """Everyone behind one address (a clinic's network, a phone carrier) shares its count: it may
    make them wait, never more than a few minutes, and never locks them out."""
    emails = ["doc2@a.test", "admin@a.test", "p1@a.test", "nobody@a.test"]
    for attempt in range(30):
        assert await fail(client, emails[attempt % 4]) == 401
        await let_the_delay_pass(db, app_clock)
    assert await fail(client, "nobody@a.test") == 401

    waiting = await client.post(
        "/api/auth/login", json={"email": "doc@a.test", "password": PASSWORD}
    )
    await let_the_delay_pass(db, app_clock)
    after_the_delay = await client.post(
        "/api/auth/login", json={"email": "doc@a.test", "password": PASSWORD}
    )

    assert waiting.status_code == 429
    assert "network address" in waiting.json()["detail"]
    assert int(waiting.headers["retry-after"]) <= 5 * 60
    assert after_the_delay.status_code == 200, after_the_delay.text


async def test_behind_a_trusted_proxy_each_phone_is_counted_on_its_own_address(
    settings, world: World
):
    app = create_app(replace(settings, trust_proxy_headers=True))
    async with app.lifespan():
        proxy = httpx.ASGITransport(app=app, client=("10.0.0.2", 443))
        attacker, clinician = (
            httpx.AsyncClient(
                transport=proxy,
                base_url="http://testserver.local",
                headers={"x-forwarded-for": address},
            )
            for address in ("192.0.2.1, 198.51.100.7", "198.51.100.8")
        )
        for client in (attacker, clinician):
            await csrf_ready(client)
        emails = ["doc@a.test", "doc2@a.test", "admin@a.test", "p1@a.test"]
        answers = [await fail(attacker, emails[i % 4]) for i in range(30)]

        signed_in = await clinician.post(
            "/api/auth/login", json={"email": "doc@b.test", "password": PASSWORD}
        )

        assert 429 in answers
        assert signed_in.status_code == 200, signed_in.text
        for client in (attacker, clinician):
            await client.aclose()


async def test_signing_in_again_and_again_never_counts_against_the_address(
    client, world: World, settings
):
    answers = []
    for _ in range(settings.login_max_failures_per_address + 3):
        response = await client.post(
            "/api/auth/login", json={"email": "doc@a.test", "password": PASSWORD}
        )
        answers.append(response.status_code)
        await csrf_ready(client)

    assert answers == [200] * (settings.login_max_failures_per_address + 3)
