"""`afterglow create-admin`: the first admin of a new clinic, from the command line (SQLite)."""

import asyncio

from sqlalchemy import select

from afterglow.accounts.models import Clinic, User
from afterglow.accounts.passwords import verify_password
from afterglow.cli import main
from afterglow.db import create_engine, session_maker
from afterglow.settings import Settings


def test_it_creates_a_clinic_and_its_first_admin_who_can_sign_in(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AFTERGLOW_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("AFTERGLOW_DATABASE_URL", raising=False)
    code = main(
        [
            "create-admin",
            "--clinic",
            "Synthetic Test Clinic",
            "--email",
            "Boss@Clinic.test",
            "--name",
            "Synthetic Boss",
            "--password",
            "a long enough password",
        ]
    )
    assert code == 0
    assert "boss@clinic.test" in capsys.readouterr().out

    async def stored() -> tuple[str, str, str, bool]:
        engine = create_engine(Settings.from_env({"AFTERGLOW_DATA_DIR": str(tmp_path)}))
        async with session_maker(engine)() as db:
            user, clinic = (await db.execute(select(User, Clinic).join(Clinic))).one()
            ok = await verify_password(user.password_hash, "a long enough password")
        await engine.dispose()
        return user.email, user.role, clinic.name, ok

    assert asyncio.run(stored()) == ("boss@clinic.test", "admin", "Synthetic Test Clinic", True)


def test_it_refuses_a_short_password_and_a_taken_email(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AFTERGLOW_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("AFTERGLOW_DATABASE_URL", raising=False)
    args = ["create-admin", "--clinic", "C", "--email", "a@c.test", "--name", "A"]
    assert main([*args, "--password", "short"]) == 2
    assert "at least 10 characters" in capsys.readouterr().err
    assert main([*args, "--password", "long enough password"]) == 0
    assert main([*args, "--password", "long enough password"]) == 2
    assert "already exists" in capsys.readouterr().err
