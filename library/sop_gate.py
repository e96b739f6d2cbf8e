#!/usr/bin/python
"""Documentation of the sop_gate action (the work is done by plugins/action/sop_gate.py)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: sop_gate
short_description: Refuse to go on unless an approved SOP request covers this play
description:
  - First task of every playbook of sop-pusatdata.
  - Verifies, against the store and the operators' ed25519 public keys, that
    the request given by O(request) (or the variable C(sop_request)) is for
    procedure O(procedure), names exactly the hosts of the play, is signed by
    its requester, still hits the services and needs the gates it fixed, is not
    done, rejected, cancelled or expired, and that every approval gate of the
    procedure up to step O(step) has a valid signed approval.
  - The play's extra vars may only be C(sop_request) and C(sop_params) (and
    C(sop_run), which C(sop run) passes); C(sop_params) must be exactly the
    request's parameters, checked again against the procedure's schema.  An
    extra var starting with C(ansible_), or any other, is refused.
  - A step that changes something is claimed for its run, once per request and
    step; a second run of the request at the same time is refused.
  - Fails with a message saying why when any of that does not hold.
  - Runs on the controller as an action plugin; writes an audit entry either way.
version_added: "0.1.0"
options:
  procedure:
    description: The SOP procedure id this playbook implements, e.g. C(6.1).
    type: str
    required: true
  step:
    description: The procedure step (as numbered in the catalog) this playbook performs.
    type: int
    required: true
  read_only:
    description:
      - The step only reads (it comes before the procedure's first gate); the
        request is checked, no approval is needed and nothing is claimed.  Refused
        on a step at or after the first gate.
    type: bool
    default: false
  derived:
    description:
      - Values the play computes itself for the procedure's derived parameters
        (e.g. C(config_digest) from the repository); each must equal the request's.
    type: dict
    default: {}
  request:
    description:
      - The request id; defaults to the variable C(sop_request).
    type: str
notes:
  - Supports check mode; in check mode without a request the gate lets the
    play through, since nothing will change (its extra vars are still checked).
  - Always runs with C(run_once); a refusal fails every host of the play.
author:
  - sop-pusatdata developers
"""

EXAMPLES = r"""
- name: Refuse to run without an approved request
  sop_gate:
    procedure: "6.1"
    step: 5
  run_once: true

- name: Check the request of a step that only reads (before the first gate)
  sop_gate:
    procedure: "6.1"
    step: 1
    read_only: true
  run_once: true
"""

RETURN = r"""
sop_gate:
  description: The approved request that covers this play.
  returned: success
  type: dict
  sample: {"request": 12, "procedure": "6.1", "step": 5, "targets": ["srv1"], "run": 3}
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "procedure": {"type": "str", "required": True},
            "step": {"type": "int", "required": True},
            "read_only": {"type": "bool", "default": False},
            "derived": {"type": "dict", "default": {}},
            "request": {"type": "str"},
        },
        supports_check_mode=True,
    )
    try:  # on the controller the play's language (docs/i18n.md); English where sop is not
        from sop_runner.i18n import _
    except ImportError:
        _ = str
    module.fail_json(msg=_("sop_gate must run through its action plugin (plugins/action)"))


if __name__ == "__main__":
    main()
