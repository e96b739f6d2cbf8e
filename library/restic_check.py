#!/usr/bin/python
"""Check a restic repository's integrity, reading a rotating subset of its data."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: restic_check
short_description: Check a restic repository, reading a rotating subset of the data
description:
  - Runs C(restic check) with C(--read-data-subset) chosen from the date, so
    that a weekly check (C(n/52), n = ISO week) or a monthly one (C(n/12))
    reads every pack of the repository once a year.
  - A repository that fails the check is reported (O(fail_on_error)), not silently used.
version_added: "0.1.0"
options:
  read_data_subset:
    description:
      - C(auto) picks the subset from O(today) and O(period); C(none) checks
        the structure only; C(all) reads all data; or an explicit C(n/N).
    type: str
    default: auto
  period:
    description: How often the check runs, for the C(auto) subset.
    type: str
    choices: [day, week, month]
    default: week
  today:
    description: The date the subset is computed from (YYYY-MM-DD); defaults to today.
    type: str
  fail_on_error:
    description: Fail when the check finds errors (the result still carries the findings).
    type: bool
    default: true
extends_documentation_fragment:
  - restic
notes:
  - Changes no data, so it runs in check mode too. It is not an C(_info) module
    all the same, because C(restic check) holds restic's exclusive lock on the repository
    while it runs (a lock file written into the repository, so a backup or
    prune started meanwhile waits or fails).
author:
  - sop-pusatdata developers
"""

EXAMPLES = r"""
- name: Check the repository before using it
  restic_check:
    repository: sftp:root@backup:/srv/restic/srv1
    password: "{{ restic_password_value }}"
    period: week
  no_log: true
"""

RETURN = r"""
ok:
  description: Whether the repository passed the check.
  returned: always
  type: bool
subset:
  description: The data subset read (C(none) for a structure-only check).
  returned: always
  type: str
  sample: 19/52
message:
  description: The end of restic's output (errors found, or "no errors were found").
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.sop_restic import (  # noqa: E402
    ResticError,
    check_subset,
    parse_today,
    restic_from_params,
    restic_options,
    tail,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **restic_options(),
            "read_data_subset": {"type": "str", "default": "auto"},
            "period": {"type": "str", "choices": ["day", "week", "month"], "default": "week"},
            "today": {"type": "str"},
            "fail_on_error": {"type": "bool", "default": True},
        },
        required_one_of=[("password", "password_file")],
        supports_check_mode=True,
    )
    p = module.params
    try:
        today = parse_today(p["today"])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    subset = p["read_data_subset"]
    if subset == "auto":
        subset = check_subset(today, p["period"])
    args = ["check"]
    if subset == "all":
        args.append("--read-data")
    elif subset != "none":
        args.append(f"--read-data-subset={subset}")
    try:
        restic = restic_from_params(p)
        proc = restic.run(*args, check=False)
    except ResticError as exc:
        module.fail_json(msg=str(exc), ok=False, subset=subset, message=str(exc))
    ok = proc.returncode == 0
    message = tail(proc) if not ok else (proc.stdout.strip().splitlines() or [""])[-1]
    result = {"changed": False, "ok": ok, "subset": subset, "message": message}
    if not ok and p["fail_on_error"]:
        module.fail_json(msg=f"repository {p['repository']} failed the check: {message}", **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
