"""Afterglow's CSV layout, the one both sides agree on: the export writes it (exports/csv_export.py)
and the history import reads it back without loss (`POST /api/patients/{id}/history` with
`Content-Type: text/csv`). README.md documents it column by column.

One row per record, its kind in `record`: `about` (the export itself: when, the layout, the
instruments' attribution), `checkin`, `infusion`, `event`, `episode` (relief, derived: the import
leaves it out and derives it again), `journal` (entries the patient shares; the import leaves
them out: a clinician does not write a patient's journal). A column that does not apply to a
record's kind is empty. RFC 4180 quoting: commas, quotes and line breaks stay inside their
cell. An empty cell is nothing; `0` is zero. Times are ISO 8601 with their offset, written in
the patient's own zone (the instant is exact, the local time is the patient's).

A text cell that starts with `=`, `+`, `-`, `@`, a tab, a carriage return or `'` is written
with one `'` before it, so that no spreadsheet runs it as a formula; the import takes that `'`
off again, so the text comes back exactly.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from afterglow.errors import InvalidInput, Problem
from afterglow.fields import is_iana_zone
from afterglow.history import schemas
from afterglow.instruments.registry import REGISTRY
from afterglow.text import NUL

LAYOUT = "afterglow-csv-1"
MAX_ANSWERS = max(len(instrument.items) for instrument in REGISTRY.values())
ANSWER_COLUMNS = tuple(f"answer_{n}" for n in range(1, MAX_ANSWERS + 1))
PATIENT_COLUMNS = ("patient_id", "record_number", "timezone")
INFUSION_COLUMNS = (
    "drug",
    "route",
    "kind",
    "dose_mg_per_kg",
    "dose_mg",
    "bp_systolic_before",
    "bp_diastolic_before",
    "bp_systolic_40min",
    "bp_diastolic_40min",
    "bp_systolic_discharge",
    "bp_diastolic_discharge",
    "lot_number",
    "dissociation_notes",
)
ENTERED_IN_ERROR_COLUMNS = ("entered_in_error_at", "entered_in_error_reason")
EPISODE_COLUMNS = (
    "episode_end",
    "outcome",
    "remitted",
    "baseline",
    "nadir_day",
    "nadir_score",
    "relapse_day",
    "relapse_reason",
    "censor_reason",
    "probable_relapse",
    "half_life_day",
    "duration_days",
    "relapsed",
)
JOURNAL_COLUMNS = ("journal_stood_out", "journal_day_after", "journal_carry_forward")
COLUMNS = (
    "record",
    *PATIENT_COLUMNS,
    "at",
    "instrument",
    *ANSWER_COLUMNS,
    "score",
    "band",
    *INFUSION_COLUMNS,
    "notes",
    *ENTERED_IN_ERROR_COLUMNS,
    *EPISODE_COLUMNS,
    *JOURNAL_COLUMNS,
)
# The columns each kind of record fills; the rest stay empty.
RECORD_COLUMNS: dict[str, frozenset[str]] = {
    "about": frozenset({"record", "at", "notes"}),
    "checkin": frozenset(
        {"record", *PATIENT_COLUMNS, "at", "instrument", *ANSWER_COLUMNS, "score", "band", "notes"}
    ),
    "infusion": frozenset(
        {"record", *PATIENT_COLUMNS, "at", *INFUSION_COLUMNS, "notes", *ENTERED_IN_ERROR_COLUMNS}
    ),
    "event": frozenset(
        {"record", *PATIENT_COLUMNS, "at", "kind", "notes", *ENTERED_IN_ERROR_COLUMNS}
    ),
    "episode": frozenset({"record", *PATIENT_COLUMNS, "at", "route", "kind", *EPISODE_COLUMNS}),
    "journal": frozenset({"record", *PATIENT_COLUMNS, "at", "notes", *JOURNAL_COLUMNS}),
}
# Records the import reads; the others are for reading only.
IMPORTED = ("checkin", "infusion", "event")
_TEXT_COLUMNS = frozenset(
    {
        "record_number",
        "lot_number",
        "dissociation_notes",
        "notes",
        "entered_in_error_reason",
        *JOURNAL_COLUMNS,
    }
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def text_cell(value: str | None) -> str:
    """Free text as written: safe from spreadsheets' formulas, and exactly recoverable."""
    if not value:
        return ""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _text_value(cell: str) -> str:
    return cell[1:] if cell.startswith("'") else cell


