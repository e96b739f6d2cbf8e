#!/usr/bin/python
"""Send ICMP echo requests to an address and report the replies (SOP 3.1 tests).

The sockets and packets are in plugins/module_utils/sop_icmp.py.
"""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: icmp_ping
short_description: Ping an IPv4 address with ICMP echo (no ping binary needed)
description:
  - Sends up to O(count) ICMP echo requests to O(host), one after the other, and
    stops at the first echo reply.
  - Fails when none of them is answered within O(timeout) seconds each.
  - Uses an ICMP datagram socket when C(net.ipv4.ping_group_range) allows it, a raw
    socket when it runs as root, and the C(ping) command otherwise.
  - "Meant to run on the controller (C(delegate_to: localhost)) to test that a host
    still answers after a change; unlike M(ansible.builtin.ping) it tests the network
    path, not an SSH login. Changes nothing."
version_added: "0.1.0"
options:
  host:
    description: IPv4 address or name of the host to ping.
    type: str
    required: true
  count:
    description: How many echo requests at most.
    type: int
    default: 3
  timeout:
    description: Seconds to wait for the reply to each request.
    type: float
    default: 1.0
notes:
  - Supports check mode (it only sends echo requests).
  - IPv4 only.
author:
  - sop-pusatdata developers
"""

EXAMPLES = r"""
- name: Test - the controller pings the host
  icmp_ping:
    host: "{{ ansible_host }}"
  delegate_to: localhost
  register: ping_test
"""

RETURN = r"""
address:
  description: The IPv4 address pinged.
  returned: always
  type: str
  sample: 10.77.1.11
sent:
  description: Echo requests sent.
  returned: always
  type: int
  sample: 1
received:
  description: Echo replies received (0 or 1, since it stops at the first).
  returned: always
  type: int
  sample: 1
rtt_ms:
  description: Round-trip time of the reply in milliseconds (null without a reply).
  returned: always
  type: float
  sample: 0.21
method:
  description: How it pinged (datagram socket, raw socket or ping command).
  returned: always
  type: str
  sample: raw socket
"""

import socket  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.sop_icmp import ping  # type: ignore[import-not-found]  # noqa: E402


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "host": {"type": "str", "required": True},
            "count": {"type": "int", "default": 3},
            "timeout": {"type": "float", "default": 1.0},
        },
        supports_check_mode=True,
    )
    host, count, timeout = (module.params[k] for k in ("host", "count", "timeout"))
    if count < 1 or timeout <= 0:
        module.fail_json(msg="count must be at least 1 and timeout more than 0")
    try:
        address = socket.getaddrinfo(host, None, socket.AF_INET)[0][4][0]
    except socket.gaierror as exc:
        module.fail_json(msg=f"cannot resolve {host}: {exc}")
    try:
        pinged = ping(address, count, timeout)
    except OSError as exc:  # e.g. no route to the address
        module.fail_json(msg=f"cannot ping {address}: {exc}", address=address, received=0)
    if pinged is not None:
        sent, rtt, method = pinged
    else:
        ping_command = module.get_bin_path("ping")
        if ping_command is None:
            module.fail_json(msg="cannot ping: no ICMP socket allowed and no ping command")
        wait = str(max(1, round(timeout)))
        rc, _, _ = module.run_command([ping_command, "-n", "-c", str(count), "-W", wait, address])
        sent, rtt, method = count, (0.0 if rc == 0 else None), "ping command"
    result = {
        "changed": False,
        "address": address,
        "sent": sent,
        "received": int(rtt is not None),
        "rtt_ms": None if rtt is None else round(rtt, 3),
        "method": method,
    }
    if rtt is None:
        module.fail_json(msg=f"no echo reply from {address} ({sent} sent)", **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
