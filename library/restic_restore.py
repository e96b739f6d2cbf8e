#!/usr/bin/python
"""Restore files from a restic snapshot and verify them (SOP 7.3 step 3)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: restic_restore
short_description: Restore files from a restic snapshot, never over live data unless told, verified
description:
  - SOP 7.3 step 3 copies the files from the storage medium back to the server.
  - Restores a snapshot (or the paths of it given in O(include)) into
    O(target), or back to their place when O(target) is C(/).
  - Refuses, changing nothing, when a file or directory it would write already
    exists, unless O(overwrite) is true.
  - Verifies every restored file, its SHA-256 on disk against the same file
    read from the snapshot (C(restic dump) as a tar stream).
version_added: "0.1.0"
options:
  snapshot:
    description: The snapshot id (full or short), or C(latest) of O(source_path) on O(host).
    type: str
    required: true
  target:
    description: Where to restore; C(/) puts the files back at their original paths.
    type: path
    default: /
  include:
    description: Only these paths of the snapshot (absolute, as backed up).
    type: list
    elements: path
    default: []
  source_path:
    description: With O(snapshot=latest), the backed-up path whose newest snapshot is used.
    type: path
  overwrite:
    description: Allow writing over existing files (restoring over live data).
    type: bool
    default: false
  verify:
    description: Compare the SHA-256 of every restored file with the snapshot.
    type: bool
    default: true
extends_documentation_fragment:
  - restic
notes:
  - Supports check mode and diff (lists what would be written).
author:
  - sop-pusatdata developers
"""

EXAMPLES = r"""
- name: Put the application files back where they were
  restic_restore:
    repository: sftp:root@backup:/srv/restic/srv1
    password: "{{ restic_password_value }}"
    snapshot: 5f1c0a6b
    target: /
  no_log: true
"""

RETURN = r"""
snapshot_id:
  description: The full id of the restored snapshot.
  returned: always
  type: str
destinations:
  description: The top paths written.
  returned: always
  type: list
  elements: str
file_count:
  description: Number of files restored.
  returned: success
  type: int
total_size:
  description: Their total size, bytes.
  returned: success
  type: int
file_types:
  description: Restored files counted by extension.
  returned: success
  type: dict
verified:
  description: Whether every restored file matched the snapshot.
  returned: success
  type: bool
mismatches:
  description: Files whose checksum differs or that are missing (at most 50).
  returned: success
  type: list
  elements: str
"""

import os  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.sop_restic import (  # noqa: E402
    ResticError,
    restic_from_params,
    restic_options,
)
from ansible.module_utils.sop_restore import (  # noqa: E402
    occupied,
    refusal,
    restored_files,
    within,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **restic_options(),
            "snapshot": {"type": "str", "required": True},
            "target": {"type": "path", "default": "/"},
            "include": {"type": "list", "elements": "path", "default": []},
            "source_path": {"type": "path"},
            "overwrite": {"type": "bool", "default": False},
            "verify": {"type": "bool", "default": True},
        },
        required_one_of=[("password", "password_file")],
        supports_check_mode=True,
    )
    p = module.params
    target = os.path.normpath(p["target"])
    if not os.path.isabs(target):
        module.fail_json(msg=f"target: {target!r} is relative; give an absolute path or /")
    latest = (["--host", p["host"]] if p["host"] else []) + (
        ["--path", p["source_path"]] if p["source_path"] else []
    )
    try:
        restic = restic_from_params(p)
        snap = restic.one_snapshot(p["snapshot"], latest)
    except ResticError as exc:
        module.fail_json(msg=str(exc))
    roots = [os.path.normpath(x) for x in (p["include"] or snap.get("paths") or [])]
    for root in roots:
        if not within(root, snap.get("paths") or []):
            module.fail_json(msg=f"include: {root} is not in snapshot {snap['short_id']}")
    destinations = roots if target == "/" else [target]
    taken = [d for d in destinations if occupied(d)]
    result = {
        "changed": False,
        "snapshot_id": snap["id"],
        "snapshot_time": snap["time"],
        "snapshot_host": snap.get("hostname"),
        "snapshot_paths": snap.get("paths") or [],
        "target": target,
        "destinations": destinations,
        "overwrite": p["overwrite"],
        "repository": p["repository"],
    }
    if taken and not p["overwrite"]:
        module.fail_json(
            msg=refusal(f"{', '.join(taken)} already exists and holds data"), refused=True, **result
        )
    diff = {
        "before": "".join(
            f"{d}: {'existing data' if d in taken else 'absent'}\n" for d in destinations
        ),
        "after": "".join(f"{d}: restored from snapshot {snap['short_id']}\n" for d in destinations),
    }
    if module.check_mode:
        module.exit_json(**{**result, "changed": True, "diff": diff})
    args = ["restore", snap["id"], "--target", target]
    for root in p["include"]:
        args += ["--include", root]
    try:
        restic.run(*args)
    except ResticError as exc:
        module.fail_json(msg=str(exc), **result)
    result["changed"] = True
    try:
        restored = restored_files(restic, snap["id"], roots, target, bool(p["verify"]))
    except ResticError as exc:
        module.fail_json(msg=str(exc), **result)
    result.update(
        **restored,
        verified=bool(p["verify"]) and not restored["mismatches"],
        diff=diff,
    )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
