"""The one duration grammar of `sop`: read '90m', '1h30m', '2d' and write them back.

Every option that takes a length of time (``--expires``, ``--duration``,
``--by``, schedule periods) reads it here, so a petugas learns one form:
whole numbers with the units d, h, m, s, largest first (``1d12h``, ``1h30m``,
``45s``).  Anything absurdly long is refused as a typo before any arithmetic
can overflow.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sop_runner.errors import SopError
from sop_runner.i18n import N_, _

UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
# Nothing `sop` schedules or grants lasts a century: longer is a typo, refused
# before timedelta or datetime arithmetic could overflow.
LONGEST = timedelta(days=36500)
ALLOWED = N_("whole numbers with units d, h, m, s, largest first, like 90m, 1h30m, 2d, 45s")
_FORM = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_WORDS = {
    "id": {"d": "hari", "h": "jam", "m": "menit", "s": "detik"},
    "en": {"d": "d", "h": "h", "m": "min", "s": "s"},
}


def parse(
    text: str,
    field: str,
    *,
    maximum: timedelta | None = None,
    bare_unit: str | None = None,
) -> timedelta:
    """Given a duration text and the option it came from, return the duration.

    ``bare_unit`` reads a plain number in that unit (``"30"`` as 30 minutes with
    ``bare_unit="m"``); without it a plain number is refused.  Raise SopError
    naming the field when the text is not a duration above zero, or is longer
    than ``maximum`` (or than a century).
    """
    raw = str(text).strip().lower()
    if bare_unit is not None and raw.isdigit():
        raw += bare_unit
    match = _FORM.match(raw)
    if not raw or match is None or not any(match.groups()):
        raise SopError(
            _("{field}: {text!r} is not a duration; allowed: {allowed}").format(
                field=field, text=text, allowed=_(ALLOWED)
            )
        )
    seconds = sum(
        int(number) * UNIT_SECONDS[unit]
        for number, unit in zip(match.groups(), UNIT_SECONDS, strict=True)
        if number
    )
    if seconds == 0:
        raise SopError(
            _("{field}: {text!r} is not above zero; allowed: a duration above zero").format(
                field=field, text=text
            )
        )
    limit = min(maximum, LONGEST) if maximum is not None else LONGEST
    if seconds > limit.total_seconds():
        raise SopError(
            _("{field}: {text!r} is longer than allowed; allowed: up to {limit}").format(
                field=field, text=text, limit=compact(limit)
            )
        )
    return timedelta(seconds=seconds)


def compact(value: timedelta) -> str:
    """Given a duration, return it in the form parse() reads ('1h30m', '2d', '45s').

    Fractions of a second are dropped.
    """
    total = int(value.total_seconds())
    if total <= 0:
        return "0s"
    parts = []
    for unit, size in UNIT_SECONDS.items():
        count, total = divmod(total, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def words(seconds: float | None, lang: str, parts: int = 2) -> str:
    """Given seconds and a language, return a short duration in words ('2 jam 5 menit').

    Only the ``parts`` largest units are kept; None (not measured) gives ''.
    """
    if seconds is None:
        return ""
    names = _WORDS[lang]
    total = round(seconds)
    pieces = []
    for unit, size in UNIT_SECONDS.items():
        if total >= size or (size == 1 and not pieces):
            pieces.append(f"{total // size} {names[unit]}")
            total %= size
    return " ".join(pieces[:parts])
