#!/usr/bin/python
"""Ensure a restic repository exists (SOP 7.1/7.2 step 2: prepare the storage medium)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: restic_repository
short_description: Make sure a restic repository exists on the backup medium
description:
  - Prepares the storage medium of SOP 7.1 and 7.2 (physical media, cloud or
    other media), creating the restic repository when it does not exist yet.
  - An existing repository that cannot be opened (wrong password, damaged
    config) is an error, never re-created.
version_added: "0.1.0"
options:
  state:
    description: C(present) creates the repository if missing.
    type: str
    choices: [present]
    default: present
extends_documentation_fragment:
  - restic
notes:
  - Supports check mode and diff.
  - Idempotent; an existing repository is left as it is.
author:
  - sop-pusatdata developers
"""

EXAMPLES = r"""
- name: Prepare the SFTP repository on the backup host
  restic_repository:
    repository: sftp:root@backup:/srv/restic/srv1
    password: "{{ restic_password_value }}"
  no_log: true
"""

RETURN = r"""
repository:
  description: The repository.
  returned: always
  type: str
  sample: sftp:root@backup:/srv/restic/srv1
created:
  description: Whether the repository was (or in check mode would be) created.
  returned: always
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.sop_restic import (  # noqa: E402
    ResticError,
    restic_from_params,
    restic_options,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **restic_options(),
            "state": {"type": "str", "choices": ["present"], "default": "present"},
        },
        required_one_of=[("password", "password_file")],
        supports_check_mode=True,
    )
    repo = module.params["repository"]
    try:
        restic = restic_from_params(module.params)
        if restic.exists():
            module.exit_json(changed=False, repository=repo, created=False)
        diff = {"before": {"repository": None}, "after": {"repository": repo}}
        if module.check_mode:
            module.exit_json(changed=True, repository=repo, created=True, diff=diff)
        restic.run("init")
    except ResticError as exc:
        module.fail_json(msg=str(exc), repository=repo)
    module.exit_json(changed=True, repository=repo, created=True, diff=diff)


if __name__ == "__main__":
    main()
