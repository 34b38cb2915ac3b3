"""clinic settings shape

Clinic settings become strict (a key the shape does not know is refused). Rows stored before
may hold keys no release reads (hand edits, older releases, fields of crisis resources), crisis
resource kinds outside the list, or relief threshold names that do not exist; every release
ignored them. Drop them, and file unknown resource kinds under "other", so that every stored
row validates under the strict shape.

The shape is written out here as it is at this revision, not imported: a later release that
changes the shape writes its own migration, and this one must keep meaning what it meant.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 08:10:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SETTINGS_KEYS = frozenset(
    {
        "crisis_resources",
        "not_emergency_notice",
        "alert_window_hours",
        "urgent_alert_window_hours",
        "on_call_contact",
        "on_call_user_id",
        "relief",
    }
)
RESOURCE_KEYS = frozenset({"label", "contact", "kind"})
RESOURCE_KINDS = frozenset({"phone", "text", "chat", "emergency", "other"})
RELIEF_THRESHOLDS = frozenset(
    {
        "baseline_window_days",
        "new_course_after_days",
        "response_fraction",
        "minimal_important_difference",
        "remission_below",
        "reliable_worsening_points",
        "gad7_minimal_important_difference",
        "course_gap_days",
        "nadir_window_days",
        "relapse_min_score",
        "confirm_after_days",
        "immediate_relapse_item9",
        "follow_up_gap_days",
        "half_life_fraction",
        "min_events_for_median",
        "survival_landmark_days",
        "waning_window_days",
        "waning_min_days",
        "waning_drop",
        "booster_margin_days",
        "booster_min_window_days",
    }
)

clinic = sa.table("clinic", sa.column("id", sa.Integer), sa.column("settings", sa.JSON))


def _resource(stored: Any) -> Any:
    if not isinstance(stored, dict):
        return stored
    kept = {k: v for k, v in stored.items() if k in RESOURCE_KEYS}
    if "kind" in kept and kept["kind"] not in RESOURCE_KINDS:
        kept["kind"] = "other"
    return kept


def strict_shape(stored: dict[str, Any]) -> dict[str, Any]:
    """One row's settings with only what the strict shape knows."""
    kept = {k: v for k, v in stored.items() if k in SETTINGS_KEYS}
    resources = kept.get("crisis_resources")
    if isinstance(resources, dict):
        kept["crisis_resources"] = {
            locale: [_resource(r) for r in listed] if isinstance(listed, list) else listed
            for locale, listed in resources.items()
        }
    relief = kept.get("relief")
    if isinstance(relief, dict):
        kept["relief"] = {k: v for k, v in relief.items() if k in RELIEF_THRESHOLDS}
    return kept


def upgrade() -> None:
    bind = op.get_bind()
    for clinic_id, stored in bind.execute(sa.select(clinic.c.id, clinic.c.settings)).all():
        if not isinstance(stored, dict):
            continue
        shaped = strict_shape(stored)
        if shaped != stored:
            bind.execute(clinic.update().where(clinic.c.id == clinic_id).values(settings=shaped))


def downgrade() -> None:
    # What upgrade dropped was ignored by every release: there is nothing to put back.
    pass
