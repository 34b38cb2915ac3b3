"""What a service refuses on the command line: the message on stderr, each field to fix on its own
line, exit status 2, and nothing stored. The CLI knows nothing of HTTP."""

from __future__ import annotations

import ast
import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

import afterglow.cli
from afterglow.cli import main
from afterglow.infusions.models import Infusion
from conftest import World


@pytest.fixture
def cli_env(settings, monkeypatch) -> None:
    monkeypatch.setenv("AFTERGLOW_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("AFTERGLOW_DATABASE_URL", settings.database_url)


async def run(*args: str) -> int:
    # The command runs its own event loop, as it does from a shell.
    return await asyncio.to_thread(main, list(args))


def write(tmp_path: Path, content: str) -> str:
    path = tmp_path / "history.json"
    path.write_text(content)
    return str(path)


async def test_an_unknown_patient_is_said_and_exits_2(
    world: World, cli_env, tmp_path, capsys
) -> None:
    path = write(tmp_path, json.dumps({"checkins": []}))
    assert await run("import", "987654", path) == 2
    captured = capsys.readouterr()
    assert captured.err.strip() == "No patient 987654."
    assert "Traceback" not in captured.err


async def test_records_to_fix_are_listed_by_field_and_nothing_is_stored(
    world: World, cli_env, db, tmp_path, capsys
) -> None:
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    past = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    records = {
        "infusions": [
            {"given_at": past, "route": "iv", "kind": "induction"},
            {"given_at": future, "route": "iv", "kind": "induction"},
        ]
    }
    path = write(tmp_path, json.dumps(records))
    assert await run("import", str(world.patient_a1.id), path) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "1 record(s) need fixing; nothing was imported.",
        "  infusions[1].given_at: is in the future",
    ]
    assert await db.scalar(select(func.count()).select_from(Infusion)) == 0


@pytest.mark.parametrize(
    "content",
    ["{not json", json.dumps({"infusions": [{"given_at": "yesterday", "route": "iv"}]})],
    ids=["not JSON", "wrong shape"],
)
async def test_a_file_that_is_not_an_import_names_the_file(
    world: World, cli_env, tmp_path, capsys, content: str
) -> None:
    path = write(tmp_path, content)
    assert await run("import", str(world.patient_a1.id), path) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"{path}: ")


async def test_a_taken_email_on_create_admin_is_said_and_exits_2(
    world: World, cli_env, capsys
) -> None:
    args = ["create-admin", "--clinic", "Synthetic Clinic A", "--email", "doc@a.test"]
    assert await run(*args, "--name", "Doc", "--password", "long enough password") == 2
    assert capsys.readouterr().err.strip() == (
        "An account of Synthetic Clinic A with email doc@a.test already exists."
    )


def test_the_cli_imports_no_controller_and_no_http_exception() -> None:
    tree = ast.parse(Path(afterglow.cli.__file__).read_text())
    modules = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)} | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert not [m for m in modules if m.endswith(".routes") or m.startswith("litestar")]
