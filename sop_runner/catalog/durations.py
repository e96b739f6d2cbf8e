"""Standard times ("Mutu Baku: Waktu") as exact second ranges, and back to words."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sop_runner.durations import UNIT_SECONDS
from sop_runner.errors import SopError
from sop_runner.i18n import N_, _

_UNIT_SECONDS = UNIT_SECONDS
# Largest first, so that text() says "2 jam" rather than "120 menit".
_UNITS_DESC = ("d", "h", "m", "s")
_WORDS = {
    "id": {
        "s": ("detik", "detik"),
        "m": ("menit", "menit"),
        "h": ("jam", "jam"),
        "d": ("hari", "hari"),
    },
    "en": {
        "s": ("second", "seconds"),
        "m": ("minute", "minutes"),
        "h": ("hour", "hours"),
        "d": ("day", "days"),
    },
}
_FORM = re.compile(r"^(\d+)([smhd])(?:-(\d+)([smhd]))?$")
ALLOWED_FORM = N_(
    "a whole number and a unit s/m/h/d like '10m', '2h', '1d', or a range like '1d-3d'"
)


@dataclass(frozen=True)
class StandardTime:
    """A standard time: exactly min_seconds, or a range up to max_seconds."""

    min_seconds: int
    max_seconds: int

    def __post_init__(self) -> None:
        if not 0 < self.min_seconds <= self.max_seconds:
            raise SopError(
                _(
                    "standard time {low}s-{high}s is not allowed; "
                    "it must be positive and its end may not come before its start"
                ).format(low=self.min_seconds, high=self.max_seconds)
            )

    @classmethod
    def parse(cls, value: str) -> StandardTime:
        """Given a normalized time like '10m' or '1d-3d', return the StandardTime.

        Raise SopError naming the value and the allowed form if it is anything else.
        """
        match = _FORM.match(value) if isinstance(value, str) else None
        if match is None:
            raise SopError(
                _("standard time {value!r} is not allowed; use {form}").format(
                    value=value, form=_(ALLOWED_FORM)
                )
            )
        low = int(match[1]) * _UNIT_SECONDS[match[2]]
        if match[3] is None:
            high = low
        else:
            high = int(match[3]) * _UNIT_SECONDS[match[4]]
            # A range must widen; "1d-1d" or "3d-1d" is a typo, not a standard.
            if high <= low:
                raise SopError(
                    _(
                        "standard time {value!r} is not allowed; a range must end after it "
                        "starts (use {form})"
                    ).format(value=value, form=_(ALLOWED_FORM))
                )
        if low == 0:
            raise SopError(
                _("standard time {value!r} is not allowed; it must be longer than 0").format(
                    value=value
                )
            )
        return cls(low, high)

    @property
    def is_range(self) -> bool:
        """Return True when the standard is a range rather than one duration."""
        return self.min_seconds != self.max_seconds

    def _unit(self) -> str:
        # One unit for both ends keeps "30–240 menit" readable as printed in the SOP.
        for unit in _UNITS_DESC:
            size = _UNIT_SECONDS[unit]
            if self.min_seconds % size == 0 and self.max_seconds % size == 0:
                return unit
        return "s"

    @property
    def normalized(self) -> str:
        """Return the normalized form ('10m', '1d-3d') that parse() reads back."""
        unit = self._unit()
        size = _UNIT_SECONDS[unit]
        low = f"{self.min_seconds // size}{unit}"
        return low if not self.is_range else f"{low}-{self.max_seconds // size}{unit}"

    def text(self, lang: str = "id") -> str:
        """Given 'id' or 'en', return the time in words: '10 menit', '1–3 days'.

        Raise SopError if lang is neither.
        """
        if lang not in _WORDS:
            raise SopError(
                _("language {lang!r} is not allowed; use 'id' or 'en'").format(lang=lang)
            )
        unit = self._unit()
        size = _UNIT_SECONDS[unit]
        low, high = self.min_seconds // size, self.max_seconds // size
        singular, plural = _WORDS[lang][unit]
        if self.is_range:
            return f"{low}–{high} {plural}"
        return f"{low} {singular if low == 1 else plural}"

    def __str__(self) -> str:
        return self.normalized
