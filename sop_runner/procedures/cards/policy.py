"""The rules of the control cards (SOP 6.3, 6.4), pure: no store, no clock, no network.

Working hours decide whether a generator set test may be recorded (6.3 step 3: "diluar
jam kerja"); the standard envelope of the room decides whether a temperature and
humidity reading opens an adjustment and a report (6.4 steps 3 and 4); the fuel
threshold and the condition of a device decide the report of 6.3 step 5.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sop_runner.errors import SopError
from sop_runner.i18n import _

CARDS = ("listrik", "genset", "bbm", "suhu")
# The procedure each card belongs to (a run of it shows the entries it collected).
PROCEDURE_OF = {"listrik": "6.3", "genset": "6.3", "bbm": "6.3", "suhu": "6.4"}
CONDITIONS = ("baik", "tidak-baik")
DAYS = ("senin", "selasa", "rabu", "kamis", "jumat", "sabtu", "minggu")

# Magnus formula coefficients over water (Sonntag 1990), good from -45 to 60 °C.
_MAGNUS_B = 17.62
_MAGNUS_C = 243.12
# UPS status words (NUT ups.status) that are a problem of the power supply.
UPS_TROUBLE = {
    "OB": "ups_on_battery",
    "LB": "ups_low_battery",
    "RB": "ups_replace_battery",
    "OVER": "ups_overload",
    "FSD": "ups_forced_shutdown",
}


@dataclass(frozen=True)
class WorkingHours:
    """Office hours per weekday (Monday = 0) in the office's zone, and public holidays."""

    days: dict[int, tuple[time, time]]
    holidays: frozenset[date] = frozenset()

    def inside(self, local_moment: datetime) -> bool:
        """Given a moment in the office's zone, return whether it is inside working hours."""
        if local_moment.date() in self.holidays:
            return False
        span = self.days.get(local_moment.weekday())
        return span is not None and span[0] <= local_moment.time() < span[1]


@dataclass(frozen=True)
class Envelope:
    """The room standard (standar Pusat Data): recommended and allowable ranges."""

    temperature: tuple[float, float] = (18.0, 27.0)
    dew_point: tuple[float, float] = (5.5, 15.0)
    humidity_max: float = 60.0
    allowable_temperature: tuple[float, float] = (15.0, 32.0)
    allowable_humidity: tuple[float, float] = (20.0, 80.0)


@dataclass(frozen=True)
class Assessment:
    """What a reading means: the problems it shows, and how bad (info, warning, critical)."""

    problems: tuple[str, ...] = ()
    severity: str = "info"
    values: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def dew_point(temperature_c: float, humidity_percent: float) -> float:
    """Given a temperature (°C) and relative humidity (%), return the dew point (°C, Magnus).

    Raise SopError if the humidity is not above 0 %.
    """
    if humidity_percent <= 0:
        raise SopError(_("--rh: must be above 0 % to compute a dew point"))
    gamma = math.log(humidity_percent / 100) + _MAGNUS_B * temperature_c / (
        _MAGNUS_C + temperature_c
    )
    return float(round(_MAGNUS_C * gamma / (_MAGNUS_B - gamma), 1))


def assess_climate(temperature_c: float, humidity_percent: float, env: Envelope) -> Assessment:
    """Given a room reading and the standard, return its problems.

    Outside the recommended envelope is a warning; outside the allowable range a
    critical problem.
    """
    dew = dew_point(temperature_c, humidity_percent)
    problems: list[str] = []
    low, high = env.temperature
    if temperature_c > high:
        problems.append("temperature_high")
    elif temperature_c < low:
        problems.append("temperature_low")
    if dew > env.dew_point[1]:
        problems.append("dew_point_high")
    elif dew < env.dew_point[0]:
        problems.append("dew_point_low")
    if humidity_percent > env.humidity_max:
        problems.append("humidity_high")
    a_low, a_high = env.allowable_temperature
    h_low, h_high = env.allowable_humidity
    beyond = not (a_low <= temperature_c <= a_high and h_low <= humidity_percent <= h_high)
    if beyond:
        problems.append("beyond_allowable")
    severity = "critical" if beyond else "warning" if problems else "info"
    return Assessment(tuple(problems), severity, {"dew_point_c": dew})


def assess_fuel(percent: float, minimum: float) -> Assessment:
    """Given a fuel level and the low threshold (both %), return its problems."""
    if percent < minimum:
        return Assessment(("fuel_low",), "critical" if percent < minimum / 2 else "warning")
    return Assessment()


def assess_condition(condition: str, ups: dict[str, str] | None = None) -> Assessment:
    """Given a device's condition (baik/tidak-baik) and a UPS's NUT variables, return problems."""
    problems = ["condition_bad"] if condition == "tidak-baik" else []
    status = (ups or {}).get("ups.status", "").split()
    problems += [UPS_TROUBLE[word] for word in status if word in UPS_TROUBLE]
    return Assessment(tuple(problems), "warning" if problems else "info")


def check_genset_time(local_moment: datetime, hours: WorkingHours, reason: str | None) -> bool:
    """Given when a genset test was done, the working hours and a stated reason, return
    whether the entry is flagged (inside working hours, with a reason).

    Raise SopError if it is inside working hours and no reason is given: the test is
    done outside working hours (SOP 6.3 step 3).
    """
    if not hours.inside(local_moment):
        return False
    if reason and reason.strip():
        return True
    raise SopError(
        _(
            "--at: {moment} ({day}) is inside working hours; SOP 6.3 step 3 tests the "
            "generator set outside working hours: record the test done at another time, "
            "or give --alasan saying why it ran now"
        ).format(moment=f"{local_moment:%Y-%m-%d %H:%M}", day=DAYS[local_moment.weekday()])
    )


def parse_span(text: str, where: str) -> tuple[time, time]:
    """Given 'HH:MM-HH:MM', return the two times. Raise SopError naming ``where`` if not."""
    try:
        start, end = (time.fromisoformat(part.strip()) for part in str(text).split("-"))
    except ValueError:
        raise SopError(
            _("{where}: {text!r} is not a span 'HH:MM-HH:MM'").format(where=where, text=text)
        ) from None
    if not start < end:
        raise SopError(_("{where}: {text!r} ends before it starts").format(where=where, text=text))
    return start, end


def check_range(value: float, low: float, high: float, option: str, unit: str) -> float:
    """Given a number typed for ``option``, return it as a float (what the store gives back,
    so a signed 80 and a stored 80.0 are the same value). Raise SopError unless
    low ≤ it ≤ high."""
    if math.isnan(value) or not low <= value <= high:
        raise SopError(
            _("{option}: {value:g} is not allowed; use {low:g} to {high:g} {unit}").format(
                option=option, value=value, low=low, high=high, unit=unit
            )
        )
    return float(value)
