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

import hashlib  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import tarfile  # noqa: E402
from typing import Any  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.restic import (  # noqa: E402
    ResticError,
    count_extensions,
    restic_from_params,
    restic_options,
)


def _sha256(path: str) -> str | None:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def _digest_of(handle: Any) -> str:
    digest = hashlib.sha256()
    if handle is not None:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _within(path: str, roots: list[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def _occupied(dest: str) -> bool:
    if os.path.isdir(dest) and not os.path.islink(dest):
        return bool(os.listdir(dest))
    return os.path.lexists(dest)


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
    try:
        restic = restic_from_params(p)
        filters = [] if p["snapshot"] != "latest" else ["--latest", "1"]
        if p["snapshot"] == "latest":
            if p["host"]:
                filters += ["--host", p["host"]]
            if p["source_path"]:
                filters += ["--path", p["source_path"]]
        else:
            filters.append(p["snapshot"])
        found = restic.snapshots(*filters)
    except ResticError as exc:
        module.fail_json(msg=str(exc))
    if len(found) != 1:
        module.fail_json(msg=f"snapshot: {p['snapshot']!r} names {len(found)} snapshots, not one")
    snap = found[0]
    roots = [os.path.normpath(x) for x in (p["include"] or snap.get("paths") or [])]
    for root in roots:
        if not _within(root, snap.get("paths") or []):
            module.fail_json(msg=f"include: {root} is not in snapshot {snap['short_id']}")
    destinations = roots if target == "/" else [target]
    occupied = [d for d in destinations if _occupied(d)]
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
    if occupied and not p["overwrite"]:
        module.fail_json(
            msg=(
                f"restore refused: {', '.join(occupied)} already exists and holds data; "
                "restoring over live data needs overwrite=true (sop: --param overwrite=true) "
                "in an approved request. Nothing was changed."
            ),
            refused=True,
            **result,
        )
    diff = {
        "before": "".join(
            f"{d}: {'existing data' if d in occupied else 'absent'}\n" for d in destinations
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
    names: list[str] = []
    total = 0
    mismatches: list[str] = []
    dump = restic.popen("dump", snap["id"], "/", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert dump.stdout is not None
    with tarfile.open(fileobj=dump.stdout, mode="r|") as tar:
        for member in tar:
            if not member.isfile():
                continue
            original = "/" + member.name.lstrip("/")
            if not _within(original, roots):
                continue
            restored = original if target == "/" else os.path.join(target, original.lstrip("/"))
            names.append(restored)
            total += member.size
            if not p["verify"]:
                continue
            digest = _digest_of(tar.extractfile(member))
            if _sha256(restored) != digest and len(mismatches) < 50:
                mismatches.append(restored)
    err = dump.stderr.read().decode(errors="replace") if dump.stderr else ""
    if dump.wait() != 0:
        module.fail_json(msg=f"restic dump (verification) failed: {err.strip()[-400:]}", **result)
    result.update(
        file_count=len(names),
        total_size=total,
        file_types=count_extensions(names),
        verified=bool(p["verify"]) and not mismatches,
        mismatches=mismatches,
        diff=diff,
    )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
