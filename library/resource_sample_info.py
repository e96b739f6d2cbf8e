#!/usr/bin/python
"""Read one sample of a host's resource load from /proc (SOP 6.1).

The reading is in plugins/module_utils/sop_resources.py.
"""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: resource_sample_info
short_description: Read the load of CPU, RAM, disk and network of a host
description:
  - Reads C(/proc/loadavg), C(/proc/meminfo), C(/proc/net/dev) and the
    file system of O(path), the figures SOP 6.1 asks the petugas to record.
  - Changes nothing; an C(_info) module (it only reads).
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
  resource_sample_info:
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

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.sop_resources import sample  # type: ignore[import-not-found]  # noqa: E402


def main() -> None:
    module = AnsibleModule(
        argument_spec={"path": {"type": "path", "default": "/"}}, supports_check_mode=True
    )
    module.exit_json(changed=False, sample=sample(module.params["path"]))


if __name__ == "__main__":
    main()
