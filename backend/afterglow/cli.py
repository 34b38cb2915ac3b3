"""The `afterglow` command: serve, worker, migrate, demo, create-admin, import, vapid, backup, restore,
simulate."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import sys
from collections.abc import Coroutine, Sequence
from typing import TYPE_CHECKING, Any

from afterglow.settings import Settings

if TYPE_CHECKING:
    from afterglow.errors import DomainError


def serve(settings: Settings, workers: int = 1) -> None:
    import uvicorn

    from afterglow.backup import hold_serving_lock
    from afterglow.db import migrate

    hold_serving_lock(settings)
    migrate(settings)
    if workers > 1:
        _share_metrics_between_workers(settings)
    print(
        f"Afterglow on {settings.public_url}  (API docs: {settings.public_url}/schema)", flush=True
    )
    uvicorn.run(
        "afterglow.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        log_level="warning",
        proxy_headers=settings.trust_proxy_headers,
    )


def _share_metrics_between_workers(settings: Settings) -> None:
    """Worker processes write their metrics to one folder, so any of them answers a scrape with
    the sum of all (prometheus_client's multiprocess mode; set before the workers start)."""
    import os

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return  # the operator's folder, perhaps shared with `afterglow worker`: theirs to manage
    folder = settings.data_dir / "metrics"
    folder.mkdir(parents=True, exist_ok=True)
    # Counts of an earlier run would be added to this one's.
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


def worker(settings: Settings) -> int:
    """The reminder tick without HTTP, for a dedicated instance (web ones set AFTERGLOW_SCHEDULER=off)."""
    import logging

    from afterglow.backup import hold_serving_lock
    from afterglow.db import create_engine, migrate
    from afterglow.worker import run_worker

    hold_serving_lock(settings)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    migrate(settings)
    print(f"Afterglow worker: a reminder tick every {settings.tick_seconds:g} s", flush=True)

    async def run() -> None:
        engine = create_engine(settings)
        try:
            await run_worker(settings, engine)
        finally:
            await engine.dispose()

    with contextlib.suppress(KeyboardInterrupt):
        run_on_uvloop(run())
    return 0


def run_on_uvloop(main: Coroutine[Any, Any, None]) -> None:
    """On uvloop where installed (with uvicorn[standard], as `afterglow serve` runs): the tick's
    sends take less CPU on it. Plain asyncio otherwise."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
    else:
        uvloop.run(main)


async def _create_admin(
    settings: Settings, clinic: str, email: str, name: str, password: str
) -> str:
    from afterglow.accounts.service import create_clinic_with_admin
    from afterglow.clock import utcnow
    from afterglow.db import create_engine, session_maker

    engine = create_engine(settings)
    try:
        async with session_maker(engine)() as db:
            clinic_row, admin = await create_clinic_with_admin(
                db, utcnow(), clinic_name=clinic, email=email, display_name=name, password=password
            )
            await db.commit()
            return f"Admin {admin.email} of clinic {clinic_row.name!r} (clinic id {clinic_row.id}) created."
    finally:
        await engine.dispose()


def refused(error: DomainError) -> int:
    """What a service refused, on stderr (each field to fix on its own line); exit status 2."""
    from afterglow.errors import Invalid, InvalidInput

    print(error.message, file=sys.stderr)
    if isinstance(error, InvalidInput) and not isinstance(error, Invalid):
        for problem in error.problems:
            print(f"  {problem.field}: {problem.message}", file=sys.stderr)
    return 2


def create_admin(settings: Settings, args: argparse.Namespace) -> int:
    from afterglow.accounts.passwords import password_problem
    from afterglow.db import migrate
    from afterglow.errors import DomainError

    password = args.password or getpass.getpass("Password for the new admin: ")
    problem = password_problem(password)
    if problem:
        print(f"Password not accepted: {problem}.", file=sys.stderr)
        return 2
    migrate(settings)
    try:
        print(asyncio.run(_create_admin(settings, args.clinic, args.email, args.name, password)))
    except DomainError as error:
        return refused(error)
    return 0


def demo(settings: Settings, args: argparse.Namespace) -> int:
    from afterglow.db import migrate
    from afterglow.demo.seed import DEMO_PASSWORD, seed_demo_clinic

    migrate(settings)
    summary = asyncio.run(
        seed_demo_clinic(
            settings, seed=args.seed, patients=args.patients, days=args.days, progress=True
        )
    )
    print(summary.describe())
    print(f"\nEvery demo account's password: {DEMO_PASSWORD}")
    for email in summary.logins:
        print(f"  {email}")
    if not args.no_serve:
        print()
        serve(settings, workers=args.workers)
    return 0


async def _import_history(settings: Settings, patient_id: int, raw: bytes) -> str:
    from afterglow.clock import utcnow
    from afterglow.db import create_engine, session_maker
    from afterglow.history.service import import_as_operator, parse_import_file

    data = parse_import_file(raw)
    engine = create_engine(settings)
    try:
        async with session_maker(engine)() as db:
            result = await import_as_operator(db, patient_id, data, utcnow())
            await db.commit()
    finally:
        await engine.dispose()
    return (
        f"Imported for patient {patient_id}: "
        f"{result.checkins.added} check-ins ({result.checkins.already_present} already there), "
        f"{result.infusions.added} infusions ({result.infusions.already_present} already there), "
        f"{result.events.added} events ({result.events.already_present} already there); "
        f"{result.safety_alerts_raised} safety alert(s) raised."
    )


def import_file(settings: Settings, args: argparse.Namespace) -> int:
    from afterglow.db import migrate
    from afterglow.errors import DomainError, Invalid

    migrate(settings)
    try:
        with open(args.file, "rb") as handle:
            raw = handle.read()
        print(asyncio.run(_import_history(settings, args.patient_id, raw)))
    except OSError as error:
        print(f"Cannot read {args.file}: {error}", file=sys.stderr)
        return 2
    except Invalid as error:
        if error.field != "file":
            return refused(error)
        print(f"{args.file}: {error.reason}", file=sys.stderr)
        return 2
    except DomainError as error:
        return refused(error)
    return 0


def backup_or_restore(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from afterglow.backup import BackupError, backup, restore

    try:
        if args.command == "backup":
            print(backup(settings, Path(args.path)))
        else:
            print(restore(settings, Path(args.path)))
    except BackupError as error:
        print(error, file=sys.stderr)
        return 2
    return 0


def simulate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from afterglow.simulation.clinic import SimulationConfig
    from afterglow.simulation.command import simulate as run

    config = SimulationConfig(
        patients=args.patients,
        days=args.days,
        seed=args.seed,
        adherence=args.adherence,
        adaptive=args.adaptive == "on",
        policy=args.policy,
    )
    return run(config, Path(args.data_dir) if args.data_dir else None)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="afterglow", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    p_serve = commands.add_parser("serve", help="migrate the database, then serve the API and app")
    p_serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")

    commands.add_parser("worker", help="run the reminder tick without serving HTTP")
    commands.add_parser("migrate", help="bring the database to the newest schema")
    commands.add_parser("vapid", help="print the VAPID public key (made on first use)")

    p_demo = commands.add_parser("demo", help="seed the synthetic demo clinic, print logins, serve")
    p_demo.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p_demo.add_argument("--patients", type=int, default=24, help="synthetic patients (default 24)")
    p_demo.add_argument("--days", type=int, default=270, help="days of history (default 270)")
    p_demo.add_argument("--no-serve", action="store_true", help="seed only, do not serve")
    p_demo.add_argument("--workers", type=int, default=1)

    p_admin = commands.add_parser("create-admin", help="create the first admin of a new clinic")
    p_admin.add_argument("--clinic", required=True, help="clinic name (created if new)")
    p_admin.add_argument("--email", required=True)
    p_admin.add_argument("--name", required=True, help="the admin's display name")
    p_admin.add_argument("--password", help="asked for when not given")

    p_import = commands.add_parser("import", help="import a patient's earlier records from JSON")
    p_import.add_argument("patient_id", type=int)
    p_import.add_argument("file", help="JSON with checkins, infusions and events lists")

    p_backup = commands.add_parser(
        "backup", help="copy the database to PATH (safe while Afterglow serves)"
    )
    p_backup.add_argument("path", help="the backup file to write (replaced when it exists)")
    p_restore = commands.add_parser(
        "restore", help="replace the database with the backup at PATH (stop Afterglow first)"
    )
    p_restore.add_argument("path", help="a file written by `afterglow backup`")

    p_sim = commands.add_parser(
        "simulate",
        help="run a synthetic clinic in virtual time; print how soon it learned of each relapse",
    )
    p_sim.add_argument("--patients", type=int, default=40, help="patients (default 40)")
    p_sim.add_argument("--days", type=int, default=120, help="days simulated (default 120)")
    p_sim.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p_sim.add_argument("--adherence", choices=("high", "low"), default="high")
    p_sim.add_argument("--adaptive", choices=("on", "off"), default="on", help="adaptive check-ins")
    p_sim.add_argument(
        "--policy", choices=("mixed", "scheduled", "symptom_triggered"), default="mixed"
    )
    p_sim.add_argument(
        "--data-dir", help="keep the simulation's database in this folder (default: discarded)"
    )

    args = parser.parse_args(argv)
    if args.command == "simulate":
        return simulate(args)
    settings = Settings.from_env()
    if args.command == "serve":
        serve(settings, workers=args.workers)
        return 0
    if args.command == "worker":
        return worker(settings)
    if args.command == "vapid":
        from afterglow.push.vapid import load_vapid

        print(load_vapid(settings).public_key)
        return 0
    if args.command == "migrate":
        from afterglow.db import migrate

        migrate(settings)
        print("Database is at the newest schema.")
        return 0
    if args.command == "demo":
        return demo(settings, args)
    if args.command == "create-admin":
        return create_admin(settings, args)
    if args.command == "import":
        return import_file(settings, args)
    if args.command in ("backup", "restore"):
        return backup_or_restore(settings, args)
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