def time_cell(value: datetime | None, zone: ZoneInfo) -> str:
    return "" if value is None else value.astimezone(zone).isoformat()


def value_cell(value: Any) -> str:
    """A number or a yes/no as written: `0` for zero, the shortest exact form of a decimal."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def patient_zone(name: str) -> ZoneInfo:
    return ZoneInfo(name if is_iana_zone(name) else "UTC")


def csv_text(rows: Iterable[Mapping[str, str]], *, header: bool = False) -> str:
    """Rows in the layout's column order as CSV text (RFC 4180, CRLF line ends)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\r\n")
    if header:
        writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


@dataclass(frozen=True)
class CsvImport:
    """What a CSV file says, as the history import takes it, and where each record came from:
    `rows[section][i]` is the spreadsheet row (the header is row 1) of `section[i]`."""

    data: schemas.HistoryImport
    rows: dict[str, list[int]]

    def rekeyed(self, error: InvalidInput) -> InvalidInput:
        """The import's problems named by row and column (`checkins[2].answers[0]` is
        `row 7: answer_1`), as a clinician finds them in the spreadsheet."""
        return InvalidInput(error.message, [self._where(p) for p in error.problems])

    def _where(self, problem: Problem) -> Problem:
        found = re.fullmatch(r"(checkins|infusions|events)\[(\d+)\](?:\.(.+))?", problem.field)
        if found is None:
            return problem
        section, index, rest = found.group(1), int(found.group(2)), found.group(3)
        row = self.rows[section][index]
        column = _column_of(rest) if rest else None
        return Problem(f"row {row}: {column}" if column else f"row {row}", problem.message)


def _column_of(field: str) -> str:
    answer = re.fullmatch(r"answers(?:\[(\d+)\])?", field)
    if answer:
        return f"answer_{int(answer.group(1)) + 1}" if answer.group(1) else "answer_1"
    return {"taken_at": "at", "given_at": "at", "entered_in_error.at": "entered_in_error_at"}.get(
        field, field.replace("entered_in_error.", "entered_in_error_")
    )


def _validation_problem(error: str) -> tuple[str, str]:
    """msgspec's `Expected int, got str - at `$.dose_mg`` as (column, what to fix)."""
    message, _, path = error.rpartition(" - at `$")
    if not message:
        return "", error
    field = path.rstrip("`").lstrip(".")
    missing = re.fullmatch(r"Object missing required field `(\w+)`", message)
    if missing:
        field = f"{field}.{missing.group(1)}" if field else missing.group(1)
        message = "is empty; fill it in"
    elif message.endswith("got `null`"):
        message = "is empty; fill it in"
    return (_column_of(field) if field else ""), message


class _Problems:
    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(Problem(where, message))


