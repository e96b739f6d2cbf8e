#!/usr/bin/python
"""Revoke SSH certificates on a host by serial: its sshd's key revocation list (SOP 2.4).

The reading and the specification are in plugins/module_utils/sop_krl.py.
"""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ssh_revoked_keys
short_description: Revoke SSH user certificates by serial in a host's KRL
description:
  - Makes the OpenSSH key revocation list (KRL) that sshd reads (C(RevokedKeys)) revoke
    every certificate serial of O(serials), signed by the CA of O(ca_public_key).
  - sshd reads the file at every login, so a revoked certificate is refused at once;
    sessions already open are not ended.
  - Serials already revoked are left alone (idempotent); the KRL is only ever added to.
version_added: "0.2.0"
requirements:
  - C(ssh-keygen) (OpenSSH) on the host
options:
  path:
    description: The KRL file sshd reads (its C(RevokedKeys)).
    type: path
    required: true
  ca_public_key:
    description: The public key of the CA whose certificates are revoked (C(TrustedUserCAKeys)).
    type: path
    required: true
  serials:
    description: Serials of the certificates to revoke.
    type: list
    elements: int
    required: true
notes:
  - Supports check mode (it says which serials it would add) and diff (serials before/after).
author:
  - sop-pusatdata developers
"""

EXAMPLES = r"""
- name: Revoke the certificate of an ended grant
  ssh_revoked_keys:
    path: /etc/ssh/sop_revoked_keys
    ca_public_key: /etc/ssh/sop_user_ca.pub
    serials: [4125736262341298013]
"""

RETURN = r"""
added:
  description: The serials added to the KRL by this run (would be, in check mode).
  returned: always
  type: list
  elements: int
  sample: [4125736262341298013]
revoked:
  description: Every serial the KRL revokes after this run.
  returned: always
  type: list
  elements: int
"""

import os  # noqa: E402
import tempfile  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.sop_krl import revoked_serials, spec  # type: ignore[import-not-found]  # noqa: E402


def _listed(module: AnsibleModule, path: str) -> set[int]:
    """Given the KRL's path, return the serials it revokes (none when there is no file)."""
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return set()
    rc, out, err = module.run_command(["ssh-keygen", "-Q", "-l", "-f", path])
    if rc != 0:
        module.fail_json(msg=f"path {path}: not a KRL ssh-keygen can read: {err.strip()}")
    return revoked_serials(out)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "ca_public_key": {"type": "path", "required": True},
            "serials": {"type": "list", "elements": "int", "required": True},
        },
        supports_check_mode=True,
    )
    path, ca = module.params["path"], module.params["ca_public_key"]
    before = _listed(module, path)
    added = sorted(set(module.params["serials"]) - before)
    diff = {
        "before": "".join(f"serial: {s}\n" for s in sorted(before)),
        "after": "".join(f"serial: {s}\n" for s in sorted(before | set(added))),
    }
    if not added or module.check_mode:
        module.exit_json(changed=bool(added), added=added, revoked=sorted(before), diff=diff)
    with tempfile.NamedTemporaryFile("w", prefix="sop-krl-", suffix=".spec") as handle:
        handle.write(spec(added))
        handle.flush()
        update = ["-u"] if os.path.exists(path) and os.path.getsize(path) else []
        rc, _, err = module.run_command(
            ["ssh-keygen", "-q", "-k", *update, "-f", path, "-s", ca, handle.name]
        )
    if rc != 0:
        module.fail_json(msg=f"ssh-keygen could not update the KRL {path}: {err.strip()}")
    after = _listed(module, path)
    if not set(added) <= after:
        module.fail_json(msg=f"the KRL {path} does not revoke {sorted(set(added) - after)}")
    module.exit_json(changed=True, added=added, revoked=sorted(after), diff=diff)


if __name__ == "__main__":
    main()
