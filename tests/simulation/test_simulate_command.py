"""`afterglow simulate` runs a simulated clinic and prints what a reader needs to judge it."""

from __future__ import annotations

import pytest

from afterglow.cli import main


def test_afterglow_simulate_prints_the_measure_with_its_sources(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(["simulate", "--patients", "2", "--days", "14", "--adaptive", "off"])

    printed = capsys.readouterr().out
    assert status == 0
    assert "2 patients x 14 days" in printed and "adaptive check-ins off" in printed
    for line in ("median flag delay:", "median confirmed delay:", "extra_prompts_per_month:"):
        assert line in printed
    assert "answered: daily mood" in printed and "mood to PHQ-9" in printed
    assert "[colombo2018]" in printed and "[nahum2017]" in printed
