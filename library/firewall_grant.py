#!/usr/bin/python
"""Open, extend and close time-limited port grants on a firewall (SOP 2.4)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: firewall_grant
short_description: Time-limited remote access grants on a firewall (SOP 2.4)
description:
  - Makes the grants of remote users on a firewall what is asked for. A grant
    lets one source address (or network) reach one port of one destination
    until an absolute end time; the firewall itself closes the port at that
    time, so nothing has to be running on the controller for it to close.
  - "Backend C(nftables): each grant is an element C(source . destination . port)
    (or C(source . destination . protocol . port) when the set type holds
    C(inet_proto)) of a set with C(flags timeout), matched by the forward
    chain. The kernel removes the element when its timeout runs out."
  - "Backend C(routeros): each grant is an entry of a firewall address list
    named after destination, protocol and port, with a timeout; one filter rule
    per list (C(chain=forward action=accept)) lets that list through. RouterOS
    removes the entry when its timeout runs out. Driven through the RouterOS
    API with the C(librouteros) library, from the controller."
  - Ports 21, 53, 80, 443 and 3306 are never granted (SOP 2.4 narrative step 1),
    nor port 0 or ports above 65535.
  - Idempotent. A grant already there whose time left is within O(tolerance)
    seconds of the asked end is left alone; otherwise it is replaced in one
    atomic change (nftables) or its timeout is set (RouterOS).
version_added: "0.1.0"
requirements:
  - the C(nft) command on the firewall (backend C(nftables))
  - the C(librouteros) Python library on the controller (backend C(routeros))
options:
  backend:
    description: Which kind of firewall this is.
    type: str
    required: true
    choices: [nftables, routeros]
  state:
    description:
      - V(present) makes every grant of O(grants) exist with its end time.
      - V(absent) removes every grant of O(grants) (end times are ignored).
      - V(query) changes nothing and returns the grants on the firewall.
    type: str
    default: present
    choices: [present, absent, query]
  exclusive:
    description:
      - With O(state=present), also remove every grant on the firewall that
        O(grants) does not list (reconciliation with the records).
    type: bool
    default: false
  grants:
    description: The grants to act on.
    type: list
    elements: dict
    default: []
    suboptions:
      source:
        description:
          - The remote user's IPv4 address or network (C(10.77.2.10), C(10.77.2.0/24)).
          - A network needs a set with C(flags interval) (nftables).
        type: str
        required: true
      destination:
        description: The IPv4 address of the target server.
        type: str
        required: true
      port:
        description: The destination port (1-65535, not 21, 53, 80, 443, 3306).
        type: int
        required: true
      protocol:
        description: The transport protocol.
        type: str
        default: tcp
        choices: [tcp, udp]
      expires_at:
        description:
          - The end of the grant as seconds since the epoch (UTC). Required with
            O(state=present). The timeout given to the firewall is rounded up to
            the millisecond, so the port never closes before this end.
          - A grant with less than one second left when the module runs is not put
            on the firewall (and is removed if there) and is returned in RV(ended).
        type: float
  tolerance:
    description:
      - Seconds by which the time left may differ from the asked end and still count as unchanged.
    type: int
    default: 5
  nft_family:
    description: nftables table family.
    type: str
    default: inet
  nft_table:
    description: nftables table that holds the grant set.
    type: str
    default: sop
  nft_set:
    description: nftables set of grants (for TCP, and for UDP unless O(nft_udp_set) is given).
    type: str
    default: grants
  nft_udp_set:
    description: nftables set for UDP grants, when UDP grants are kept apart.
    type: str
  ros_host:
    description: RouterOS API address. Required with O(backend=routeros).
    type: str
  ros_port:
    description: RouterOS API port.
    type: int
    default: 8728
  ros_username:
    description: RouterOS API user. Required with O(backend=routeros).
    type: str
  ros_password:
    description: RouterOS API password. Required with O(backend=routeros).
    type: str
  ros_chain:
    description: RouterOS filter chain of the accept rules.
    type: str
    default: forward
  ros_list_prefix:
    description: Prefix of the address lists (and rule comments) this module owns.
    type: str
    default: sop-grant
notes:
  - Supports check mode and diff mode.
  - With nftables the module runs on the firewall and calls C(nft).
  - "With RouterOS run it on the controller (C(delegate_to: localhost)); it needs C(librouteros)."
  - When the nftables set has no protocol in its type and no O(nft_udp_set) is
    given, a TCP grant and a UDP grant for the same source, destination and port
    are the same element (the chain then matches both protocols).
author:
  - sop-pusatdata developers
"""

EXAMPLES = r"""
- name: Open port 22 of srv1 to a remote user for 60 minutes
  firewall_grant:
    backend: nftables
    nft_table: sop
    nft_set: grants
    grants:
      - source: 10.77.2.10
        destination: 10.77.1.11
        port: 22
        protocol: tcp
        expires_at: "{{ now(utc=true).timestamp() + 3600 }}"

- name: Close it again at once
  firewall_grant:
    backend: nftables
    state: absent
    grants:
      - {source: 10.77.2.10, destination: 10.77.1.11, port: 22}

- name: Keep exactly the recorded grants on a MikroTik router
  firewall_grant:
    backend: routeros
    ros_host: 192.0.2.1
    ros_username: sop
    ros_password: "{{ ros_password }}"
    exclusive: true
    grants: "{{ recorded_grants }}"
  delegate_to: localhost
"""