def parse_history_csv(raw: bytes) -> CsvImport:
    """A CSV file in Afterglow's layout as the history import's records; every problem is named
    by row and column, and nothing is imported unless there are none."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(
            "The file is not UTF-8 text.", [Problem("body", "save the CSV as UTF-8")]
        ) from None
    problems = _Problems()
    reader = csv.reader(io.StringIO(text.replace(NUL, ""), newline=""))
    try:
        header = next(reader, None)
        records = list(reader)
    except csv.Error as error:
        raise InvalidInput("The file is not CSV.", [Problem("body", f"not CSV: {error}")]) from None
    if not header:
        raise InvalidInput("The file is empty.", [Problem("body", "send the CSV with its header")])
    header = [name.strip() for name in header]
    unknown = [name for name in header if name not in COLUMNS]
    for name in unknown:
        problems.add("row 1", f"{name!r} is not a column of Afterglow's CSV layout")
    for needed in ("record", "at"):
        if needed not in header:
            problems.add("row 1", f"the header has no {needed!r} column")
    if problems.items:
        raise InvalidInput(_summary(problems), problems.items)

    checkins: list[dict[str, Any]] = []
    infusions: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    rows: dict[str, list[int]] = {"checkins": [], "infusions": [], "events": []}
    patients: set[str] = set()
    for number, cells in enumerate(records, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            problems.add(f"row {number}", f"has {len(cells)} cells; the header has {len(header)}")
            continue
        row = dict(zip(header, cells, strict=True))
        kind = row["record"].strip()
        filled = {name for name, cell in row.items() if cell != ""}
        if kind not in RECORD_COLUMNS:
            problems.add(
                f"row {number}: record",
                f"{kind!r} is not a kind of record; use one of {', '.join(RECORD_COLUMNS)}",
            )
            continue
        for name in sorted(filled - RECORD_COLUMNS[kind], key=COLUMNS.index):
            problems.add(f"row {number}: {name}", f"does not apply to a {kind} row; leave it empty")
        if row.get("patient_id", "").strip():
            patients.add(row["patient_id"].strip())
        if kind == "checkin":
            checkins.append(_checkin(row))
            rows["checkins"].append(number)
        elif kind == "infusion":
            infusions.append(_infusion(row))
            rows["infusions"].append(number)
        elif kind == "event":
            events.append(_event(row))
            rows["events"].append(number)
    if len(patients) > 1:
        problems.add(
            "patient_id",
            f"the file holds the records of {len(patients)} patients "
            f"({', '.join(sorted(patients))}); import each patient's own file",
        )
    data = _converted(checkins, infusions, events, rows, problems)
    if problems.items or data is None:
        raise InvalidInput(_summary(problems), problems.items)
    return CsvImport(data, rows)


def _summary(problems: _Problems) -> str:
    return f"{len(problems.items)} problem(s) in the CSV; nothing was imported."


def _cell(row: Mapping[str, str], name: str) -> Any:
    """A cell as the import's JSON would say it: nothing when empty, text as written."""
    value = row.get(name, "")
    if value == "":
        return None
    if name in _TEXT_COLUMNS:
        return _text_value(value)
    return value.strip()


def _number(value: str | None) -> Any:
    """A number cell: whole numbers as int, decimals as float, anything else as written (so
    that validation names it)."""
    if value is None:
        return None
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            continue
    return value


def _entered_in_error(row: Mapping[str, str]) -> dict[str, Any] | None:
    at, reason = _cell(row, "entered_in_error_at"), _cell(row, "entered_in_error_reason")
    if at is None and reason is None:
        return None
    return {"at": at, "reason": reason}


def _checkin(row: Mapping[str, str]) -> dict[str, Any]:
    answers = [_cell(row, name) for name in ANSWER_COLUMNS]
    while answers and answers[-1] is None:
        answers.pop()
    return {
        "instrument": _cell(row, "instrument"),
        "answers": [_number(a) for a in answers],
        "taken_at": _cell(row, "at"),
        "note": _cell(row, "notes"),
    }


def _infusion(row: Mapping[str, str]) -> dict[str, Any]:
    record: dict[str, Any] = {"given_at": _cell(row, "at")}
    for name in INFUSION_COLUMNS:
        value = _cell(row, name)
        record[name] = _number(value) if name.startswith(("dose_", "bp_")) else value
    record["notes"] = _cell(row, "notes")
    record["entered_in_error"] = _entered_in_error(row)
    return record


def _event(row: Mapping[str, str]) -> dict[str, Any]:
    return {
        "kind": _cell(row, "kind"),
        "at": _cell(row, "at"),
        "notes": _cell(row, "notes"),
        "entered_in_error": _entered_in_error(row),
    }


_SECTIONS = (
    ("checkins", schemas.ImportedCheckin),
    ("infusions", schemas.ImportedInfusion),
    ("events", schemas.ImportedEvent),
)


def _converted(
    checkins: list[dict[str, Any]],
    infusions: list[dict[str, Any]],
    events: list[dict[str, Any]],
    rows: dict[str, list[int]],
    problems: _Problems,
) -> schemas.HistoryImport | None:
    """Each record checked on its own, so that every bad cell is named, then all together."""
    records: dict[str, Sequence[dict[str, Any]]] = {
        "checkins": checkins,
        "infusions": infusions,
        "events": events,
    }
    for section, shape in _SECTIONS:
        for index, record in enumerate(records[section]):
            try:
                msgspec.convert(record, shape)
            except msgspec.ValidationError as error:
                where = f"row {rows[section][index]}"
                column, message = _validation_problem(str(error))
                problems.add(f"{where}: {column}" if column else where, message)
    if problems.items:
        return None
    return msgspec.convert(records, schemas.HistoryImport)
