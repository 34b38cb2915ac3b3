"""Countries as ISO 3166-1 alpha-2 codes, and the country a time zone is in.

Read from the IANA time zone database's own tables (`iso3166.tab`, `zone.tab`, shipped by the
`tzdata` package), so the list is the one the time zones already come from and needs no upkeep
here. A patient's crisis help follows their country (CLINICAL.md §5).
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from afterglow.errors import invalid


def _table(name: str) -> list[list[str]]:
    text = files("tzdata.zoneinfo").joinpath(name).read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


@cache
def countries() -> dict[str, str]:
    """Every ISO 3166-1 alpha-2 code and the country's name in English, by code."""
    return {row[0]: row[1] for row in _table("iso3166.tab")}


@cache
def _zone_countries() -> dict[str, str]:
    return {row[2]: row[0] for row in _table("zone.tab")}


@cache
def _links() -> dict[str, str]:
    """Old and alternative zone names and the zone each now names (`L target name` lines)."""
    text = files("tzdata.zoneinfo").joinpath("tzdata.zi").read_text(encoding="utf-8")
    return {
        parts[2]: parts[1]
        for parts in (line.split() for line in text.splitlines() if line.startswith("L "))
    }


def country_of_zone(zone: str) -> str | None:
    """The country of an IANA zone (America/Mexico_City: MX); None for zones of no country (UTC).

    Phones name some zones by older names (Chrome says Asia/Calcutta, not Asia/Kolkata): a name
    the zone table lacks is followed to the zone it names now."""
    zones = _zone_countries()
    if zone in zones:
        return zones[zone]
    return zones.get(_links().get(zone, ""))


def checked_country(code: str, field: str = "country") -> str:
    """An ISO 3166-1 alpha-2 code, upper case (`mx` is MX)."""
    upper = code.strip().upper()
    if upper not in countries():
        raise invalid(
            field,
            f"{code!r} is not an ISO 3166-1 alpha-2 country code; use two letters like US, GB, "
            "ES, MX or CA",
        )
    return upper
