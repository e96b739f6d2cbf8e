#!/usr/bin/python
"""Documentation of the sop_gate action (the work is done by plugins/action/sop_gate.py)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: sop_gate
short_description: Refuse to go on unless an approved SOP request covers this play
description:
  - First task of every playbook of sop-pusatdata that changes state.
  - Verifies, against the store and the operators' ed25519 public keys, that
    the request given by O(request) (or the variable C(sop_request)) is for
    procedure O(procedure), names exactly the hosts of the play and the
    parameter values of O(params), and that every approval gate of the
    procedure up to step O(step) has a valid signed approval.
  - Fails with a message saying how to get approval when any of that does not hold.
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
  params:
    description:
      - The parameter values the play will use; each must equal the request's value.
    type: dict
    default: {}
  request:
    description:
      - The request id; defaults to the variable C(sop_request).
    type: str
notes:
  - Supports check mode; in check mode without a request the gate lets the
    play through, since nothing will change.
  - Always runs with C(run_once); a refusal fails every host of the play.
author:
  - sop-pusatdata developers
"""

EXAMPLES = r"""
- name: Refuse to run without an approved request
  sop_gate:
    procedure: "6.1"
    step: 5
    params:
      cleanup_path: "{{ cleanup_path }}"
      max_age_days: "{{ max_age_days }}"
  run_once: true
"""

RETURN = r"""
sop_gate:
  description: The approved request that covers this play.
  returned: success
  type: dict
  sample: {"request": 12, "procedure": "6.1", "step": 5, "targets": ["srv1"]}
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "procedure": {"type": "str", "required": True},
            "step": {"type": "int", "required": True},
            "params": {"type": "dict", "default": {}},
            "request": {"type": "str"},
        },
        supports_check_mode=True,
    )
    module.fail_json(msg="sop_gate must run through its action plugin (plugins/action)")


if __name__ == "__main__":
    main()
