"""One sample of a host's resource load, read from /proc (SOP 6.1): the reading behind
the resource_sample_info module."""

from __future__ import annotations

import os
from typing import Any


def read_meminfo(text: str) -> tuple[int, int]:
    """Given /proc/meminfo, return total and used memory in MiB."""
    values = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        values[key] = int(rest.split()[0])
    total = values["MemTotal"]
    available = values.get("MemAvailable", values.get("MemFree", 0))
    return total // 1024, (total - available) // 1024


def read_net(text: str) -> tuple[int, int]:
    """Given /proc/net/dev, return received and sent bytes over all interfaces but lo."""
    rx = tx = 0
    for line in text.splitlines()[2:]:
        name, _, rest = line.partition(":")
        if name.strip() == "lo":
            continue
        fields = rest.split()
        rx += int(fields[0])
        tx += int(fields[8])
    return rx, tx


def sample(path: str) -> dict[str, Any]:
    """Given a mount point, return this host's CPU, memory, disk (of path) and network load."""
    with open("/proc/loadavg") as handle:
        load_1m = float(handle.read().split()[0])
    with open("/proc/meminfo") as handle:
        mem_total, mem_used = read_meminfo(handle.read())
    with open("/proc/net/dev") as handle:
        rx, tx = read_net(handle.read())
    stat = os.statvfs(path)
    total = stat.f_blocks * stat.f_frsize // (1024 * 1024)
    free = stat.f_bfree * stat.f_frsize // (1024 * 1024)
    return {
        "cpu_count": os.cpu_count() or 1,
        "load_1m": load_1m,
        "memory_total_mb": mem_total,
        "memory_used_mb": mem_used,
        "disk_total_mb": total,
        "disk_used_mb": total - free,
        "net_rx_bytes": rx,
        "net_tx_bytes": tx,
    }
