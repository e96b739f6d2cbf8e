#!/usr/bin/python
"""Read the sessions of SSH certificates from a host's sshd log (SOP 2.4, remote account log).

The reading is in plugins/module_utils/sop_sshd_log.py.
"""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: sshd_sessions_info
short_description: Sessions of SSH certificates, read from sshd's log
description:
  - Reads the sshd log files of O(paths) and returns every login of a certificate whose
    key id is in O(key_ids) (sshd logs C(Accepted publickey ... ID <key id> (serial N))),
    with the end of its connection when the log has it.
  - Changes nothing; an C(_info) module (it only reads). Files that do not exist are
    skipped.
version_added: "0.2.0"
options:
  paths:
    description: sshd's log files, oldest first (e.g. C(/var/log/auth.log.1), C(/var/log/auth.log)).
    type: list
    elements: path
    default: [/var/log/auth.log]
  key_ids:
    description: The certificates' key ids whose sessions are wanted.
    type: list
    elements: str
    required: true
notes:
  - Supports check mode (it only reads).
author:
  - sop-pusatdata developers
"""

EXAMPLES = r"""
- name: Read the remote user's sessions
  sshd_sessions_info:
    paths: [/var/log/auth.log]
    key_ids: ["sop request 7 remote user andi as vendor@srv1 operator budi"]
  register: sessions
"""

RETURN = r"""
sessions:
  description: The sessions found, in the order of the log.
  returned: always
  type: list
  elements: dict
  sample:
    - key_id: sop request 7 remote user andi as vendor@srv1 operator budi
      serial: 91
      user: vendor
      source: 10.77.2.10
      port: 50412
      opened_at: "2025-03-01T09:00:05+07:00"
      closed_at: "2025-03-01T09:12:40+07:00"
"""

import os  # noqa: E402
from datetime import datetime  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.sop_sshd_log import sessions  # type: ignore[import-not-found]  # noqa: E402


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "paths": {"type": "list", "elements": "path", "default": ["/var/log/auth.log"]},
            # Certificate names, not keys (ansible-test would ask for no_log by the word).
            "key_ids": {"type": "list", "elements": "str", "required": True, "no_log": False},
        },
        supports_check_mode=True,
    )
    lines: list[str] = []
    for path in module.params["paths"]:
        if os.path.exists(path):
            with open(path, encoding="utf-8", errors="replace") as handle:
                lines.extend(handle.read().splitlines())
    found = sessions(lines, module.params["key_ids"], datetime.now().year)
    module.exit_json(changed=False, sessions=found)


if __name__ == "__main__":
    main()
