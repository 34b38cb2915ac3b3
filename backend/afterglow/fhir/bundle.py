"""`$everything`: a patient's resources wrapped in a searchset Bundle, written as it is read.

FHIR R4 answers Patient/$everything with a Bundle of type `searchset`: the record's resources are
its matches (`search.mode: match`), the Questionnaires and CodeSystem they refer to are included
(`include`), always, whatever `_type` keeps: they carry the instruments' wording, codes and
attribution. No total: the Bundle is streamed, and `total` is optional.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine

from afterglow.db import session_maker
from afterglow.errors import invalid
from afterglow.fhir.export import PATIENT_TYPES, patient_resources
from afterglow.fhir.questionnaires import afterglow_code_system, instrument_questionnaires
from afterglow.fhir.resources import instant

FHIR_JSON = "application/fhir+json"
_encode = msgspec.json.Encoder().encode


def parse_types(value: str | None) -> frozenset[str] | None:
    """`_type=Observation,QuestionnaireResponse` as a set, or None for every type."""
    if value is None:
        return None
    names = frozenset(name.strip() for name in value.split(",") if name.strip())
    unknown = sorted(names - PATIENT_TYPES)
    if unknown or not names:
        raise invalid(
            "_type",
            f"{', '.join(unknown) or 'nothing'} is not a type this record has; use any of "
            f"{', '.join(sorted(PATIENT_TYPES))}",
        )
    return names


def _entry(base: str, resource: dict[str, Any], mode: str) -> bytes:
    return _encode(
        {
            "fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
            "resource": resource,
            "search": {"mode": mode},
        }
    )


async def everything_stream(
    engine: AsyncEngine,
    *,
    base: str,
    self_url: str,
    clinic_id: int,
    patient_id: int,
    since: datetime | None,
    types: frozenset[str] | None,
    now: datetime,
) -> AsyncIterator[bytes]:
    """The Bundle's JSON in pieces, one entry at a time."""
    head = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": instant(now)},
        "type": "searchset",
        "timestamp": instant(now),
        "link": [{"relation": "self", "url": self_url}],
    }
    yield _encode(head)[:-1] + b',"entry":['
    first = True
    definitions: list[dict[str, Any]] = [
        afterglow_code_system(),
        *await instrument_questionnaires(),
    ]
    for definition in definitions:
        yield (b"" if first else b",") + _entry(base, definition, "include")
        first = False
    async with session_maker(engine)() as session:
        async for resource in patient_resources(
            session, clinic_id, patient_id, since=since, types=types, now=now
        ):
            yield (b"" if first else b",") + _entry(base, resource, "match")
            first = False
    yield b"]}"
