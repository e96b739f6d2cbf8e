"""History for Prometheus from outside: OpenMetrics files turned into TSDB blocks by promtool.

Tests and the bench give Prometheus weeks of 1-minute samples this way (`promtool
tsdb create-blocks-from openmetrics`), into a data folder of their own; an office
moving from another monitoring tool can import its history the same way.  The
synthetic host (``HostHistory``) has the metrics node_exporter reports, named and
labelled as the lab's scrape configuration labels them (``host``, ``role``).
"""

from __future__ import annotations

import math
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sop_runner.errors import SopError
from sop_runner.i18n import _

GIB = 1024**3


@dataclass(frozen=True)
class HostHistory:
    """A synthetic host's history: its disk fills linearly, its load follows the day.

    ``disk_fill_per_day`` is in bytes; ``spikes`` are (UNIX second, bytes/s) bursts of
    received traffic lasting one hour, on top of the daily pattern.
    """

    host: str
    role: str = "servers"
    disk_size: float = 100 * GIB
    disk_free_at_start: float = 60 * GIB
    disk_fill_per_day: float = 1 * GIB
    memory_total: float = 8 * GIB
    memory_used_share: float = 0.45
    cpu_busy_share: float = 0.2
    net_base: float = 2e6  # bytes/s at night; twice as much at 13:00
    device: str = "eth0"
    spikes: tuple[tuple[int, float], ...] = field(default_factory=tuple)

    def labels(self, **extra: str) -> str:
        """Given more labels, return the sample's label set as OpenMetrics writes it."""
        pairs = {"host": self.host, "role": self.role, "job": f"node-{self.role}", **extra}
        return "{" + ",".join(f'{k}="{v}"' for k, v in pairs.items()) + "}"

    def net_rate(self, t: int) -> float:
        """Given a UNIX second, return the received bytes/s then (daily wave plus spikes)."""
        hour = (t % 86400) / 3600
        rate = self.net_base * (1.5 - 0.5 * math.cos((hour - 1) / 24 * 2 * math.pi))
        for at, extra in self.spikes:
            if at <= t < at + 3600:
                rate += extra
        return rate


def _families(h: HostHistory) -> list[tuple[str, str, str, Callable[[int, int], float]]]:
    """Given a host, return (family, type, sample name + labels, value at (t, t0))."""
    mount = h.labels(mountpoint="/", device="/dev/root", fstype="ext4")
    return [
        ("node_cpu_seconds", "counter", "node_cpu_seconds_total" + h.labels(cpu="0", mode="idle"),
         lambda t, t0: (t - t0) * (1 - h.cpu_busy_share)),
        ("node_memory_MemTotal_bytes", "gauge", "node_memory_MemTotal_bytes" + h.labels(),
         lambda t, t0: h.memory_total),
        ("node_memory_MemAvailable_bytes", "gauge", "node_memory_MemAvailable_bytes" + h.labels(),
         lambda t, t0: h.memory_total * (1 - h.memory_used_share)),
        ("node_filesystem_size_bytes", "gauge", "node_filesystem_size_bytes" + mount,
         lambda t, t0: h.disk_size),
        ("node_filesystem_avail_bytes", "gauge", "node_filesystem_avail_bytes" + mount,
         lambda t, t0: max(0.0, h.disk_free_at_start - h.disk_fill_per_day * (t - t0) / 86400)),
        ("node_network_receive_bytes", "counter",
         "node_network_receive_bytes_total" + h.labels(device=h.device), None),  # type: ignore[list-item]
        ("node_network_transmit_bytes", "counter",
         "node_network_transmit_bytes_total" + h.labels(device=h.device), None),  # type: ignore[list-item]
    ]  # fmt: skip


def openmetrics(h: HostHistory, start: int, end: int, step: int = 60) -> Iterator[str]:
    """Given a host and a period (UNIX seconds), yield its OpenMetrics text, line by line."""
    for family, kind, sample, value in _families(h):
        yield f"# TYPE {family} {kind}\n"
        if value is not None:
            for t in range(start, end, step):
                yield f"{sample} {value(t, start):.1f} {t}\n"
            continue
        total = 0.0
        share = 1.0 if "receive" in family else 0.3
        for t in range(start, end, step):
            total += h.net_rate(t) * step * share
            yield f"{sample} {total:.0f} {t}\n"
    yield "# EOF\n"


def create_blocks(source: Path, data_dir: Path, max_block_hours: int = 24 * 8) -> None:
    """Given an OpenMetrics file and a Prometheus data folder, write the file's TSDB blocks.

    Raise SopError if promtool is missing or refuses the file.
    """
    promtool = shutil.which("promtool")
    if promtool is None:
        raise SopError(_("promtool: not found; install Debian's prometheus package"))
    data_dir.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [
            promtool,
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            f"--max-block-duration={max_block_hours}h",
            str(source),
            str(data_dir),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SopError(
            _("promtool: {source}: {error}").format(source=source, error=done.stderr.strip()[-500:])
        )


def backfill(
    hosts: list[HostHistory], start: int, end: int, data_dir: Path, step: int = 60
) -> None:
    """Given synthetic hosts, a period and a data folder, write their history as blocks.

    One file per host, removed once imported (a month of one host is tens of MB).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    for h in hosts:
        source = data_dir.parent / f"backfill-{h.host}.om"
        with source.open("w") as f:
            f.writelines(openmetrics(h, start, end, step))
        try:
            create_blocks(source, data_dir)
        finally:
            source.unlink(missing_ok=True)
