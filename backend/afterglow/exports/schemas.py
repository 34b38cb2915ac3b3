"""Request and response shapes of exports and API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

TokenName = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"\S")]
TokenDays = Annotated[int, msgspec.Meta(ge=1, le=730)]


class ApiTokenCreate(msgspec.Struct, forbid_unknown_fields=True):
    # What the token is for, e.g. "EHR nightly export".
    name: TokenName
    # Days until it stops working; none: until it is revoked.
    expires_in_days: TokenDays | None = None


class ApiTokenOut(msgspec.Struct):
    id: int
    name: str
    # The token's first characters, to tell tokens apart (the rest is never shown again).
    hint: str
    scope: str
    created_at: datetime
    created_by_name: str | None
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    revoked_by_name: str | None


class ApiTokenCreated(ApiTokenOut):
    # Shown this once: send it as `Authorization: Bearer <token>`.
    token: str


class ExportFileOut(msgspec.Struct):
    kind: str  # output | error
    type: str
    url: str
    count: int
    size_bytes: int


class ExportJobOut(msgspec.Struct):
    """An export as the workspace lists it; its FHIR status is at `status_url`."""

    id: int
    status: str  # queued | running | completed | failed | cancelled | expired
    progress: str
    status_url: str
    requested_by_name: str | None
    token_name: str | None
    resource_types: list[str]
    since: datetime | None
    patients_done: int
    patients_total: int
    created_at: datetime
    finished_at: datetime | None
    expires_at: datetime | None
    error: str | None
    files: list[ExportFileOut]
