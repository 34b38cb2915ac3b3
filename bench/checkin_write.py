"""How fast check-ins are written, compared with the cheapest request the server answers.

Starts `afterglow serve` (one worker, SQLite default, synchronous=FULL) with a clinic of
synthetic patients, each in relief after an induction course (so every mood check-in also
re-judges "waning" and updates the triage summary, as in a real clinic), signs them all in,
and drives both endpoints with the same wrk load (one thread, 32 connections): GET /api/health,
then POST /api/checkins of daily moods, each request from the next patient in turn with a fresh
Idempotency-Key. Prints both rates and, last, `ratio=<checkins/health>` (target >= 0.10). Every
acknowledged check-in is counted in the database afterwards, so a fast-but-lossy server cannot
pass.
"""

from __future__ import annotations

import argparse
import secrets
import sqlite3
import tempfile
from datetime import timedelta
from pathlib import Path

from _server import Server, add_enrolled_patient, run_wrk, running_server, sign_in
from afterglow.accounts.models import Clinic
from afterglow.accounts.passwords import hash_password_sync
from afterglow.clock import utcnow
from afterglow.db import create_engine, session_maker
from afterglow.history import schemas
from afterglow.history.service import import_history
from afterglow.settings import Settings

PASSWORD = "bench-password-1"
HERE = Path(__file__).parent


def email(n: int) -> str:
    return f"bench-patient-{n:03d}@bench.afterglow.test"


def in_relief(now_days_ago: int = 0) -> schemas.HistoryImport:
    """Induction ending 20 days ago, baseline 20, responding since; a mood every evening."""
    now = utcnow() - timedelta(days=now_days_ago)
    phq9 = schemas.ImportedCheckin
    return schemas.HistoryImport(
        infusions=[
            schemas.ImportedInfusion(now - timedelta(days=d), "iv", "induction", dose_mg_per_kg=0.5)
            for d in (30, 28, 26, 24, 22, 20)
        ],
        checkins=[
            phq9("phq9", [3, 3, 3, 3, 2, 2, 2, 1, 0], now - timedelta(days=32)),
            phq9("phq9", [1, 1, 1, 1, 1, 0, 0, 0, 0], now - timedelta(days=13)),
            phq9("phq9", [1, 1, 1, 1, 0, 0, 0, 0, 0], now - timedelta(days=6)),
            *[phq9("mood", [7], now - timedelta(days=d, hours=1)) for d in range(1, 20)],
        ],
    )


def add_bench_clinic(patients: int):  # type: ignore[no-untyped-def]
    async def prepare(settings: Settings) -> None:
        engine = create_engine(settings)
        password_hash = hash_password_sync(PASSWORD)
        async with session_maker(engine)() as db:
            now = utcnow()
            clinic = Clinic(name="Bench Clinic", created_at=now)
            db.add(clinic)
            await db.flush()
            for n in range(patients):
                patient = await add_enrolled_patient(
                    db, clinic, email(n), f"Bench Patient {n:03d}", password_hash, now
                )
                await import_history(db, patient, in_relief(), now, recorded_by=None)
            await db.commit()
        await engine.dispose()

    return prepare


def count_checkins(server: Server) -> int:
    database = server.settings.database_url.split("///", 1)[1]
    with sqlite3.connect(database) as connection:
        return int(connection.execute("SELECT count(*) FROM checkin").fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--patients", type=int, default=100)
    args = parser.parse_args()
    load = {"seconds": args.seconds, "connections": args.connections}

    with running_server(prepare=add_bench_clinic(args.patients)) as server:
        health_url = f"{server.url}/api/health"
        run_wrk(health_url, seconds=2, connections=args.connections)  # warm up
        health = run_wrk(health_url, **load)

        # One line per patient: "cookie<TAB>csrf", read by the wrk script.
        sessions = Path(tempfile.mkdtemp()) / "sessions.tsv"
        sessions.write_text(
            "".join(
                "\t".join(sign_in(server.url, email(n), PASSWORD)) + "\n"
                for n in range(args.patients)
            )
        )
        script = str(HERE / "checkin_post.lua")
        # Each run gets its own run id, so no key of the measured run replays the warm-up's.
        env = {"BENCH_SESSIONS": str(sessions), "BENCH_RUN": secrets.token_hex(4)}
        run_wrk(server.url, seconds=2, connections=args.connections, script=script, env=env)
        env["BENCH_RUN"] = secrets.token_hex(4)
        stored_before = count_checkins(server)
        checkins = run_wrk(server.url, script=script, env=env, **load)
        stored = count_checkins(server) - stored_before

    acknowledged = checkins.requests - checkins.non_2xx
    print(f"patients={args.patients}")
    print(f"health_rps={health.requests_per_second:.0f} (socket errors {health.errors})")
    print(f"checkin_rps={checkins.requests_per_second:.0f} (socket errors {checkins.errors})")
    print(f"checkins_acknowledged={acknowledged} checkins_stored={stored}")
    if checkins.non_2xx or checkins.errors or stored < acknowledged:
        print("warning: not every request became one stored check-in")
    print(f"ratio={checkins.requests_per_second / health.requests_per_second:.3f}")


if __name__ == "__main__":
    main()
