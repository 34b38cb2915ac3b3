"""Naming a failure in the log without its message: messages and SQL parameters can quote patients."""

from __future__ import annotations

import traceback
from pathlib import Path

_PACKAGE_DIR = str(Path(__file__).resolve().parents[1]) + "/"


def failure_summary(error: BaseException) -> str:
    """The exception's type, where our code raised or called it, and its innermost frame.

    Enough to find the bug; never `str(error)`, which can hold a note, a name or a payload.
    """
    frames = traceback.extract_tb(error.__traceback__)
    ours = [frame for frame in frames if frame.filename.startswith(_PACKAGE_DIR)]
    places = []
    for frame in [*ours[-1:], *frames[-1:]]:
        name = frame.filename
        if name.startswith(_PACKAGE_DIR):
            name = "afterglow/" + name.removeprefix(_PACKAGE_DIR)
        elif "site-packages/" in name:
            name = name.rsplit("site-packages/", 1)[1]
        places.append(f"{name}:{frame.lineno} in {frame.name}")
    if not places:
        return type(error).__name__
    return f"{type(error).__name__} at {' from '.join(dict.fromkeys(reversed(places)))}"
