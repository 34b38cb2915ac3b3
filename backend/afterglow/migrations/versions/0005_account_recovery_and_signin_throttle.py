"""account recovery and sign-in throttle

Emails become unique per clinic (no answer of one clinic reveals another's accounts); invites
can reset an existing account's password and count refused claims; sign-in failures become
progressive delays per key; audit rows written before the trail kept content out lose it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 08:10:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Actions whose audit detail carried clinical content (a note, a kind, a level, changed values)
# or search words, as written up to this revision.
_ACTIONS_WITH_CONTENT = (
    "alert.acknowledge",
    "alert.escalate",
    "event.create",
    "infusion.update",
    "patients.list",
    "patients.triage",
    "clinic.settings.update",
)
# The rule of afterglow.audit.service.audit_detail when this revision was written, frozen here
# so that this migration does the same thing whatever the rule becomes.
_FACT_KEYS = {
    "count",
    "shown",
    "checkins",
    "infusions",
    "events",
    "role",
    "is_active",
    "instrument",
}


def _kept(key: str, value: Any) -> bool:
    if key.endswith("_id") or key.endswith("_ids") or key == "recipients":
        if isinstance(value, list):
            return all(isinstance(item, int) for item in value)
        return value is None or (isinstance(value, int) and not isinstance(value, bool))
    return key in _FACT_KEYS and (value is None or isinstance(value, int | bool | str))


def _scrubbed(detail: dict[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, value in detail.items():
        if _kept(key, value):
            kept[key] = value
        elif isinstance(value, dict):
            kept[key] = sorted(str(field) for field in value)
    return kept


def _scrub_audit_details() -> None:
    audit = sa.table(
        "audit_event",
        sa.column("id", sa.Integer()),
        sa.column("action", sa.String()),
        sa.column("detail", sa.JSON()),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(audit.c.id, audit.c.action, audit.c.detail).where(
            audit.c.action.in_(_ACTIONS_WITH_CONTENT)
        )
    ).all()
    for row_id, action, detail in rows:
        if not isinstance(detail, dict):
            continue
        # Settings rows held the whole settings object: keep which settings they set.
        kept = (
            {"changes": sorted(detail)} if action == "clinic.settings.update" else _scrubbed(detail)
        )
        if kept != detail:
            bind.execute(audit.update().where(audit.c.id == row_id).values(detail=kept))


def _foreign_keys_off_on_sqlite(expected_version: str) -> None:
    """SQLite alters app_user by copying it into a new table and dropping the old one, which the
    tables that reference it refuse while foreign keys are enforced. The pragma only takes effect
    outside a transaction, so the migration's transaction is committed (it holds only the
    revisions before this one, with their version) and a new one begun. The connection is the
    migration's own; the app's connections turn foreign keys on when they open."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("COMMIT")
        op.execute("PRAGMA foreign_keys=OFF")
        op.execute("BEGIN IMMEDIATE")
        # Between the two transactions another process (a worker started at the same moment)
        # may have taken the write lock and migrated: say so rather than fail on its tables.
        version = op.get_bind().exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        if version != expected_version:
            raise RuntimeError(
                f"another process migrated this database to {version} meanwhile; start again"
            )


def _check_foreign_keys_on_sqlite() -> None:
    if op.get_bind().dialect.name == "sqlite":
        broken = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").all()
        if broken:
            raise RuntimeError(f"references broken by migration 0005: {broken[:5]}")


def upgrade() -> None:
    _foreign_keys_off_on_sqlite(expected_version="0004")
    op.create_table(
        "login_throttle",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("retry_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttle")),
    )
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.drop_index("ix_login_failure_key_at")
    op.drop_table("login_failure")

    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_app_user_email"), type_="unique")
        batch_op.create_unique_constraint("uq_app_user_clinic_email", ["clinic_id", "email"])
        batch_op.create_index(batch_op.f("ix_app_user_email"), ["email"], unique=False)

    with op.batch_alter_table("invite", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reset_user_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("failed_claims", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_index(
            batch_op.f("ix_invite_reset_user_id"), ["reset_user_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_invite_reset_user_id_app_user"), "app_user", ["reset_user_id"], ["id"]
        )

    _scrub_audit_details()
    _check_foreign_keys_on_sqlite()


def downgrade() -> None:
    _foreign_keys_off_on_sqlite(expected_version="0005")
    with op.batch_alter_table("invite", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_invite_reset_user_id_app_user"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_invite_reset_user_id"))
        batch_op.drop_column("failed_claims")
        batch_op.drop_column("reset_user_id")

    # Fails while two clinics have an account with the same email: that is for a person to sort.
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_app_user_email"))
        batch_op.drop_constraint("uq_app_user_clinic_email", type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_app_user_email"), ["email"])

    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failure")),
    )
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.create_index("ix_login_failure_key_at", ["key", "at"], unique=False)
    op.drop_table("login_throttle")
    _check_foreign_keys_on_sqlite()
