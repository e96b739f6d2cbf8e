#!/usr/bin/python
"""Delete backups kept longer than the retention period (SOP 7.5 step 2)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: restic_forget
short_description: Forget one host's file backups older than a year (never a source's last), prune
description:
  - SOP 7.5 step 2 deletes backups kept longer than 1 year.  SOP 7.5 is about
    file backups (SOP 7.1).  Database dumps (SOP 7.2, the snapshots tagged
    C(kind=database)) are kept and listed as RV(out_of_scope) unless a policy of
    their own is given in O(database_max_age_days).
  - The snapshots to
    delete are computed here from today's date and forgotten by their explicit
    ids (C(restic forget ID...)); restic's C(--keep-within) is not used, since
    it counts from the newest snapshot and one future-dated snapshot would
    shift it.
  - Only the snapshots of O(host) are listed and deleted (C(restic snapshots
    --host), checked again here), so a repository shared by several hosts
    keeps the other hosts' snapshots.  O(host) is required by this module.
  - The period is counted in calendar years, not days, O(max_age_days) // 365 years
    before O(today) (29 February counts back to 28 February in a year without
    one), then O(max_age_days) % 365 days more.  A snapshot goes only when its
    date (in the time zone it was recorded in) is before that cutoff.
  - The last snapshot of a source (host plus the C(source) tag or the paths)
    is never deleted (its newest snapshot not dated in the future).
  - C(restic prune) runs afterwards, separately (C(forget --json --prune)
    mixes JSON with text in restic 0.14).
version_added: "0.1.0"
options:
  host:
    description:
      - The host whose snapshots are considered (the host its backups record,
        C(inventory_hostname) in the playbooks).  Required here; without it
        the module fails and deletes nothing.
    type: str
  max_age_days:
    description:
      - File snapshots older than this (counted back from O(today) as calendar
        years and days, see above) go.  At least 365 (the SOP's one year).
    type: int
    default: 365
  database_max_age_days:
    description:
      - The separate policy for database dumps (SOP 7.2 snapshots); at least 365.
        Unset, no database dump is deleted.
    type: int
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
    host: "{{ inventory_hostname }}"
    max_age_days: 365
  no_log: true
  throttle: 1
"""

RETURN = r"""
deleted:
  description: The snapshots deleted (in check mode, to be deleted) with name, type, owner, date.
  returned: always
  type: list
  elements: dict
  sample:
    - {"id": "5f1c0a6b...", "name": "/srv/data", "type": "file", "host": "srv1",
       "owner": "srv1:/srv/data", "time": "2025-10-01T03:00:00+00:00", "age_days": 423}
kept_last:
  description: Snapshots older than the limit kept because they are the last of their source.
  returned: always
  type: list
  elements: dict
out_of_scope:
  description: Database dumps left alone, since no policy for them was given.
  returned: always
  type: list
  elements: dict
scope:
  description: The kinds of backup this pass judged (C(file), and C(database) with a policy).
  returned: always
  type: list
  elements: str
future:
  description: Snapshots dated in the future (a clock error worth reporting).
  returned: always
  type: list
  elements: dict
pruned:
  description: Whether prune ran.
  returned: always
  type: bool
host:
  description: The host whose snapshots were considered.
  returned: always
  type: str
cutoff:
  description: The oldest snapshot date kept (YYYY-MM-DD); older snapshots go.
  returned: always
  type: str
"""

from datetime import date  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.sop_restic import (  # noqa: E402
    MIN_RETENTION_DAYS,
    ResticError,
    kind_of,
    now_utc,
    parse_time,
    parse_today,
    restic_from_params,
    restic_options,
    retention_cutoff,
    select_retention,
    snapshots_of_host,
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
            "database_max_age_days": {"type": "int"},
            "today": {"type": "str"},
            "prune": {"type": "bool", "default": True},
        },
        required_one_of=[("password", "password_file")],
        supports_check_mode=True,
    )
    p = module.params
    if not p["host"]:
        # Fail safe: never list (and so never delete) every host's snapshots.
        module.fail_json(msg="host: required; retention acts only on one host's snapshots")
    try:
        today = parse_today(p["today"])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    try:
        cutoff = retention_cutoff(today, p["max_age_days"])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    database_days = p["database_max_age_days"]
    if database_days is not None and database_days < MIN_RETENTION_DAYS:
        # A policy for database dumps is a retention period too: never less than a year.
        module.fail_json(
            msg=f"database_max_age_days: {database_days} is less than a year; "
            f"allowed: {MIN_RETENTION_DAYS} or more"
        )
    try:
        restic = restic_from_params(p)
        listed = restic.snapshots("--host", p["host"])
    except ResticError as exc:
        module.fail_json(msg=str(exc))
    # restic filtered already; checked again since a deletion must never reach further.
    snapshots = snapshots_of_host(listed, p["host"])
    now = now_utc() if not p["today"] else None
    chosen = select_retention(snapshots, today, p["max_age_days"], database_days, now=now)
    result = {
        "changed": bool(chosen["delete"]),
        "repository": p["repository"],
        "host": p["host"],
        "today": today.isoformat(),
        "cutoff": cutoff.isoformat(),
        "max_age_days": p["max_age_days"],
        "deleted": [_row(s, today) for s in chosen["delete"]],
        "kept_last": [_row(s, today) for s in chosen["keep_last"]],
        "future": [_row(s, today) for s in chosen["future"]],
        "out_of_scope": [_row(s, today) for s in chosen["out_of_scope"]],
        "scope": ["file"] + (["database"] if database_days is not None else []),
        "kept": len(chosen["keep"]) + len(chosen["keep_last"]) + len(chosen["out_of_scope"]),
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
