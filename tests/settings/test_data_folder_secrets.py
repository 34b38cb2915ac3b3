"""Processes that start together on a new data folder (`serve --workers`, a worker beside the app)
must all end up with the same signing secret and VAPID key, never a half-written one."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

from afterglow.push.vapid import load_vapid
from afterglow.settings import Settings

STARTERS = 8


def _start(data_dir: str, ready: Any, out: Any) -> None:
    ready.wait()
    settings = Settings.from_env({"AFTERGLOW_DATA_DIR": data_dir})
    out.put((settings.secret_key, load_vapid(settings).public_key))


def test_processes_starting_together_on_a_new_data_folder_share_one_secret_and_one_vapid_key(
    tmp_path: Path,
) -> None:
    context = multiprocessing.get_context("fork")
    data_dir = tmp_path / "data"
    for _round in range(3):
        for leftover in data_dir.glob("*") if data_dir.exists() else []:
            leftover.unlink()
        ready = context.Barrier(STARTERS)
        out = context.Queue()
        starters = [
            context.Process(target=_start, args=(str(data_dir), ready, out))
            for _ in range(STARTERS)
        ]
        for process in starters:
            process.start()
        seen = [out.get(timeout=20) for _ in starters]
        for process in starters:
            process.join(timeout=20)
            assert process.exitcode == 0

        secrets_seen = {secret for secret, _ in seen}
        keys_seen = {key for _, key in seen}
        assert len(secrets_seen) == 1 and "" not in secrets_seen
        assert len(keys_seen) == 1
        # What a process starting later reads is what they all used; no drafts are left behind.
        later = Settings.from_env({"AFTERGLOW_DATA_DIR": str(data_dir)})
        assert later.secret_key in secrets_seen
        assert load_vapid(later).public_key in keys_seen
        assert sorted(p.name for p in data_dir.iterdir()) == ["secret_key", "vapid_private_key"]
