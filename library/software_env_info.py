#!/usr/bin/python
"""Hold a host's environment against a software's requirements (SOP 1.3 steps 2–3)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: software_env_info
short_description: Check a host's environment against what a software needs
description:
  - SOP 1.3 steps 2 and 3 ensure the environment a software needs is there before it is
    installed. This module reads the host's real facts (os-release, CPU cores, memory,
    free disk space, installed Debian packages, listening TCP ports) and holds them
    against the software's requirement spec. It changes nothing.
version_added: "0.1.0"
options:
  requires:
    description:
      - "The requirement spec: any of C(os) ({id, min_version}), C(cpu_cores), C(ram_mb),
        C(disk_free_mb) ({path: MiB}), C(packages) (installed), C(ports_free) (nothing
        listening)."
    type: dict
    required: true
notes:
  - Supports check mode (it only reads); diff mode shows nothing (no change).
author:
  - sop-pusatdata developers
"""

EXAMPLES = r"""
- name: Check the environment BusyBox httpd needs
  software_env_info:
    requires:
      os: {id: debian, min_version: "12"}
      ram_mb: 64
      disk_free_mb: {/: 50}
      packages: [libc6]
      ports_free: [8090]
  register: software_env
"""

RETURN = r"""
met:
  description: Whether every requirement is met.
  returned: always
  type: bool
results:
  description: One result per requirement (check, needed, found, ok).
  returned: always
  type: list
  elements: dict
reasons:
  description: One line per unmet requirement.
  returned: always
  type: list
  elements: str
facts:
  description: The host facts read (os, cpu_cores, ram_mb, disk_free_mb, listening_ports,
    package_count).
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.sop_software_env import evaluate, gather, reasons  # noqa: E402


def main() -> None:
    module = AnsibleModule(
        argument_spec={"requires": {"type": "dict", "required": True}},
        supports_check_mode=True,
    )
    requires = module.params["requires"]
    facts = gather(sorted((requires.get("disk_free_mb") or {}).keys()) or ["/"])
    try:
        results = evaluate(requires, facts)
    except ValueError as error:
        module.fail_json(msg=str(error))
    shown = {k: v for k, v in facts.items() if k != "packages"}
    shown["package_count"] = len(facts["packages"])
    module.exit_json(
        changed=False,
        met=all(r["ok"] for r in results),
        results=results,
        reasons=reasons(results),
        facts=shown,
    )


if __name__ == "__main__":
    main()