RETURN = r"""
grants:
  description:
    - The grants on the firewall after the run (as they are, in check mode), with seconds left.
  returned: always
  type: list
  elements: dict
  sample:
    - {source: 10.77.2.10, destination: 10.77.1.11, port: 22, protocol: tcp, seconds_left: 3597}
added:
  description: Grants that were (or in check mode would be) added.
  returned: always
  type: list
  elements: dict
updated:
  description: Grants whose end time was (or would be) changed.
  returned: always
  type: list
  elements: dict
removed:
  description: Grants that were (or would be) removed.
  returned: always
  type: list
  elements: dict
ended:
  description:
    - Grants asked for with O(state=present) whose end had come (less than one second
      left) when the module ran; none of them is on the firewall afterwards.
  returned: always
  type: list
  elements: dict
"""

import time  # noqa: E402
from typing import Any  # noqa: E402

from ansible.module_utils.basic import AnsibleModule, missing_required_lib  # noqa: E402
from ansible.module_utils.sop_firewall import (  # noqa: E402
    PROTOCOLS,
    Backend,
    GrantError,
    check_grant,
    describe,
    line,
    plan,
)
from ansible.module_utils.sop_firewall_nftables import NftBackend  # noqa: E402
from ansible.module_utils.sop_firewall_routeros import (  # noqa: E402
    HAS_LIBROUTEROS,
    LIBROUTEROS_IMPORT_ERROR,
    RouterOsBackend,
)


def main() -> None:
    grant_spec = {
        "source": {"type": "str", "required": True},
        "destination": {"type": "str", "required": True},
        "port": {"type": "int", "required": True},
        "protocol": {"type": "str", "default": "tcp", "choices": list(PROTOCOLS)},
        "expires_at": {"type": "float"},
    }
    module = AnsibleModule(
        argument_spec={
            "backend": {"type": "str", "required": True, "choices": ["nftables", "routeros"]},
            "state": {
                "type": "str",
                "default": "present",
                "choices": ["present", "absent", "query"],
            },
            "exclusive": {"type": "bool", "default": False},
            "grants": {
                "type": "list",
                "elements": "dict",
                "default": [],
                "options": grant_spec,
            },
            "tolerance": {"type": "int", "default": 5},
            "nft_family": {"type": "str", "default": "inet"},
            "nft_table": {"type": "str", "default": "sop"},
            "nft_set": {"type": "str", "default": "grants"},
            "nft_udp_set": {"type": "str"},
            "ros_host": {"type": "str"},
            "ros_port": {"type": "int", "default": 8728},
            "ros_username": {"type": "str"},
            "ros_password": {"type": "str", "no_log": True},
            "ros_chain": {"type": "str", "default": "forward"},
            "ros_list_prefix": {"type": "str", "default": "sop-grant"},
        },
        # The RouterOS API cannot be reached without an address and a login.
        required_if=[("backend", "routeros", ("ros_host", "ros_username", "ros_password"))],
        supports_check_mode=True,
    )
    params = module.params
    if params["backend"] == "routeros" and not HAS_LIBROUTEROS:
        module.fail_json(
            msg=missing_required_lib("librouteros"), exception=LIBROUTEROS_IMPORT_ERROR
        )
    try:
        for grant in params["grants"]:
            check_grant(grant, need_end=params["state"] == "present")
        backend: Backend = (
            NftBackend(module) if params["backend"] == "nftables" else RouterOsBackend(module)
        )
        current = backend.read()
        wanted = {backend.key(g): g.get("expires_at") for g in params["grants"]}
        now = time.time()
        add, update, remove, ended = plan(
            current, wanted, params["state"], params["exclusive"], params["tolerance"], now
        )
        changed = bool(add or update or remove)
        after = dict(current)
        if changed and not module.check_mode:
            backend.apply(add, update, remove)
            after = backend.read()
    except GrantError as exc:
        module.fail_json(msg=str(exc))
    result: dict[str, Any] = {
        "changed": changed,
        "grants": [describe(k, v) for k, v in sorted(after.items())],
        "added": [describe(k, ms / 1000) for k, ms in add],
        "updated": [describe(k, ms / 1000) for k, ms in update],
        "removed": [describe(k) for k in remove],
        "ended": [describe(k) for k in ended],
    }
    if module._diff:
        gone = set(remove) | {k for k, _ in update}
        before_lines = sorted(line(k, v) for k, v in current.items())
        after_lines = [line(k, v) for k, v in current.items() if k not in gone]
        after_lines += [line(k, ms / 1000) for k, ms in [*add, *update]]
        result["diff"] = {
            "before": "".join(f"{x}\n" for x in before_lines),
            "after": "".join(f"{x}\n" for x in sorted(after_lines)),
        }
    module.exit_json(**result)


if __name__ == "__main__":
    main()
