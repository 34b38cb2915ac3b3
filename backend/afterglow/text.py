"""Text from clients, cleaned in one place before anything validates, stores or searches it.

The rule, the same on SQLite and PostgreSQL: a NUL character (U+0000) is stripped from every
text a client sends, in a JSON body (values and keys, however deeply nested) and in the query
string. PostgreSQL text cannot hold NUL and SQLite can, so without this the same request would
store on one database and fail on the other; and no one types a NUL, so nothing is lost.
Stripping happens before validation, so a name of nothing but NUL is refused as empty, naming
its field. The app wires it in: `ClientRequest` for bodies, `strip_nul_from_query` for queries.

Free text that must never cost a record (a check-in's note: refusing it would lose the answers
and an item-9 safety alert with it) is marked `cut_at(limit)` on a `CutsLongText` struct: text
longer than the limit is kept, cut, ending in `CUT_MARKER`, instead of being refused.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import msgspec
from litestar import Request
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

NUL = "\x00"
CUT_MARKER = "…[cut]"
_CUT_AT = "afterglow_cut_at"
# How NUL looks in a JSON body: JSON may not carry it raw (msgspec refuses that), and the escape
# has no letters, so this one test finds every NUL before any text is walked.
_JSON_NUL = b"\\u0000"
_QUERY_NUL = b"%00"


def without_nul(value: Any) -> Any:
    """The value with NUL stripped from every string in it, dictionary keys included."""
    if isinstance(value, str):
        return value.replace(NUL, "") if NUL in value else value
    if isinstance(value, list):
        return [without_nul(item) for item in value]
    if isinstance(value, dict):
        return {without_nul(key): without_nul(item) for key, item in value.items()}
    return value


def decode_client_json(raw: bytes) -> Any:
    """JSON from a client (a body, an import file), with NUL stripped from all of its text."""
    decoded = msgspec.json.decode(raw)
    return without_nul(decoded) if _JSON_NUL in raw else decoded


class ClientRequest(Request[Any, Any, Any]):
    """Every request of the app: its JSON body reaches the schemas with NUL already stripped."""

    async def json(self) -> Any:
        decoded = await super().json()
        return without_nul(decoded) if _JSON_NUL in await self.body() else decoded


def strip_nul_from_query(app: ASGIApp) -> ASGIApp:
    """Middleware: query strings reach the handlers with NUL stripped (`%00` in the URL).

    Removing the escape whole is exact: a literal percent sign travels as `%25`, so `%00`
    appears in a well-formed query only as an encoded NUL.
    """

    async def strip(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and _QUERY_NUL in scope["query_string"]:
            scope["query_string"] = scope["query_string"].replace(_QUERY_NUL, b"")
        await app(scope, receive, send)

    return strip


def kept_cut(text: str, limit: int) -> str:
    """The text whole when it fits, else its beginning, ending in the marker, `limit` long."""
    if len(text) <= limit:
        return text
    return text[: limit - len(CUT_MARKER)] + CUT_MARKER


def cut_at(limit: int) -> msgspec.Meta:
    """Marks a text field of a `CutsLongText` struct as kept cut to `limit`, never refused."""
    return msgspec.Meta(
        description=(
            f"Free text. Longer than {limit} characters it is kept, cut to {limit} ending in "
            f"'{CUT_MARKER}': it never makes the request fail."
        ),
        extra={_CUT_AT: limit},
    )


class CutsLongText(msgspec.Struct):
    """A request whose `cut_at` fields are cut to their limit with a marker once decoded."""

    def __post_init__(self) -> None:
        for name, limit in _cut_fields(type(self)):
            value = getattr(self, name)
            if isinstance(value, str) and len(value) > limit:
                # force_setattr: frozen structs can use this too.
                msgspec.structs.force_setattr(self, name, kept_cut(value, limit))


@cache
def _cut_fields(struct: type[msgspec.Struct]) -> tuple[tuple[str, int], ...]:
    """The fields marked `cut_at` and their limits, read once per struct type."""
    info = msgspec.inspect.type_info(struct)
    assert isinstance(info, msgspec.inspect.StructType)
    found = []
    for field in info.fields:
        options = field.type.types if isinstance(field.type, msgspec.inspect.UnionType) else ()
        for option in (field.type, *options):
            if isinstance(option, msgspec.inspect.Metadata) and option.extra:
                limit = option.extra.get(_CUT_AT)
                if isinstance(limit, int):
                    found.append((field.name, limit))
    return tuple(found)
