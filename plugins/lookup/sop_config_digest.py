"""Lookup: the digest of the desired configuration a 3.1 approval is bound to."""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: sop_config_digest
short_description: Digest of the desired configuration of hosts (SOP 3.1)
description:
  - Returns C(sha256:...) over every file that decides the rendered configuration of
    the given hosts - the inventory's C(hosts.yml), C(group_vars), the hosts'
    C(host_vars), the repository's roles and C(playbooks/config_apply.yml).
  - C(sop request 3.1) stores the same digest in the request as C(config_digest), and
    the gate of C(config_apply.yml) compares it, so an approval covers exactly the
    configuration that was reviewed.
options:
  _terms:
    description: Host names (lists are flattened).
    required: true
  inventory_dir:
    description: The inventory directory (Ansible's C(inventory_dir)).
    type: path
    required: true
author:
  - sop-pusatdata developers
"""

EXAMPLES = r"""
- name: Gate on the approved configuration
  sop_gate:
    procedure: "3.1"
    step: 4
    params:
      config_digest: "{{ lookup('sop_config_digest', ansible_play_hosts_all,
                         inventory_dir=inventory_dir) }}"
"""

RETURN = r"""
_raw:
  description: One string, C(sha256:) followed by 64 hex digits.
  type: list
  elements: str
"""

from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from ansible.errors import AnsibleLookupError  # noqa: E402
from ansible.plugins.lookup import LookupBase  # noqa: E402


class LookupModule(LookupBase):
    def run(self, terms: list[Any], variables: Any = None, **kwargs: Any) -> list[str]:
        self.set_options(var_options=variables, direct=kwargs)
        hosts: list[str] = []
        for term in terms:
            hosts += [str(h) for h in term] if isinstance(term, list) else [str(term)]
        try:
            from sop_runner.procedures.config.digest import config_digest
        except ImportError as exc:
            raise AnsibleLookupError(f"sop_runner is not importable here ({exc})") from exc
        return [config_digest(Path(self.get_option("inventory_dir")), hosts)]
