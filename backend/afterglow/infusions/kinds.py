"""The one list of treatment routes, infusion kinds and clinical event kinds.

Pure (typing only): the request schemas, the relief analysis (relief/facts.py, which must not
import the database) and the API's descriptions all read these.
"""

from __future__ import annotations

from typing import Literal, get_args

Route = Literal["iv", "im", "intranasal", "oral", "sublingual"]
InfusionKind = Literal["induction", "scheduled_booster", "symptom_triggered_booster"]
EventKind = Literal["hospitalisation", "suicide_attempt", "medication_change", "ect_tms_start"]
# Racemic ketamine (IV, IM, oral, sublingual or compounded nasal) or esketamine (nasal spray only).
Drug = Literal["racemic_ketamine", "esketamine"]

ROUTES: tuple[Route, ...] = get_args(Route)
INFUSION_KINDS: tuple[InfusionKind, ...] = get_args(InfusionKind)
EVENT_KINDS: tuple[EventKind, ...] = get_args(EventKind)
DRUGS: tuple[Drug, ...] = get_args(Drug)


def either(names: tuple[str, ...]) -> str:
    """`a, b or c`: the kinds as a sentence names them."""
    return f"{', '.join(names[:-1])} or {names[-1]}"
