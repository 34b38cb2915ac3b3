"""Every setting an operator can change is read from the environment, and a wrong value stops
start-up with a message that names the variable."""

from pathlib import Path

import pytest

from afterglow.settings import Settings


def settings(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env({"AFTERGLOW_DATA_DIR": str(tmp_path), **env})


def test_session_enrollment_and_sign_in_limits_come_from_the_environment(tmp_path: Path):
    chosen = settings(
        tmp_path,
        AFTERGLOW_PATIENT_SESSION_DAYS="14",
        AFTERGLOW_STAFF_SESSION_HOURS="8",
        AFTERGLOW_ENROLLMENT_DAYS="3",
        AFTERGLOW_LOGIN_WINDOW_MINUTES="30",
        AFTERGLOW_LOGIN_MAX_FAILURES_PER_ACCOUNT="4",
        AFTERGLOW_LOGIN_MAX_FAILURES_PER_ADDRESS="50",
    )
    assert (chosen.patient_session_days, chosen.staff_session_hours) == (14, 8)
    assert chosen.enrollment_days == 3
    assert chosen.login_window_minutes == 30
    assert chosen.login_max_failures_per_account == 4
    assert chosen.login_max_failures_per_address == 50
    defaults = settings(tmp_path)
    assert (defaults.patient_session_days, defaults.staff_session_hours) == (30, 12)


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_a_setting_out_of_range_names_the_variable(tmp_path: Path, value: str):
    with pytest.raises(ValueError, match="AFTERGLOW_STAFF_SESSION_HOURS"):
        settings(tmp_path, AFTERGLOW_STAFF_SESSION_HOURS=value)
