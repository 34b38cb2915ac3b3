"""How fast check-ins are written, compared with the cheapest request the server answers.

Starts `afterglow serve` (one worker, SQLite default, synchronous=FULL), signs a synthetic
patient in, and drives both endpoints with the same wrk load (one thread, 32 connections):
GET /api/health, then POST /api/checkins with a fresh Idempotency-Key per request. Prints both
rates and, last, `ratio=<checkins/health>` (target >= 0.10). Every acknowledged check-in is
counted in the database afterwards, so a fast-but-lossy server cannot pass.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import secrets
import sqlite3
import urllib.request
from pathlib import Path

from _server import Server, run_wrk, running_server
from afterglow.accounts.models import Clinic, Patient, User
from afterglow.accounts.passwords import hash_password_sync
from afterglow.clock import utcnow
from afterglow.db import create_engine, session_maker
from afterglow.settings import Settings

EMAIL, PASSWORD = "bench-patient@bench.afterglow.test", "bench-password-1"
HERE = Path(__file__).parent


async def add_bench_patient(settings: Settings) -> None:
    engine = create_engine(settings)
    async with session_maker(engine)() as db:
        now = utcnow()
        clinic = Clinic(name="Bench Clinic", created_at=now)
        db.add(clinic)
        await db.flush()
        user = User(
            clinic_id=clinic.id or 0,
            email=EMAIL,
            display_name="Bench Patient",
            role="patient",
            password_hash=hash_password_sync(PASSWORD),
            created_at=now,
        )
        db.add(user)
        await db.flush()
        db.add(
            Patient(
                clinic_id=clinic.id or 0,
                user_id=user.id,
                display_name="Bench Patient",
                timezone="America/New_York",
                created_at=now,
            )
        )
        await db.commit()
    await engine.dispose()


def sign_in(url: str) -> tuple[str, str]:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{url}/api/health")
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    request = urllib.request.Request(
        f"{url}/api/auth/login",
        data=json.dumps({"email": EMAIL, "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json", "x-csrftoken": csrf},
    )
    opener.open(request)
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return cookie, csrf


def count_checkins(server: Server) -> int:
    database = server.settings.database_url.split("///", 1)[1]
    with sqlite3.connect(database) as connection:
        return int(connection.execute("SELECT count(*) FROM checkin").fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    load = {"seconds": args.seconds, "connections": args.connections}

    with running_server(prepare=add_bench_patient) as server:
        cookie, csrf = sign_in(server.url)
        health_url = f"{server.url}/api/health"
        run_wrk(health_url, seconds=2, connections=args.connections)  # warm up
        health = run_wrk(health_url, **load)

        script = str(HERE / "checkin_post.lua")
        # Each run gets its own run id, so no key of the measured run replays the warm-up's.
        env = {"BENCH_COOKIE": cookie, "BENCH_CSRF": csrf, "BENCH_RUN": secrets.token_hex(4)}
        run_wrk(server.url, seconds=2, connections=args.connections, script=script, env=env)
        env["BENCH_RUN"] = secrets.token_hex(4)
        stored_before = count_checkins(server)
        checkins = run_wrk(server.url, script=script, env=env, **load)
        stored = count_checkins(server) - stored_before

    acknowledged = checkins.requests - checkins.non_2xx
    print(f"health_rps={health.requests_per_second:.0f} (socket errors {health.errors})")
    print(f"checkin_rps={checkins.requests_per_second:.0f} (socket errors {checkins.errors})")
    print(f"checkins_acknowledged={acknowledged} checkins_stored={stored}")
    if checkins.non_2xx or checkins.errors or stored < acknowledged:
        print("warning: not every request became one stored check-in")
    print(f"ratio={checkins.requests_per_second / health.requests_per_second:.3f}")


if __name__ == "__main__":
    main()
