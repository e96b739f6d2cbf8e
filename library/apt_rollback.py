#!/usr/bin/python
"""Roll a Debian host's packages back to a snapshot of their versions (SOP 4.2 recovery)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: apt_rollback
short_description: Roll packages back to the versions recorded before an upgrade
description:
  - The recovery of a failed OS upgrade (SOP 4.2 step 9, when the test fails).
    Reads the snapshot M(apt_dist_upgrade) wrote, finds every package whose
    version differs now, and installs the old version's C(.deb) from O(archives)
    with C(dpkg -i) (dpkg allows the downgrade); packages the upgrade added are
    removed with C(dpkg -r) when O(remove_new) is set.
  - Afterwards it reads the package state again and returns whether it equals
    the snapshot (O(verified)). Fails, naming the packages, when an old version's
    C(.deb) is not in the cache; then restore from the backup (SOP 7.3/7.4).
version_added: "0.1.0"
options:
  snapshot_path:
    description: The JSON snapshot written by M(apt_dist_upgrade).
    type: path
    required: true
  archives:
    description: Where the old versions' C(.deb) files are looked for (apt's cache keeps them).
    type: path
    default: /var/cache/apt/archives
  remove_new:
    description: Remove packages that the upgrade installed and the snapshot does not have.
    type: bool
    default: true
notes:
  - Supports check mode (reports the plan) and diff mode (versions now and after the rollback).
  - Idempotent; a host already at its snapshot is left alone.
author:
  - sop-pusatdata developers
"""

EXAMPLES = r"""
- name: Roll the packages back
  apt_rollback:
    snapshot_path: /var/lib/sop-pusatdata/upgrade/before-12.json
  register: rollback
"""

RETURN = r"""
rolled_back:
  description: Packages put back to their old version (name, from, to).
  returned: always
  type: list
  elements: dict
removed:
  description: Packages removed because the upgrade had added them.
  returned: always
  type: list
  elements: str
missing:
  description: Packages whose old version has no .deb in O(archives).
  returned: always
  type: list
  elements: str
verified:
  description: Whether every package's version equals the snapshot afterwards.
  returned: always
  type: bool
passes_error:
  description: What dpkg said when a pass failed (a later pass may have finished the work).
  returned: when packages were installed
  type: str
remaining:
  description: Packages still differing from the snapshot afterwards.
  returned: always
  type: list
  elements: dict
"""

import json  # noqa: E402
import os  # noqa: E402
from typing import Any  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.sop_os_upgrade import installed_packages  # noqa: E402

APT_ENV = {"LC_ALL": "C", "DEBIAN_FRONTEND": "noninteractive"}


def deb_name(name: str, version: str, arch: str) -> str:
    """Given a package, version and architecture, return apt's cache file name for it."""
    return f"{name}_{version.replace(':', '%3a')}_{arch}.deb"


def installed(module: AnsibleModule) -> dict[str, dict[str, str]]:
    """Given the module, return {package: {version, arch}} of the installed packages."""
    return installed_packages(module, APT_ENV)


def differences(
    snapshot: dict[str, dict[str, str]], now: dict[str, dict[str, str]]
) -> list[dict[str, str]]:
    """Given the snapshot and the state now, return the packages that differ."""
    return [
        {
            "name": name,
            "from": now.get(name, {}).get("version", ""),
            "to": snapshot.get(name, {}).get("version", ""),
        }
        for name in sorted(set(snapshot) | set(now))
        if snapshot.get(name, {}).get("version") != now.get(name, {}).get("version")
    ]


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "snapshot_path": {"type": "path", "required": True},
            "archives": {"type": "path", "default": "/var/cache/apt/archives"},
            "remove_new": {"type": "bool", "default": True},
        },
        supports_check_mode=True,
    )
    try:
        with open(module.params["snapshot_path"]) as handle:
            snapshot = json.load(handle)["packages"]
    except (OSError, ValueError, KeyError) as error:
        module.fail_json(msg=f"snapshot {module.params['snapshot_path']}: {error}")
    now = installed(module)
    diff = differences(snapshot, now)
    downgrades = [d for d in diff if d["to"]]
    new = [d["name"] for d in diff if not d["to"]] if module.params["remove_new"] else []
    files, missing = [], []
    for item in downgrades:
        path = os.path.join(
            module.params["archives"],
            deb_name(item["name"], item["to"], snapshot[item["name"]]["arch"]),
        )
        (files if os.path.exists(path) else missing).append(
            path if os.path.exists(path) else item["name"]
        )
    result: dict[str, Any] = {
        "rolled_back": downgrades,
        "removed": new,
        "missing": missing,
        "diff": {
            "before": "".join(f"{d['name']} {d['from']}\n" for d in diff),
            "after": "".join(f"{d['name']} {d['to']}\n" for d in diff),
        },
    }
    if missing:
        module.fail_json(
            msg="no .deb of the old version for: "
            + ", ".join(missing)
            + "; restore the host from the backup taken before the upgrade (SOP 7.3/7.4)",
            verified=False,
            remaining=diff,
            **result,
        )
    if not diff:
        module.exit_json(changed=False, verified=True, remaining=[], **result)
    if module.check_mode:
        module.exit_json(changed=True, verified=False, remaining=diff, **result)
    # One dpkg call may leave a package unconfigured when its pre-dependency comes later
    # in the list (libpam-modules before libpam-modules-bin): pass again over what still
    # differs, as long as each pass makes progress.
    errors = ""
    by_name = dict(zip([d["name"] for d in downgrades], files, strict=True))
    pending = list(by_name)
    for _ in range(4):
        if not pending:
            break
        rc, out, err = module.run_command(
            ["dpkg", "-i", "--force-confold", *(by_name[n] for n in pending)],
            environ_update=APT_ENV,
        )
        errors = (err or out).strip()[-800:] if rc != 0 else ""
        left = [d["name"] for d in differences(snapshot, installed(module)) if d["name"] in by_name]
        if len(left) >= len(pending) and rc != 0:
            break
        pending = left
    module.run_command(["dpkg", "--configure", "-a"], environ_update=APT_ENV)
    result["passes_error"] = errors
    if new:
        rc, out, err = module.run_command(["dpkg", "-r", *new], environ_update=APT_ENV)
        if rc != 0:
            module.fail_json(msg=f"dpkg -r failed: {(err or out).strip()[-800:]}", **result)
    remaining = differences(snapshot, installed(module))
    if remaining:
        module.fail_json(
            msg=f"rollback incomplete: {remaining}; dpkg said: {errors}",
            changed=True,
            verified=False,
            remaining=remaining,
            **result,
        )
    module.exit_json(changed=True, verified=True, remaining=[], **result)


if __name__ == "__main__":
    main()
