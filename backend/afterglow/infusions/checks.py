"""What a careful clinician checks before an infusion record is kept. Pure: a record is a dict of
its fields (as stored, or as it would be after a correction), and each problem names the field to
fix and says how, in clinical words.

The limits are for typing errors, not for clinical judgement: they refuse what cannot have been
given or measured (a systolic pressure of 12, esketamine by vein, 50 mg/kg), and never what is
merely unusual.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from afterglow.errors import Problem

SYSTOLIC_RANGE = (60, 260)
DIASTOLIC_RANGE = (30, 160)
# Above 3 mg/kg is an anaesthetic dose; IV and IM treatments for depression are 0.5-1 mg/kg and
# oral ones rarely above 3 mg/kg. A larger number is most often a total in mg typed as mg/kg.
MAX_MG_PER_KG = 3.0
MAX_MG = 500.0
# Esketamine nasal spray comes in devices of 28 mg; a treatment is 1, 2 or 3 of them.
ESKETAMINE_DEVICE_MG = 28
ESKETAMINE_DOSES_MG = (28.0, 56.0, 84.0)
# A dose in mg and one in mg/kg together imply a body weight; outside this they disagree.
WEIGHT_RANGE_KG = (30, 250)

READINGS = {"before": "before", "40min": "at 40 minutes", "discharge": "at discharge"}


@dataclass(frozen=True)
class Finding:
    """A problem, and every field it is about: a correction hears only of problems it touches."""

    problem: Problem
    about: frozenset[str]


def _finding(field: str, message: str, *about: str) -> Finding:
    return Finding(Problem(field, message), frozenset({field, *about}))


def _number(value: float) -> str:
    return f"{value:g}"


def blood_pressure_findings(record: Mapping[str, object]) -> list[Finding]:
    findings: list[Finding] = []
    for reading, said in READINGS.items():
        found_before = len(findings)
        systolic_field, diastolic_field = f"bp_systolic_{reading}", f"bp_diastolic_{reading}"
        systolic, diastolic = record.get(systolic_field), record.get(diastolic_field)
        assert systolic is None or isinstance(systolic, int)
        assert diastolic is None or isinstance(diastolic, int)
        low, high = SYSTOLIC_RANGE
        if systolic is not None and not low <= systolic <= high:
            findings.append(
                _finding(
                    systolic_field,
                    f"a systolic pressure of {systolic} mmHg {said} is not a reading; "
                    f"give it in mmHg, between {low} and {high}",
                )
            )
        low, high = DIASTOLIC_RANGE
        if diastolic is not None and not low <= diastolic <= high:
            findings.append(
                _finding(
                    diastolic_field,
                    f"a diastolic pressure of {diastolic} mmHg {said} is not a reading; "
                    f"give it in mmHg, between {low} and {high}",
                )
            )
        if systolic is not None and diastolic is None:
            findings.append(
                _finding(
                    diastolic_field,
                    f"give the diastolic pressure {said} with the systolic ({systolic})",
                    systolic_field,
                )
            )
        if diastolic is not None and systolic is None:
            findings.append(
                _finding(
                    systolic_field,
                    f"give the systolic pressure {said} with the diastolic ({diastolic})",
                    diastolic_field,
                )
            )
        # Swapped, when each is a reading on its own.
        in_range = len(findings) == found_before
        if systolic is not None and diastolic is not None and in_range and systolic <= diastolic:
            findings.append(
                _finding(
                    systolic_field,
                    f"the systolic pressure {said} ({systolic}) must be higher than the diastolic "
                    f"({diastolic}); were they swapped?",
                    diastolic_field,
                )
            )
    return findings


def dose_findings(record: Mapping[str, object]) -> list[Finding]:
    drug, route = record.get("drug"), record.get("route")
    per_kg, mg = record.get("dose_mg_per_kg"), record.get("dose_mg")
    assert per_kg is None or isinstance(per_kg, int | float)
    assert mg is None or isinstance(mg, int | float)
    findings = []
    if drug == "esketamine":
        if route != "intranasal":
            findings.append(
                _finding(
                    "route",
                    "esketamine is a nasal spray: the route is intranasal "
                    "(or the drug is racemic ketamine)",
                    "drug",
                )
            )
        if per_kg is not None:
            findings.append(
                _finding(
                    "dose_mg_per_kg",
                    "esketamine is dosed in mg, not mg/kg: give the dose in mg (28, 56 or 84)",
                    "drug",
                )
            )
        if mg is not None and float(mg) not in ESKETAMINE_DOSES_MG:
            findings.append(
                _finding(
                    "dose_mg",
                    f"esketamine comes in {ESKETAMINE_DEVICE_MG} mg nasal devices: "
                    f"the dose is 28, 56 or 84 mg, not {_number(mg)}",
                    "drug",
                )
            )
        return findings
    if per_kg is not None and per_kg > MAX_MG_PER_KG:
        findings.append(
            _finding(
                "dose_mg_per_kg",
                f"{_number(per_kg)} mg/kg is above {_number(MAX_MG_PER_KG)} mg/kg, an anaesthetic "
                "dose (treatments for depression are 0.5-1 mg/kg IV or IM); check the dose, or "
                "give a total in mg",
            )
        )
    if mg is not None and mg > MAX_MG:
        findings.append(
            _finding(
                "dose_mg",
                f"{_number(mg)} mg is more than {_number(MAX_MG)} mg, beyond any ketamine "
                "treatment for depression; check the dose",
            )
        )
    if per_kg is not None and mg is not None and not findings:
        weight = mg / per_kg
        low, high = WEIGHT_RANGE_KG
        if not low <= weight <= high:
            findings.append(
                _finding(
                    "dose_mg",
                    f"{_number(mg)} mg at {_number(per_kg)} mg/kg would mean a patient of "
                    f"{weight:.0f} kg; check both doses (or give only one)",
                    "dose_mg_per_kg",
                )
            )
    return findings


def infusion_problems(
    record: Mapping[str, object], changed: Collection[str] | None = None
) -> list[Problem]:
    """What to fix in this record; for a correction (`changed` given), only what it touches, so
    that a record kept before a check existed can still have its notes corrected."""
    findings = [*dose_findings(record), *blood_pressure_findings(record)]
    touched = None if changed is None else frozenset(changed)
    return [f.problem for f in findings if touched is None or f.about & touched]
