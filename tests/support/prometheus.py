"""A real Prometheus for tests: a data folder of the test's own, backfilled with promtool,
started on a free port with a given scrape configuration, stopped at the end."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from sop_runner.lab.monitoring import start_prometheus
from sop_runner.procedures.monitoring.backfill import HostHistory, backfill

EMPTY_CONFIG = "global: {scrape_interval: 60s}\nscrape_configs: []\n"


@dataclass(frozen=True)
class RunningPrometheus:
    """A Prometheus a test started: its URL and data folder."""

    url: str
    data: Path


def free_port() -> int:
    """Return a TCP port of the loopback nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def prometheus_with_history(
    folder: Path,
    hosts: list[HostHistory],
    start: int,
    end: int,
    config_text: str = EMPTY_CONFIG,
) -> Iterator[RunningPrometheus]:
    """Given a folder, synthetic hosts and a period, yield a Prometheus holding their
    history (1-minute samples) and scraping what ``config_text`` says."""
    if shutil.which("prometheus") is None or shutil.which("promtool") is None:
        pytest.skip("Debian's prometheus package is not installed (scripts/bootstrap.sh)")
    data = folder / "data"
    backfill(hosts, start, end, data)
    config = folder / "prometheus.yml"
    config.write_text(config_text)
    port = free_port()
    proc = start_prometheus(config, data, port, folder / "prometheus.log")
    try:
        yield RunningPrometheus(f"http://127.0.0.1:{port}", data)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
