"""crisis help by country

Clinic settings move to the shape of issue 12: a clinic's own crisis lists are kept by country
(ISO 3166-1 alpha-2), each line worded in each language, instead of by patient language with a
"default" list for everyone; and the clinic's own not-emergency sentence goes (Afterglow's,
reviewed per language, names the emergency number of the patient's country).

Each stored row moves so:
- Lists that are still the old built-in one ({"default": the five US lines, as shipped}) are
  dropped: Afterglow's lists by country take over, in each patient's language.
- Any other lists were the clinic's own and become its list for its home country: the country
  most of its patients have (the US, whose list the old default was, when none has one). The
  "default" list gives the English labels; a language's list ("es", "es-MX"; the bare one first)
  gives its labels to the lines of the same number and kind, and adds the lines only it had,
  whose number stands in for the English label nobody wrote.
- `not_emergency_notice` is dropped.

Downgrade puts the home country's list back as "default" (English) with a list per other
language; lists of other countries, and the dropped sentence, have no place in the old shape.

The shapes are written out here as they are at this revision, not imported.

Revision ID: 0014
Revises: 0012
Create Date: 2026-11-29 17:00:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_BUILT_IN = [
    {"label": "988 Suicide & Crisis Lifeline: call", "contact": "988", "kind": "phone"},
    {"label": "988 Suicide & Crisis Lifeline: text", "contact": "988", "kind": "text"},
    {"label": "988 Lifeline chat", "contact": "https://988lifeline.org", "kind": "chat"},
    {"label": "Veterans Crisis Line: call 988, then press 1", "contact": "988", "kind": "phone"},
    {"label": "Immediate danger: call 911", "contact": "911", "kind": "emergency"},
]
DEFAULT_HOME = "US"

clinic = sa.table("clinic", sa.column("id", sa.Integer), sa.column("settings", sa.JSON))
patient = sa.table("patient", sa.column("clinic_id", sa.Integer), sa.column("country", sa.String))


def _language(key: str) -> str | None:
    lang = key.split("-")[0].split("_")[0].lower()
    return lang if len(lang) == 2 and lang.isalpha() else None


def _lines(old: dict[str, Any]) -> list[dict[str, Any]]:
    """One list of lines, each with its labels by language, from the lists by language."""
    lines: list[dict[str, Any]] = []
    keys = sorted((k for k in old if k != "default"), key=lambda k: ("-" in k or "_" in k, k))
    for key, lang in [("default", "en"), *((k, _language(k)) for k in keys)]:
        listed = old.get(key)
        if lang is None or not isinstance(listed, list):
            continue
        for resource in listed:
            if not isinstance(resource, dict) or not isinstance(resource.get("label"), str):
                continue
            contact, kind = resource.get("contact"), resource.get("kind")
            same = next((x for x in lines if (x["contact"], x["kind"]) == (contact, kind)), None)
            if same is None:
                lines.append({"label": {lang: resource["label"]}, "contact": contact, "kind": kind})
            else:
                same["label"].setdefault(lang, resource["label"])
    for line in lines:
        line["label"].setdefault("en", line["contact"])
    return lines


def by_country(stored: dict[str, Any], home: str) -> dict[str, Any]:
    """One row's settings in the new shape; `home` is the clinic's home country."""
    moved = {
        k: v for k, v in stored.items() if k not in ("crisis_resources", "not_emergency_notice")
    }
    old = stored.get("crisis_resources")
    if not isinstance(old, dict) or old == {"default": OLD_BUILT_IN}:
        return moved
    lines = _lines(old)
    if lines:
        moved["crisis_resources"] = {home: lines}
    return moved


def by_language(stored: dict[str, Any], home: str) -> dict[str, Any]:
    """One row's settings back in the old shape."""
    moved = {k: v for k, v in stored.items() if k != "crisis_resources"}
    lists = stored.get("crisis_resources")
    lines = lists.get(home) if isinstance(lists, dict) else None
    if not lines:
        return moved
    languages = sorted({lang for line in lines for lang in line["label"]} - {"en"})
    moved["crisis_resources"] = {
        key: [
            {
                "label": line["label"].get(lang, line["contact"]),
                "contact": line["contact"],
                "kind": line["kind"],
            }
            for line in lines
        ]
        for key, lang in [("default", "en"), *((lang, lang) for lang in languages)]
    }
    return moved


def _home_countries(bind: sa.engine.Connection) -> dict[int, str]:
    """Each clinic's commonest patient country (ties: the first in the alphabet)."""
    counted = bind.execute(
        sa.select(patient.c.clinic_id, patient.c.country, sa.func.count())
        .where(patient.c.country.is_not(None))
        .group_by(patient.c.clinic_id, patient.c.country)
        .order_by(patient.c.clinic_id, sa.func.count().desc(), patient.c.country)
    ).all()
    homes: dict[int, str] = {}
    for clinic_id, country, _ in counted:
        homes.setdefault(clinic_id, country)
    return homes


def _move(reshape: Any) -> None:
    bind = op.get_bind()
    homes = _home_countries(bind)
    for clinic_id, stored in bind.execute(sa.select(clinic.c.id, clinic.c.settings)).all():
        if not isinstance(stored, dict):
            continue
        moved = reshape(stored, homes.get(clinic_id, DEFAULT_HOME))
        if moved != stored:
            bind.execute(clinic.update().where(clinic.c.id == clinic_id).values(settings=moved))


def upgrade() -> None:
    _move(by_country)


def downgrade() -> None:
    _move(by_language)
