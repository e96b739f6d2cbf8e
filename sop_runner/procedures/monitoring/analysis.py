"""The analysis SOP 6.1 step 2 and 6.2 step 2 ask for, on series read from Prometheus.

Pure functions: a trend (least-squares slope), the day a disk is full at that
slope, the hosts over thresholds, and anomalies of a rate against the same hour of
the previous weeks (mean ± k·σ).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

WEEK = 7 * 86400


@dataclass(frozen=True)
class Thresholds:
    """Shares (%) above which a host's average or peak is a problem (configurable)."""

    cpu: float = 80.0
    memory: float = 85.0
    disk: float = 80.0
    # A disk full sooner than this many days from the end of the period is a problem.
    disk_full_days: float = 30.0


def slope(times: Sequence[float], values: Sequence[float]) -> float | None:
    """Given points, return the least-squares slope (value per second); None for < 2."""
    if len(times) < 2:
        return None
    mean_t = statistics.fmean(times)
    mean_v = statistics.fmean(values)
    spread = sum((t - mean_t) ** 2 for t in times)
    if spread == 0:
        return None
    return sum((t - mean_t) * (v - mean_v) for t, v in zip(times, values, strict=True)) / spread


def disk_full_at(times: Sequence[float], free_bytes: Sequence[float]) -> datetime | None:
    """Given free bytes over time, return when they reach zero at the fitted line.

    None when free space does not shrink (or there are too few points).
    """
    rate = slope(times, free_bytes)
    if rate is None or rate >= 0:
        return None
    mean_t = statistics.fmean(times)
    mean_v = statistics.fmean(free_bytes)
    # The fitted line passes through the means: free(t) = mean_v + rate·(t − mean_t).
    zero = mean_t - mean_v / rate
    return datetime.fromtimestamp(zero, UTC)


@dataclass(frozen=True)
class Anomaly:
    """A point beyond the baseline of its hour of the week."""

    at: datetime
    value: float
    mean: float
    sigma: float


def anomalies(
    times: Sequence[float],
    values: Sequence[float],
    since: float,
    k: float = 3.0,
    weeks: int = 3,
    min_sigma_share: float = 0.05,
) -> list[Anomaly]:
    """Given a rate's points, the start of the period judged and k, return its anomalies.

    Each point at or after ``since`` is compared with the points of the same hour of
    the week in the ``weeks`` weeks before it (one hour wide): beyond mean ± k·σ it is
    an anomaly.  σ is at least ``min_sigma_share`` of the mean, so a perfectly regular
    history does not flag noise.  Points without a baseline are not judged.
    """
    by_slot: dict[int, list[tuple[float, float]]] = {}
    for t, v in zip(times, values, strict=True):
        by_slot.setdefault(int(t // 3600) % (WEEK // 3600), []).append((t, v))
    found = []
    for t, v in zip(times, values, strict=True):
        if t < since or math.isnan(v):
            continue
        slot = int(t // 3600) % (WEEK // 3600)
        oldest, newest = t - weeks * WEEK - 3600, t - WEEK + 3600
        history = [hv for ht, hv in by_slot[slot] if oldest < ht <= newest]
        if len(history) < 2:
            continue
        mean = statistics.fmean(history)
        sigma = max(statistics.pstdev(history), abs(mean) * min_sigma_share)
        if abs(v - mean) > k * sigma:
            found.append(Anomaly(datetime.fromtimestamp(t, UTC), v, mean, sigma))
    return found


def summary(values: Sequence[float]) -> dict[str, float]:
    """Given a series' values, return its mean, peak and last (NaN left out; 0 if empty)."""
    clean = [v for v in values if not math.isnan(v)]
    if not clean:
        return {"mean": 0.0, "peak": 0.0, "last": 0.0}
    return {"mean": statistics.fmean(clean), "peak": max(clean), "last": clean[-1]}
