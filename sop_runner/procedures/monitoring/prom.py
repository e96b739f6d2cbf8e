"""A small client of Prometheus's HTTP API: ranges, instant values, targets.

`sop` reads the monitoring's records from Prometheus (SOP 6.1, 6.2); it writes no
time series of its own.  Every call has a timeout; an unreachable or refusing
Prometheus is one SopError line naming its address.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sop_runner.errors import SopError
from sop_runner.i18n import _

DEFAULT_URL = "http://127.0.0.1:9090"
TIMEOUT = 30.0
# Prometheus answers at most 11,000 points per series; a graph needs far fewer.
MAX_POINTS = 1000


def prometheus_url(given: str | None = None) -> str:
    """Given an --prometheus value (or None), return Prometheus's base URL.

    Raise SopError if it is not an http(s) URL.
    """
    url = (given or os.environ.get("SOP_PROMETHEUS_URL") or DEFAULT_URL).rstrip("/")
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise SopError(
            _("--prometheus: {url!r} is not allowed; give an http(s) URL").format(url=url)
        )
    return url


@dataclass(frozen=True)
class Series:
    """One series of a range query: its labels and its points (UNIX seconds, value)."""

    labels: dict[str, str]
    times: tuple[float, ...]
    values: tuple[float, ...]


def _get(url: str, path: str, params: dict[str, str], timeout: float) -> Any:
    """Given a base URL, an API path and its parameters, return the answer's data.

    Raise SopError if Prometheus cannot be reached or refuses the query.
    """
    address = f"{url}{path}?{urllib.parse.urlencode(params)}"
    try:
        with urllib.request.urlopen(address, timeout=timeout) as response:
            answer = json.load(response)
    except urllib.error.HTTPError as exc:
        try:
            detail = json.load(exc).get("error", exc.reason)
        except ValueError:
            detail = exc.reason
        raise SopError(
            _("prometheus {url}: {path} refused: {detail}").format(
                url=url, path=path, detail=detail
            )
        ) from None
    except (OSError, ValueError) as exc:
        raise SopError(
            _("prometheus {url}: cannot be read ({reason})").format(url=url, reason=exc)
        ) from None
    if answer.get("status") != "success":
        raise SopError(
            _("prometheus {url}: {path}: {error}").format(
                url=url, path=path, error=answer.get("error", _("failed"))
            )
        )
    return answer["data"]


def step_for(start: datetime, end: datetime, minimum: float = 60.0) -> float:
    """Given a period, return the step (seconds) that keeps a series under MAX_POINTS."""
    return max(minimum, (end - start).total_seconds() / MAX_POINTS)


def query_range(
    url: str,
    query: str,
    start: datetime,
    end: datetime,
    step: float,
    timeout: float = TIMEOUT,
) -> list[Series]:
    """Given a PromQL query and a period, return its series (sorted by their labels)."""
    data = _get(
        url,
        "/api/v1/query_range",
        {
            "query": query,
            "start": f"{start.timestamp():.3f}",
            "end": f"{end.timestamp():.3f}",
            "step": f"{step:g}",
        },
        timeout,
    )
    found = [
        Series(
            labels=dict(item["metric"]),
            times=tuple(float(t) for t, _ in item["values"]),
            values=tuple(float(v) for _, v in item["values"]),
        )
        for item in data.get("result", [])
    ]
    return sorted(found, key=lambda s: sorted(s.labels.items()))


def query(url: str, expr: str, timeout: float = TIMEOUT) -> list[tuple[dict[str, str], float]]:
    """Given a PromQL query, return its instant values now (labels, value)."""
    data = _get(url, "/api/v1/query", {"query": expr}, timeout)
    return [(dict(item["metric"]), float(item["value"][1])) for item in data.get("result", [])]


def targets(url: str, timeout: float = TIMEOUT) -> list[dict[str, Any]]:
    """Given Prometheus's URL, return its active targets (labels, health, last error)."""
    data = _get(url, "/api/v1/targets", {"state": "active"}, timeout)
    return [
        {
            "labels": dict(t.get("labels", {})),
            "health": t.get("health", "unknown"),
            "url": t.get("scrapeUrl", ""),
            "error": t.get("lastError", ""),
        }
        for t in data.get("activeTargets", [])
    ]
