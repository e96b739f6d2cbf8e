#!/usr/bin/python
"""Delete backups kept longer than the retention period (SOP 7.5 step 2)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: restic_forget
short_description: Forget snapshots older than a year, never a source's last, then prune
description:
  - SOP 7.5 step 2 deletes backups kept longer than 1 year.  The snapshots to
    delete are computed here from today's date and forgotten by their explicit
    ids (C(restic forget ID...)); restic's C(--keep-within) is not used, since
    it counts from the newest snapshot and one future-dated snapshot would
    shift it.
  - The last snapshot of a source (host plus the C(source) tag or the paths)
    is never deleted (its newest snapshot not dated in the future).
  - C(restic prune) runs afterwards, separately (C(forget --json --prune)
    mixes JSON with text in restic 0.14).
version_added: "0.1.0"
options:
  max_age_days:
    description: Snapshots older than this many days (counted back from O(today)) go.
    type: int
    default: 365
  today:
    description: The date the age is counted from (YYYY-MM-DD); defaults to today.
    type: str
  prune:
    description: Run C(restic prune) after forgetting.
    type: bool
    default: true
extends_documentation_fragment:
  - restic
notes:
  - Supports check mode and diff; it then lists what would go and deletes nothing.
  - Idempotent; a second run finds nothing more to delete.
author:
  - sop-pusatdata developers
"""

EXAMPLES = r"""
- name: Delete backups older than a year
  restic_forget:
    repository: sftp:root@backup:/srv/restic/srv1
    password: "{{ restic_password_value }}"
    max_age_days: 365
  no_log: true
"""

RETURN = r"""
deleted:
  description: The snapshots deleted (in check mode, to be deleted) with name, type, owner, date.
  returned: always
  type: list
  elements: dict
  sample:
    - {"id": "5f1c0a6b...", "name": "/srv/data", "type": "file",
       "owner": "srv1:/srv/data", "time": "2025-10-01T03:00:00+00:00", "age_days": 423}
kept_last:
  description: Snapshots older than the limit kept because they are the last of their source.
  returned: always
  type: list
  elements: dict
future:
  description: Snapshots dated in the future (a clock error worth reporting).
  returned: always
  type: list
  elements: dict
pruned:
  description: Whether prune ran.
  returned: always
  type: bool
"""

from datetime import date  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.restic import (  # noqa: E402
    ResticError,
    kind_of,
    now_utc,
    parse_time,
    restic_from_params,
    restic_options,
    select_expired,
    source_of,
)


def _row(snap: dict, today: date) -> dict:
    when = parse_time(snap["time"])
    return {
        "id": snap["id"],
        "short_id": snap.get("short_id", snap["id"][:8]),
        "name": ", ".join(
            x.lstrip("/") if kind_of(snap) == "database" else x for x in snap.get("paths") or []
        ),
        "type": kind_of(snap),
        "owner": source_of(snap),
        "host": snap.get("hostname", ""),
        "time": when.isoformat(timespec="seconds"),
        "age_days": (today - when.date()).days,
    }


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **restic_options(),
            "max_age_days": {"type": "int", "default": 365},
            "today": {"type": "str"},
            "prune": {"type": "bool", "default": True},
        },
        required_one_of=[("password", "password_file")],
        supports_check_mode=True,
    )
    p = module.params
    if p["max_age_days"] < 1:
        module.fail_json(msg="max_age_days: must be at least 1")
    try:
        today = date.fromisoformat(p["today"]) if p["today"] else date.today()
    except ValueError:
        module.fail_json(msg=f"today: {p['today']!r} is not a date (YYYY-MM-DD)")
    try:
        restic = restic_from_params(p)
        snapshots = restic.snapshots()
    except ResticError as exc:
        module.fail_json(msg=str(exc))
    now = now_utc() if not p["today"] else None
    chosen = select_expired(snapshots, today, p["max_age_days"], now=now)
    result = {
        "changed": bool(chosen["delete"]),
        "repository": p["repository"],
        "today": today.isoformat(),
        "max_age_days": p["max_age_days"],
        "deleted": [_row(s, today) for s in chosen["delete"]],
        "kept_last": [_row(s, today) for s in chosen["keep_last"]],
        "future": [_row(s, today) for s in chosen["future"]],
        "kept": len(chosen["keep"]) + len(chosen["keep_last"]),
        "pruned": False,
        "diff": {
            "before": "".join(f"{s['short_id']} {s['time']}\n" for s in snapshots),
            "after": "".join(
                f"{s['short_id']} {s['time']}\n"
                for s in snapshots
                if s["id"] not in {d["id"] for d in chosen["delete"]}
            ),
        },
    }
    if module.check_mode or not chosen["delete"]:
        module.exit_json(**result)
    try:
        restic.forget([s["id"] for s in chosen["delete"]])
        if p["prune"]:
            restic.run("prune")
            result["pruned"] = True
    except ResticError as exc:
        module.fail_json(msg=str(exc), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
