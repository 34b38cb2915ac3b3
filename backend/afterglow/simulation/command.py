"""`afterglow simulate`: one simulated clinic, and what it printed."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

from afterglow.simulation.clinic import RunStats, SimulationConfig, SimulationResult, run_simulation
from afterglow.simulation.measure import describe
from afterglow.simulation.sources import describe_sources


def report(result: SimulationResult, stats: RunStats | None = None) -> list[str]:
    """The run's figures: what happened, the detection measure, and the sources."""
    lines = [result.config.describe(), *result.describe(), *describe(result.measure())]
    if stats is not None:
        lines.append(
            f"ran {stats.steps} steps and {stats.ticks} reminder ticks in {stats.seconds:.0f} s"
        )
    return lines


def quiet_logs() -> None:
    """Every request of the simulated phones would be a log line; warnings still show."""
    for name in ("httpx", "afterglow"):
        logging.getLogger(name).setLevel(logging.WARNING)


def simulate(config: SimulationConfig, data_dir: Path | None) -> int:
    quiet_logs()

    def progress(text: str) -> None:
        print(f"\r{text}   ", end="", file=sys.stderr, flush=True)

    result, stats = asyncio.run(run_simulation(config, data_dir=data_dir, progress=progress))
    print(file=sys.stderr)
    print(*report(result, stats), sep="\n")
    print("\nWhere the simulated clinic's figures come from:")
    print(*(f"  {line}" for line in describe_sources(config.adherence)), sep="\n")
    return 0
