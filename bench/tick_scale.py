"""Does a reminder tick cost what is due, or how many patients the database holds?

Every instance ticks every 15 s, mostly finding nothing to do; that idle tick must stay cheap
when the clinic network grows. In one run on PostgreSQL this seeds a database with 1,000
patients' reminder schedules and another with 1,000,000 (each with one reminder already sent),
none due, and times the real tick (plan, escalate, deliver) on each: the best of `--rounds`.
Prints both times and last `ratio=<t(1,000,000) / t(1,000)>` (target <= 2). `--quick` uses
100,000 instead of 1,000,000 for a smoke run (seeding a million takes a minute or two).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime

from _reminder_load import bench_database, seed_patients
from afterglow.db import create_engine
from afterglow.push.delivery import PushSender
from afterglow.push.vapid import load_vapid
from afterglow.settings import Settings
from afterglow.worker import ReminderTick

NOW = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)


def idle_tick_seconds(count: int, rounds: int) -> float:
    with bench_database() as settings:
        return asyncio.run(_idle_tick_seconds(settings, count, rounds))


async def _idle_tick_seconds(settings: Settings, count: int, rounds: int) -> float:
    engine = create_engine(settings)
    try:
        started = time.perf_counter()
        await seed_patients(engine, count, due_at=NOW, due=0, sent_messages=True)
        print(f"seeded {count:,} schedules in {time.perf_counter() - started:.1f} s", flush=True)
        async with PushSender(load_vapid(settings)) as sender:
            tick = ReminderTick(engine, sender, clock=lambda: NOW)
            await tick()  # warm the connection pool and statement caches
            best = float("inf")
            for _ in range(rounds):
                started = time.perf_counter()
                report = await tick()
                best = min(best, time.perf_counter() - started)
                assert report.planned == report.delivered == 0, report
        return best
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--quick", action="store_true", help="100,000 instead of 1,000,000")
    args = parser.parse_args()
    large = 100_000 if args.quick else 1_000_000
    small_s = idle_tick_seconds(1_000, args.rounds)
    large_s = idle_tick_seconds(large, args.rounds)
    print(f"idle tick among {1_000:,} schedules: {small_s * 1000:.2f} ms")
    print(f"idle tick among {large:,} schedules: {large_s * 1000:.2f} ms")
    print(f"ratio={large_s / small_s:.2f}")


if __name__ == "__main__":
    main()
