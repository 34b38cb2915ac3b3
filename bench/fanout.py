"""How close the reminder tick gets to the cost of the cryptography itself.

At 20:00 in a large time zone thousands of reminders fall due at once. In one run this measures,
in messages per second:

- crypto floor: encrypting (aes128gcm, a fresh ECDH key per message) and VAPID-signing each
  message on one core, with no I/O at all: what no sender can beat;
- sequential: a plain `pywebpush.webpush` loop over 200 messages, one after the other;
- tick: 10,000 due reminders through the real tick (claim the plans, queue the messages, claim
  them, encrypt, sign, send, record each outcome) on PostgreSQL, to a push sink in another
  process that answers each message after 50 ms, as a real push service would.

The tick runs in one process, then in `--instances` processes at once (default: one per core),
as app instances or `afterglow worker`s on one database would (on uvloop, as they run); the
database shares the work out.
With each rate it prints the CPU time the tick processes spent per message (the database's and
the sink's not counted), to tell a slow tick from one waiting for a core on a busy machine.
Prints each rate, `vs_sequential=<tick / sequential>` (target >= 100) and last
`ratio=<tick / crypto floor>` (target >= 0.5), both for `--instances`. The machine is shared and
noisy: only ratios within one run mean anything.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pywebpush import WebPusher, webpush

from _reminder_load import bench_database, seed_patients
from _server import free_port
from afterglow.cli import run_on_uvloop
from afterglow.db import create_engine
from afterglow.push.delivery import PushSender
from afterglow.push.vapid import load_vapid
from afterglow.settings import Settings
from afterglow.worker import ReminderTick

DUE = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)  # 20:00 in New York
PAYLOAD = (
    '{"title":"How is your mood today?","body":"Tap to log it: it takes a few seconds.",'
    '"url":"/#/checkin/mood","kind":"daily_mood","tag":"mood","lang":"en"}'
)


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def browser_keys() -> tuple[str, str]:
    """A real subscription's p256dh and auth (every bench device shares them)."""
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return b64url(point), b64url(os.urandom(16))


def crypto_floor(settings: Settings, endpoint: str, keys: tuple[str, str], count: int) -> float:
    """Messages per second of encryption plus VAPID signing alone, on this one core."""
    vapid = load_vapid(settings)
    subscription = {"endpoint": endpoint, "keys": {"p256dh": keys[0], "auth": keys[1]}}
    started = time.perf_counter()
    for _ in range(count):
        WebPusher(subscription).encode(PAYLOAD.encode(), "aes128gcm")
        vapid.signer.sign(
            {"sub": vapid.subject, "aud": endpoint.rsplit("/push", 1)[0], "exp": 2_000_000_000}
        )
    return count / (time.perf_counter() - started)


def sequential(settings: Settings, endpoint: str, keys: tuple[str, str], count: int) -> float:
    vapid = load_vapid(settings)
    subscription = {"endpoint": endpoint, "keys": {"p256dh": keys[0], "auth": keys[1]}}
    started = time.perf_counter()
    for _ in range(count):
        webpush(
            subscription,
            PAYLOAD,
            vapid_private_key=vapid.signer,
            vapid_claims={"sub": vapid.subject},
            ttl=3600,
        )
    return count / (time.perf_counter() - started)


def tick_rate(
    settings: Settings, sink: str, keys: tuple[str, str], count: int, instances: int
) -> tuple[float, float]:
    """Messages per second of `instances` processes ticking at once over `count` due reminders,
    and the CPU seconds those processes spent per message (the database's own is not counted)."""
    engine_ready = asyncio.run(_seed(settings, sink, keys, count))
    assert engine_ready
    env = {
        **os.environ,
        "AFTERGLOW_DATABASE_URL": settings.database_url,
        "AFTERGLOW_DATA_DIR": str(settings.data_dir),
    }
    children = [
        subprocess.Popen(
            [sys.executable, __file__, "--instance"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        for _ in range(instances)
    ]
    for child in children:
        assert child.stdout is not None and child.stdout.readline().strip() == b"ready"
    started = time.perf_counter()
    for child in children:
        assert child.stdin is not None
        child.stdin.write(b"go\n")
        child.stdin.flush()
    delivered = 0
    cpu = 0.0
    for child in children:
        out, _ = child.communicate(timeout=600)
        delivered += int(out.split()[-2])
        cpu += float(out.split()[-1])
    elapsed = time.perf_counter() - started
    assert delivered == count, (delivered, count)
    return count / elapsed, cpu / count


async def _seed(settings: Settings, sink: str, keys: tuple[str, str], count: int) -> bool:
    engine = create_engine(settings)
    try:
        await seed_patients(
            engine, count, due_at=DUE, due=count, endpoint_base=sink, p256dh=keys[0], auth=keys[1]
        )
    finally:
        await engine.dispose()
    return True


async def one_instance() -> None:
    """A tick process of `tick_rate`: connect, warm up, wait for `go`, tick once, print the count
    and the CPU seconds the tick took."""
    settings = Settings.from_env()
    engine = create_engine(settings)
    async with PushSender(load_vapid(settings)) as sender:
        tick = ReminderTick(engine, sender, clock=lambda: DUE + timedelta(seconds=5))
        async with engine.connect():
            pass
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        cpu_before = time.process_time()
        report = await tick()
        cpu = time.process_time() - cpu_before
    await engine.dispose()
    print(report.delivered, cpu, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.05, help="sink answer delay (s)")
    parser.add_argument(
        "--instances",
        type=int,
        default=os.cpu_count() or 1,
        help="tick processes at once, like app instances on one database (default: one per core)",
    )
    parser.add_argument("--instance", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.instance:
        # As `afterglow worker` runs the tick: on uvloop where installed.
        run_on_uvloop(one_instance())
        return
    port = free_port()
    sink = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("_push_sink.py")),
            str(port),
            str(args.latency),
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert sink.stdout is not None and sink.stdout.readline().strip() == b"ready"
        base = f"http://127.0.0.1:{port}"
        keys = browser_keys()
        with bench_database() as settings:
            floor = crypto_floor(settings, f"{base}/push/0", keys, 2_000)
            print(f"crypto floor: {floor:,.0f} messages/s (one core, no I/O)", flush=True)
            plain = sequential(settings, f"{base}/push/0", keys, 200)
            print(f"sequential pywebpush.webpush: {plain:,.0f} messages/s", flush=True)
        rates = {}
        for instances in sorted({1, args.instances}):
            before = int(urllib.request.urlopen(f"{base}/count").read())
            with bench_database() as settings:
                rates[instances], cpu = tick_rate(settings, base, keys, args.messages, instances)
            accepted = int(urllib.request.urlopen(f"{base}/count").read()) - before
            # CPU per message says where a low rate comes from on a busy machine: time the
            # tick spent, or time it waited for a core (or the database).
            print(
                f"tick, {instances} instance(s): {rates[instances]:,.0f} messages/s "
                f"({args.messages:,} due, {accepted:,} accepted by the sink; "
                f"{cpu * 1000:.2f} ms CPU per message in the tick processes, "
                f"crypto floor {1000 / floor:.2f} ms)",
                flush=True,
            )
        rate = rates[args.instances]
        print(f"vs_sequential={rate / plain:.0f}")
        print(f"ratio={rate / floor:.2f}")
    finally:
        sink.terminate()
        sink.wait(timeout=10)


if __name__ == "__main__":
    main()
