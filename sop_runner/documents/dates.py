"""Dates and times as an Indonesian official document writes them, in the office's zone.

"Slawi, 30 November 2026" and "14.05 WIB" (Babel's CLDR month names, zoneinfo for the
zone); English documents get "30 November 2026" and "14:05 WIB".
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date

ROMAN_MONTHS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


def parse(value: datetime | str) -> datetime:
    """Given a datetime or its ISO text, return it aware (a naive one is taken as UTC)."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def local(value: datetime | str, zone: str) -> datetime:
    """Given a moment and an IANA zone name, return the moment in that zone."""
    return parse(value).astimezone(ZoneInfo(zone))


def long_date(value: datetime | str, zone: str, lang: str = "id") -> str:
    """Given a moment, return its date in words in the zone ('30 November 2026')."""
    return format_date(local(value, zone).date(), "d MMMM y", locale=lang)


def clock(value: datetime | str, zone: str, zone_name: str, lang: str = "id") -> str:
    """Given a moment, return its time of day in the zone ('14.05 WIB')."""
    moment = local(value, zone)
    separator = "." if lang == "id" else ":"
    return f"{moment.hour:02d}{separator}{moment.minute:02d} {zone_name}"


def date_time(value: datetime | str | None, zone: str, zone_name: str, lang: str = "id") -> str:
    """Given a moment (or None), return '30 November 2026 14.05 WIB' (or '')."""
    if value is None or value == "":
        return ""
    return f"{long_date(value, zone, lang)} {clock(value, zone, zone_name, lang)}"


def place_date(place: str, value: datetime | str, zone: str, lang: str = "id") -> str:
    """Given the place of issue and a moment, return 'Slawi, 30 November 2026'."""
    return f"{place}, {long_date(value, zone, lang)}"
