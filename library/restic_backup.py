#!/usr/bin/python
"""Back up files into a restic repository (SOP 7.1 step 3)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: restic_backup
short_description: Back up files and directories of a host into a restic repository
description:
  - SOP 7.1 step 3 (narrative step 4) copies the backup objects to the storage
    medium with the date and time of the backup.  Every snapshot carries its
    date and time, the host, the source paths and the tags C(sop),
    C(sop-procedure=7.1), C(kind=file) and C(source=...).
  - Returns what the file backup report needs (date and time, file types by
    extension with counts, total size, source, snapshot id, repository).
version_added: "0.1.0"
options:
  paths:
    description: Absolute paths to back up; each must exist.
    type: list
    elements: path
    required: true
  tags:
    description: Extra tags for the snapshot.
    type: list
    elements: str
    default: []
  exclude:
    description: Patterns to exclude (restic C(--exclude)).
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - restic
notes:
  - Supports check mode (reports what would be backed up, makes no snapshot).
  - Not idempotent by nature; each run is a new backup (a new snapshot), so it
    always reports changed.
author:
  - sop-pusatdata developers
"""

EXAMPLES = r"""
- name: Back up the application files to the backup host
  restic_backup:
    repository: sftp:root@backup:/srv/restic/srv1
    password: "{{ restic_password_value }}"
    paths: [/srv/app/data, /etc/app]
  no_log: true
"""

RETURN = r"""
snapshot_id:
  description: The id of the new snapshot (none in check mode).
  returned: success
  type: str
  sample: 5f1c0a6b9e2d...
time:
  description: Date and time of the backup (UTC, ISO 8601).
  returned: always
  type: str
host:
  description: The host recorded in the snapshot.
  returned: always
  type: str
paths:
  description: The sources backed up.
  returned: always
  type: list
  elements: str
file_count:
  description: Number of files under the sources.
  returned: always
  type: int
total_size:
  description: Total size of those files, bytes.
  returned: always
  type: int
file_types:
  description: Files counted by extension.
  returned: always
  type: dict
  sample: {"csv": 120, "pdf": 14, "(none)": 2}
summary:
  description: restic's backup summary (files new/changed/unmodified, data added, duration).
  returned: success
  type: dict
"""

import os  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
from typing import Any  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.sop_restic import (  # noqa: E402
    SOP_TAG,
    Restic,
    ResticError,
    encode_tag_value,
    now_utc,
    restic_from_params,
    restic_options,
    summary_from,
    walk_sources,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **restic_options(),
            "paths": {"type": "list", "elements": "path", "required": True},
            "tags": {"type": "list", "elements": "str", "default": []},
            "exclude": {"type": "list", "elements": "str", "default": []},
        },
        required_one_of=[("password", "password_file")],
        supports_check_mode=True,
    )
    p = module.params
    paths = [os.path.normpath(x) for x in p["paths"]]
    for path in paths:
        if not os.path.isabs(path):
            module.fail_json(msg=f"paths: {path!r} is relative; give absolute paths")
        if not os.path.lexists(path):
            module.fail_json(msg=f"paths: {path} does not exist on this host")
    host = p["host"] or socket.gethostname()
    when = now_utc()
    source = ",".join(sorted(paths))
    result = {
        "changed": True,
        "time": when.isoformat(timespec="seconds"),
        "host": host,
        "paths": paths,
        "repository": p["repository"],
    }
    if module.check_mode:
        module.exit_json(
            **result,
            **walk_sources(paths),
            diff={"before": "", "after": f"new snapshot of {source}\n"},
        )
    tags = [SOP_TAG, "sop-procedure=7.1", "kind=file", f"source={encode_tag_value(source)}"]
    # The same call as a bare `restic backup -q`: -q leaves out the status lines that
    # --json would otherwise print 60 times a second; the summary is printed still.
    args = ["backup", "-q", "--json", "--host", host]
    args += ["--time", when.strftime("%Y-%m-%d %H:%M:%S")]
    for tag in tags + list(p["tags"]):
        args += ["--tag", tag]
    for pattern in p["exclude"]:
        args += ["--exclude", pattern]
    try:
        restic = restic_from_params(p)
        # restic reads --time as local time: run it in UTC so the snapshot time is exact.
        restic.env["TZ"] = "UTC"
        rc, summary, facts, error = backup_and_walk(restic, [*args, "--", *paths], paths)
    except ResticError as exc:
        module.fail_json(msg=str(exc), **result)
    result.update(facts)
    if rc != 0 or not summary.get("snapshot_id"):
        # rc 3: some files could not be read; the snapshot exists but is incomplete.
        module.fail_json(
            msg=f"restic backup failed (rc {rc}): {error}",
            snapshot_id=summary.get("snapshot_id"),
            **result,
        )
    module.exit_json(snapshot_id=summary["snapshot_id"], summary=summary, **result)


def backup_and_walk(
    restic: Restic, args: list[str], paths: list[str]
) -> tuple[int, dict[str, Any], dict[str, Any], str]:
    """Given restic, the backup's arguments and its sources, run the backup and count the
    sources' files meanwhile; return restic's exit code, its summary, the file facts and
    the end of its messages.

    The count (a walk of the sources in a thread) overlaps restic's own work
    instead of being added to it; restic's JSON is read line by line as it comes.
    """
    facts: dict[str, Any] = {}
    walker = threading.Thread(target=lambda: facts.update(walk_sources(paths)), daemon=True)
    with tempfile.TemporaryFile() as errors:
        proc = restic.popen(
            *args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors, text=True
        )
        walker.start()
        assert proc.stdout is not None
        with proc.stdout:
            summary = summary_from(proc.stdout)
        rc = proc.wait()
        walker.join()
        errors.seek(0)
        text = errors.read().decode(errors="replace").strip().replace("\n", " | ")
    return rc, summary, facts, text[-600:]


if __name__ == "__main__":
    main()
