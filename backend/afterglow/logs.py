"""Structured logs: one JSON object per line, with nothing a patient wrote in it.

Exception messages are left out on purpose: a database driver's message carries the values of the
statement (a note, an email), so a logged error names its type and where it happened, not its text.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from datetime import UTC, datetime
from typing import Any, TextIO

REQUEST_LOG = "afterglow.requests"

# Attributes every LogRecord has; anything else was passed with `extra=` and is logged as a field.
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def exception_type(error: BaseException) -> str:
    kind = type(error)
    return (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )


def traceback_without_messages(error: BaseException) -> str:
    """The stack of an error and of the errors it came from, each ending in its type only."""
    parts: list[str] = []
    current: traceback.TracebackException | None = traceback.TracebackException.from_exception(
        error, capture_locals=False
    )
    while current is not None:
        kind = current.exc_type
        name = "?" if kind is None else f"{kind.__module__}.{kind.__qualname__}"
        parts.append("".join(current.stack.format()) + name)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    return "\nfrom\n".join(reversed(parts))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(
            (key, value) for key, value in vars(record).items() if key not in _RECORD_ATTRIBUTES
        )
        if record.exc_info and record.exc_info[1] is not None:
            entry.setdefault("exception", exception_type(record.exc_info[1]))
            entry.setdefault("traceback", traceback_without_messages(record.exc_info[1]))
        return json.dumps(entry, default=str, ensure_ascii=False)


class StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever `sys.stderr` is at the time (a test's capture, a reopened stream)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _: TextIO) -> None:
        pass


def request_log() -> logging.Logger:
    """The log of failed requests: JSON lines on stderr, whatever else the process configured."""
    log = logging.getLogger(REQUEST_LOG)
    if not any(isinstance(h, StderrHandler) for h in log.handlers):
        handler = StderrHandler()
        handler.setFormatter(JsonFormatter())
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        # One line per failure: the root logger's handlers (Litestar's, uvicorn's) would repeat it.
        log.propagate = False
    return log
