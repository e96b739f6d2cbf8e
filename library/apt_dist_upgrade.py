#!/usr/bin/python
"""Upgrade a Debian host's packages with apt, keeping the versions before (SOP 4.2)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: apt_dist_upgrade
short_description: Upgrade a Debian host with apt and record the package versions before and after
description:
  - SOP 4.2 step 8 (narrative step 8). Writes the installed package versions to
    O(snapshot_path) first (what M(apt_rollback) rolls back to), runs
    C(apt-get -y dist-upgrade) (or C(upgrade)) non-interactively, keeping existing
    configuration files, and returns the versions before and after.
  - Idempotent; nothing pending means nothing changes (and the snapshot is left as it was).
version_added: "0.1.0"
options:
  snapshot_path:
    description: JSON file on the host receiving the versions before the upgrade.
    type: path
    required: true
  mode:
    description: The apt operation.
    type: str
    choices: [dist-upgrade, upgrade]
    default: dist-upgrade
  update_cache:
    description:
      - Run C(apt-get update) first (off for hosts whose indexes are prepared, e.g. offline).
    type: bool
    default: false
notes:
  - Supports check mode (simulates with C(apt-get -s)) and diff mode
    (package versions before/after).
  - Services are restarted by the package scripts where the host allows it
    (C(policy-rc.d) may refuse); restart applications explicitly after it.
author:
  - sop-pusatdata developers
"""

EXAMPLES = r"""
- name: Upgrade the packages (versions before kept for a rollback)
  apt_dist_upgrade:
    snapshot_path: /var/lib/sop-pusatdata/upgrade/before-12.json
  register: upgrade
"""

RETURN = r"""
changed_packages:
  description: Packages whose version changed (or would change in check mode), with from and to.
  returned: always
  type: list
  elements: dict
  sample: [{"name": "openssl", "from": "3.0.20-1~deb12u2", "to": "3.0.22-1~deb12u2"}]
before_count:
  description: Installed packages before.
  returned: always
  type: int
after_count:
  description: Installed packages after.
  returned: always
  type: int
seconds:
  description: Duration of the apt run.
  returned: always
  type: float
snapshot_path:
  description: Where the versions before were written.
  returned: always
  type: str
"""

import json  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.sop_os_upgrade import installed_packages, parse_simulation  # noqa: E402

APT_ENV = {"LC_ALL": "C", "DEBIAN_FRONTEND": "noninteractive", "NEEDRESTART_MODE": "l"}


def installed(module: AnsibleModule) -> dict[str, dict[str, str]]:
    """Given the module, return {package: {version, arch}} of the installed packages."""
    return installed_packages(module, APT_ENV)


def changes(
    before: dict[str, dict[str, str]], after: dict[str, dict[str, str]]
) -> list[dict[str, str]]:
    """Given two package states, return what differs (from '' = new, to '' = removed)."""
    names = sorted(set(before) | set(after))
    return [
        {
            "name": name,
            "from": before.get(name, {}).get("version", ""),
            "to": after.get(name, {}).get("version", ""),
        }
        for name in names
        if before.get(name, {}).get("version") != after.get(name, {}).get("version")
    ]


def _diff(changed: list[dict[str, str]]) -> dict[str, str]:
    return {
        "before": "".join(f"{c['name']} {c['from']}\n" for c in changed if c["from"]),
        "after": "".join(f"{c['name']} {c['to']}\n" for c in changed if c["to"]),
    }


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "snapshot_path": {"type": "path", "required": True},
            "mode": {
                "type": "str",
                "choices": ["dist-upgrade", "upgrade"],
                "default": "dist-upgrade",
            },
            "update_cache": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    mode, path = module.params["mode"], module.params["snapshot_path"]
    before = installed(module)
    result: dict[str, Any] = {"snapshot_path": path, "before_count": len(before)}
    if module.params["update_cache"] and not module.check_mode:
        rc, _, err = module.run_command(["apt-get", "update"], environ_update=APT_ENV)
        if rc != 0:
            module.fail_json(msg=f"apt-get update failed: {err.strip()[-500:]}", **result)
    rc, out, err = module.run_command(
        ["apt-get", "-s", "-o", "Debug::NoLocking=1", mode], environ_update=APT_ENV
    )
    if rc != 0:
        module.fail_json(msg=f"apt-get -s {mode} failed: {err.strip()[-500:]}", **result)
    simulation = parse_simulation(out)
    pending = [
        {"name": n, "from": u["from"], "to": u["to"]} for n, u in simulation["upgrades"].items()
    ] + [{"name": n, "from": "", "to": i["to"]} for n, i in simulation["installs"].items()]
    pending += [{"name": n, "from": v, "to": ""} for n, v in simulation["removals"].items()]
    pending.sort(key=lambda c: c["name"])
    if not pending:
        module.exit_json(
            changed=False, changed_packages=[], after_count=len(before), seconds=0.0, **result
        )
    if module.check_mode:
        module.exit_json(
            changed=True,
            changed_packages=pending,
            after_count=len(before),
            seconds=0.0,
            diff=_diff(pending),
            **result,
        )
    os.makedirs(os.path.dirname(path) or "/", mode=0o700, exist_ok=True)
    with open(path + ".tmp", "w") as handle:
        json.dump({"taken_at": time.time(), "packages": before}, handle, indent=1, sort_keys=True)
    os.replace(path + ".tmp", path)
    started = time.monotonic()
    rc, out, err = module.run_command(
        [
            "apt-get",
            "-y",
            "-o",
            "Dpkg::Options::=--force-confdef",
            "-o",
            "Dpkg::Options::=--force-confold",
            mode,
        ],
        environ_update=APT_ENV,
    )
    seconds = round(time.monotonic() - started, 2)
    after = installed(module)
    changed = changes(before, after)
    result.update(changed_packages=changed, after_count=len(after), seconds=seconds)
    if rc != 0:
        module.fail_json(
            msg=f"apt-get {mode} failed (rc {rc}): {(err or out).strip()[-800:]}",
            changed=bool(changed),
            **result,
        )
    module.exit_json(changed=bool(changed), diff=_diff(changed), **result)


if __name__ == "__main__":
    main()
