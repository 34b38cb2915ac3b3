"""when each clinical record last changed (updated_at), for exports' `_since`

Check-ins, safety alerts and patients get `updated_at`; clinical events already had one, set
only by corrections, and now always have it. Each is filled from what the row says of its
history: a check-in was received (it is never changed), an alert was raised, escalated or
acknowledged, an event was recorded, corrected or entered in error, a patient enrolled. An
infusion marked entered in error counts as changed then.

The new columns are added NOT NULL with a placeholder default (SQLite cannot make a column
NOT NULL without copying its table, which the tables that reference patients, check-ins and
alerts refuse) and filled at once; on PostgreSQL the placeholder is then dropped.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Never read: every row is filled from its own times in the same migration.
_PLACEHOLDER = {
    "sqlite": "'1970-01-01 00:00:00.000000'",
    "postgresql": "'1970-01-01 00:00:00+00'",
}
# table -> the columns whose latest value is when the row last changed, the first never null.
_NEW = {
    "checkin": ("received_at",),
    "safety_alert": ("created_at", "escalated_at", "acknowledged_at"),
    "patient": ("created_at",),
}


def _fill_latest(table: str, columns: Sequence[str]) -> None:
    """`updated_at` = the latest of the columns, in portable SQL (SQLite's max() of several
    values is null when one is; PostgreSQL's GREATEST skips nulls)."""
    rows = sa.table(table, *(sa.column(name) for name in {"updated_at", *columns}))
    op.execute(rows.update().values(updated_at=rows.c[columns[0]]))
    for name in columns[1:]:
        later = rows.c[name]
        op.execute(
            rows.update()
            .where(later.is_not(None), later > rows.c.updated_at)
            .values(updated_at=later)
        )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table, columns in _NEW.items():
        op.add_column(
            table,
            sa.Column(
                "updated_at",
                sqlmodel.sql.sqltypes.UTCDateTime(),
                nullable=False,
                server_default=sa.text(_PLACEHOLDER[dialect]),
            ),
        )
        _fill_latest(table, columns)
        if dialect == "postgresql":
            op.alter_column(table, "updated_at", server_default=None)

    events = sa.table("clinical_event", sa.column("updated_at"), sa.column("created_at"))
    op.execute(
        events.update().where(events.c.updated_at.is_(None)).values(updated_at=events.c.created_at)
    )
    _fill_latest("clinical_event", ("updated_at", "deleted_at"))
    # Nothing references clinical events, so SQLite may copy the table to make it NOT NULL.
    with op.batch_alter_table("clinical_event", schema=None) as batch_op:
        batch_op.alter_column(
            "updated_at", existing_type=sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False
        )
    _fill_latest("infusion", ("updated_at", "deleted_at"))


def downgrade() -> None:
    with op.batch_alter_table("clinical_event", schema=None) as batch_op:
        batch_op.alter_column(
            "updated_at", existing_type=sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True
        )
    # Before, an event's updated_at said it had been corrected: keep it only where it was.
    events = sa.table("clinical_event", sa.column("updated_at"), sa.column("updated_by"))
    op.execute(events.update().where(events.c.updated_by.is_(None)).values(updated_at=None))
    for table in reversed(list(_NEW)):
        op.drop_column(table, "updated_at")
