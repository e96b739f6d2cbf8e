"""The pure parts of SOP 6.1/6.2's analysis (issue 20): the disk-full forecast, the
baseline anomalies, the periods, and what a security scan finds unexplained."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from sop_runner.errors import SopError
from sop_runner.procedures.monitoring import analysis, periodic, security

DAY = 86400


def test_the_disk_is_full_where_the_fitted_line_of_free_space_reaches_zero():
    times = [1_700_000_000 + h * 3600 for h in range(24 * 10)]
    # 500 GB free, 10 GB a day less, with noise that averages out.
    free = [500e9 - 10e9 * (t - times[0]) / DAY + (1e8 if i % 2 else -1e8)
            for i, t in enumerate(times)]  # fmt: skip
    full = analysis.disk_full_at(times, free)
    expected = datetime.fromtimestamp(times[0], UTC) + timedelta(days=50)
    assert full is not None and abs((full - expected).total_seconds()) < 3600
    assert analysis.disk_full_at(times, [100.0] * len(times)) is None  # not filling
    assert analysis.disk_full_at(times[:1], free[:1]) is None


def test_an_hour_beyond_the_same_hour_of_the_weeks_before_is_an_anomaly():
    start = 1_700_006_400 // 3600 * 3600
    times = [start + h * 3600 for h in range(24 * 7 * 4)]
    daily = [1e6 * (1.5 + math.sin(2 * math.pi * (t % DAY) / DAY)) for t in times]
    spike_at = times[-30]
    values = [v * 5 if t == spike_at else v for t, v in zip(times, daily, strict=True)]
    since = times[-24 * 7]
    found = analysis.anomalies(times, values, since, k=3, weeks=3)
    assert [a.at.timestamp() for a in found] == [spike_at]
    # Nothing before the judged week, nothing without a baseline.
    assert analysis.anomalies(times[: 24 * 7], values[: 24 * 7], times[0]) == []


def test_periods_from_the_options():
    now = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    weekly = periodic.period_of("weekly", None, None, now=now)
    assert (weekly.end - weekly.start, weekly.kind) == (timedelta(days=7), "weekly")
    custom = periodic.period_of(None, "2026-11-01", "2026-11-30")
    # Dates are the office's midnight (WIB, UTC+7).
    assert custom.start == datetime(2026, 10, 31, 17, 0, tzinfo=UTC)
    for args, option in [
        (("yearly", None, None), "--period"),
        ((None, None, None), "--period"),
        ((None, "2026-11-30", "2026-11-01"), "--from"),
        (("weekly", "2026-11-01", None), "--from"),
        ((None, "besok", None), "--from"),
    ]:
        with pytest.raises(SopError, match=option):
            periodic.period_of(*args)


SS = """\
tcp   LISTEN 0      128          0.0.0.0:22        0.0.0.0:*
tcp   LISTEN 0      80         127.0.0.1:3306      0.0.0.0:*
tcp   LISTEN 0      5            0.0.0.0:8765      0.0.0.0:*
tcp   LISTEN 0      244             [::]:5432         [::]:*
udp   UNCONN 0      0          127.0.0.1:323       0.0.0.0:*
tcp   LISTEN 0      4096      10.77.1.11:9100      0.0.0.0:*
"""


def test_a_listening_port_no_service_grant_or_management_port_explains_is_found():
    listening = security.listening_ports(SS.splitlines())
    assert (("tcp", "127.0.0.1", 3306)) not in listening  # loopback only: not exposed
    services = [{"hosts": ["srv1"], "port": 5432}, {"hosts": ["srv2"], "port": 8765}]
    found = security.unexplained("srv1", listening, services, set(), {22, 9100})
    assert found == [("tcp", "0.0.0.0", 8765)]  # srv2's service does not explain srv1's
    assert security.unexplained("srv1", listening, services, {8765}, {22, 9100}) == []


def test_the_firewall_ruleset_digest_ignores_grant_elements_but_not_rules():
    def ruleset(elements: list, port: int | None) -> dict:
        rules = [
            {
                "rule": {
                    "family": "inet",
                    "table": "sop",
                    "chain": "forward",
                    "handle": 4,
                    "expr": [
                        {"match": {"op": "in", "left": {"payload": {}}, "right": "@grants"}},
                        {"accept": None},
                    ],
                }
            }
        ]
        if port:
            rules.append(
                {
                    "rule": {
                        "family": "inet",
                        "table": "sop",
                        "chain": "forward",
                        "expr": [
                            {
                                "match": {
                                    "op": "==",
                                    "left": {"payload": {"protocol": "tcp", "field": "dport"}},
                                    "right": port,
                                }
                            },
                            {"accept": None},
                        ],
                    }
                }
            )
        return {"nftables": [{"metainfo": {"version": "1.0.6"}},
                             {"set": {"name": "grants", "elem": elements, "handle": 3}},
                             *rules]}  # fmt: skip

    base = security.ruleset_digest(ruleset([], None))
    assert security.ruleset_digest(ruleset([{"elem": {"val": "x"}}], None)) == base
    assert security.ruleset_digest(ruleset([], 4444)) != base
    assert security.accepted_ports(ruleset([], 4444)) == [("tcp", 4444)]
    assert security.accepted_ports(ruleset([], None)) == []
