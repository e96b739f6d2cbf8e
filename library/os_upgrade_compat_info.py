#!/usr/bin/python
"""Hold the applications' requirements against a host's upgrade facts (SOP 4.2 step 2)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: os_upgrade_compat_info
short_description: Decide whether an OS upgrade fits the applications on a host
description:
  - SOP 4.2 steps 2-3. Given the facts of M(os_upgrade_facts) and the requirement
    spec of each application on the host, return compatible or not compatible,
    with one result per requirement and the reasons.
  - A requirement is one line C(SUBJECT [OP VALUE]) - a package (C(python3.11 >= 3.11.2),
    held against its version after the upgrade), C(release >= 12), C(kernel >= 6.1),
    C(disk_free_mb:/var >= 500) or C(kernel_module:NAME).
  - Changes nothing; the play decides what to do with the verdict (SOP 4.2 postpones
    the upgrade when it is not compatible).
version_added: "0.1.0"
options:
  facts:
    description: The C(facts) returned by M(os_upgrade_facts).
    type: dict
    required: true
  applications:
    description:
      - The applications on the host, each C({name, requires}) with a list of requirement lines.
    type: list
    elements: dict
    default: []
  extra_requirements:
    description: Requirement lines added by the request (they count for application C(request)).
    type: list
    elements: str
    default: []
  target_release:
    description:
      - C(latest) (newest packages of the configured suites) or a Debian release
        (codename or major version).
    type: str
    default: latest
  min_free_mb:
    description: Free space on C(/) the upgrade itself needs, MiB.
    type: int
    default: 0
notes:
  - Supports check mode (it only computes).
author:
  - sop-pusatdata developers
"""

EXAMPLES = r"""
- name: Hold the requirements against the facts
  os_upgrade_compat_info:
    facts: "{{ upgrade_facts.facts }}"
    applications: "{{ upgrade_applications }}"
    extra_requirements: ["openssh-server >= 99"]
    target_release: latest
  register: compat
"""

RETURN = r"""
compatible:
  description: Whether the upgrade fits every requirement.
  returned: always
  type: bool
results:
  description: One entry per requirement (application, requirement, now, after, ok, reason).
  returned: always
  type: list
  elements: dict
reasons:
  description: Why it is not compatible (empty when compatible).
  returned: always
  type: list
  elements: str
warnings_found:
  description: Remarks that do not block the upgrade (held packages, nothing to upgrade).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.sop_os_upgrade import evaluate, verdict  # noqa: E402


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "facts": {"type": "dict", "required": True},
            "applications": {"type": "list", "elements": "dict", "default": []},
            "extra_requirements": {"type": "list", "elements": "str", "default": []},
            "target_release": {"type": "str", "default": "latest"},
            "min_free_mb": {"type": "int", "default": 0},
        },
        supports_check_mode=True,
    )
    requirements = [
        {"application": str(app.get("name", "")), "text": str(text)}
        for app in module.params["applications"]
        for text in app.get("requires", []) or []
    ]
    requirements += [
        {"application": "request", "text": text} for text in module.params["extra_requirements"]
    ]
    facts = module.params["facts"]
    results = evaluate(requirements, facts)
    decision = verdict(
        results, facts, module.params["target_release"], module.params["min_free_mb"]
    )
    module.exit_json(
        changed=False,
        compatible=decision["compatible"],
        results=results,
        reasons=decision["reasons"],
        warnings_found=decision["warnings"],
    )


if __name__ == "__main__":
    main()
