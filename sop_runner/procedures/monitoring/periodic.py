"""SOP 6.1's periodic records and their analysis: per host, over a period, from Prometheus.

Step 1 records (in graphs) the load of CPU, RAM, disk and network; step 2 analyses
them: the averages and peaks, the disk's trend and the day it is full at that
trend, and the hosts over the thresholds.  Step 4's problems, each with its
recommendation, come from the same analysis (``problems``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.procedures.monitoring import analysis, prom

PERIODS = {"weekly": 7, "monthly": 30}
DAY = 86400.0


@dataclass(frozen=True)
class Period:
    """The period a report covers (UTC) and its kind (weekly, monthly or custom)."""

    start: datetime
    end: datetime
    kind: str


def _moment(value: str, option: str, zone: str) -> datetime:
    """Given a date (YYYY-MM-DD, the office's midnight) or an ISO date-time, return it in UTC.

    Raise SopError naming the option otherwise.
    """
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise SopError(
            _(
                "{option}: {value!r} is not allowed; give a date YYYY-MM-DD or YYYY-MM-DDTHH:MM"
            ).format(option=option, value=value)
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo(zone))
    return when.astimezone(UTC)


def period_of(
    kind: str | None,
    start: str | None,
    end: str | None,
    zone: str = "Asia/Jakarta",
    now: datetime | None = None,
) -> Period:
    """Given --period or --from/--to, return the period; a weekly or monthly period ends
    now (or at --to).  Raise SopError naming the option if they are missing or wrong."""
    if kind is not None and kind not in PERIODS:
        raise SopError(
            _("--period: {kind!r} is not allowed; use weekly or monthly").format(kind=kind)
        )
    if kind is not None and start is not None:
        raise SopError(_("--from: give either --period or --from/--to, not both"))
    stop = _moment(end, "--to", zone) if end else (now or datetime.now(UTC))
    if kind is not None:
        return Period(stop - timedelta(days=PERIODS[kind]), stop, kind)
    if start is None:
        raise SopError(_("--period: missing; use weekly or monthly, or give --from (and --to)"))
    begin = _moment(start, "--from", zone)
    if begin >= stop:
        raise SopError(
            _("--from: {start!r} is not before the end of the period").format(start=start)
        )
    return Period(begin, stop, "custom")


# PromQL of each record, one series per host (label `host`, from the scrape configuration).
def queries(window: int) -> dict[str, str]:
    """Given a rate window (seconds), return the PromQL of every record by name."""
    w = f"[{window}s]"
    root = 'mountpoint="/"'
    return {
        "cpu": f'100 * (1 - avg by (host) (rate(node_cpu_seconds_total{{mode="idle"}}{w})))',
        "memory": "max by (host) (100 * (1 - node_memory_MemAvailable_bytes"
        " / node_memory_MemTotal_bytes))",
        "disk": f"max by (host) (100 * (1 - node_filesystem_avail_bytes{{{root}}}"
        f" / node_filesystem_size_bytes{{{root}}}))",
        "free": f"min by (host) (node_filesystem_avail_bytes{{{root}}})",
        "rx": f'sum by (host) (rate(node_network_receive_bytes_total{{device!="lo"}}{w}))',
        "tx": f'sum by (host) (rate(node_network_transmit_bytes_total{{device!="lo"}}{w}))',
    }


@dataclass
class HostRecord:
    """One host's records over the period and what the analysis found in them."""

    host: str
    series: dict[str, prom.Series] = field(default_factory=dict)
    stats: dict[str, dict[str, float]] = field(default_factory=dict)
    disk_trend_per_day: float | None = None  # percentage points per day
    disk_full_at: datetime | None = None
    problems: list[tuple[str, str]] = field(default_factory=list)  # (problem, recommendation)


HOST_PATTERN = re.compile(r"^[A-Za-z0-9_.-]+$")


def collect(url: str, period: Period, hosts: Sequence[str] = ()) -> tuple[list[HostRecord], float]:
    """Given Prometheus, a period and (optionally) hosts, return each host's records and
    the step of the series (seconds).

    Raise SopError if Prometheus cannot be read, a host name is malformed, or no
    host has records in the period.
    """
    for name in hosts:
        if not HOST_PATTERN.match(name):
            raise SopError(
                _("--host: {name!r} is not allowed; give an inventory host name").format(name=name)
            )
    step = prom.step_for(period.start, period.end)
    found: dict[str, HostRecord] = {}
    for name, expr in queries(int(max(300, step))).items():
        for series in prom.query_range(url, expr, period.start, period.end, step):
            host = series.labels.get("host", "")
            if not host or (hosts and host not in hosts):
                continue
            found.setdefault(host, HostRecord(host)).series[name] = series
    if not found:
        raise SopError(
            _(
                "--period: Prometheus {url} has no records of {hosts} between {start} and {end}"
            ).format(
                url=url,
                hosts=", ".join(hosts) if hosts else _("any host"),
                start=period.start.isoformat(timespec="minutes"),
                end=period.end.isoformat(timespec="minutes"),
            )
        )
    return [found[h] for h in sorted(found)], step


def analyse(record: HostRecord, period: Period, limits: analysis.Thresholds) -> HostRecord:
    """Given a host's records, return it with its statistics, disk trend, forecast and
    problems (each with the recommended follow-up) filled in."""
    for name, series in record.series.items():
        record.stats[name] = analysis.summary(series.values)
    disk = record.series.get("disk")
    if disk is not None:
        rate = analysis.slope(disk.times, disk.values)
        record.disk_trend_per_day = None if rate is None else rate * DAY
    free = record.series.get("free")
    if free is not None:
        record.disk_full_at = analysis.disk_full_at(free.times, free.values)
    for name, limit in (("cpu", limits.cpu), ("memory", limits.memory), ("disk", limits.disk)):
        peak = record.stats.get(name, {}).get("peak", 0.0)
        if peak > limit:
            record.problems.append((f"{name}_over", f"{name}_over_fix"))
    if record.disk_full_at is not None:
        days_left = (record.disk_full_at - period.end).total_seconds() / DAY
        if days_left <= limits.disk_full_days:
            record.problems.append(("disk_full_soon", "disk_full_fix"))
    return record
