"""Afterglow: an outcome tracker for ketamine therapy clinics."""

from sqlmodel import SQLModel

__version__ = "0.1.0"

# Named constraints, set before any table is defined, so that Alembic can alter them later
# (SQLite batch migrations cannot drop a constraint that has no name).
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
