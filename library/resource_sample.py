#!/usr/bin/python
"""Read one sample of a host's resource load from /proc (SOP 6.1)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: resource_sample
short_description: Read the load of CPU, RAM, disk and network of a host
description:
  - Reads C(/proc/loadavg), C(/proc/meminfo), C(/proc/net/dev) and the
    file system of O(path), the figures SOP 6.1 asks the petugas to record.
  - Changes nothing.
version_added: "0.1.0"
options:
  path:
    description: The mount point whose disk usage is measured.
    type: path
    default: /
notes:
  - Supports check mode (it only reads).
author:
  - sop-pusatdata developers
"""

EXAMPLES = r"""
- name: Record the resource load
  resource_sample:
    path: /
  register: sample
"""

RETURN = r"""
sample:
  description: One measurement of the host.
  returned: always
  type: dict
  sample:
    cpu_count: 2
    load_1m: 0.12
    memory_total_mb: 23976
    memory_used_mb: 1200
    disk_total_mb: 257000
    disk_used_mb: 22000
    net_rx_bytes: 1234
    net_tx_bytes: 5678
"""

import os  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402


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


def main() -> None:
    module = AnsibleModule(
        argument_spec={"path": {"type": "path", "default": "/"}}, supports_check_mode=True
    )
    with open("/proc/loadavg") as handle:
        load_1m = float(handle.read().split()[0])
    with open("/proc/meminfo") as handle:
        mem_total, mem_used = read_meminfo(handle.read())
    with open("/proc/net/dev") as handle:
        rx, tx = read_net(handle.read())
    stat = os.statvfs(module.params["path"])
    total = stat.f_blocks * stat.f_frsize // (1024 * 1024)
    free = stat.f_bfree * stat.f_frsize // (1024 * 1024)
    module.exit_json(
        changed=False,
        sample={
            "cpu_count": os.cpu_count() or 1,
            "load_1m": load_1m,
            "memory_total_mb": mem_total,
            "memory_used_mb": mem_used,
            "disk_total_mb": total,
            "disk_used_mb": total - free,
            "net_rx_bytes": rx,
            "net_tx_bytes": tx,
        },
    )


if __name__ == "__main__":
    main()
