#!/usr/bin/python
"""Send ICMP echo requests to an address and report the replies (SOP 3.1 tests)."""

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

import os  # noqa: E402
import select  # noqa: E402
import socket  # noqa: E402
import struct  # noqa: E402
import time  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

ECHO_REQUEST = 8
ECHO_REPLY = 0


def checksum(data: bytes) -> int:
    """Given an ICMP message, return its Internet checksum."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def echo_request(ident: int, seq: int) -> bytes:
    """Given an identifier and a sequence number, return an ICMP echo request."""
    payload = b"sop-pusatdata icmp_ping"
    header = struct.pack("!BBHHH", ECHO_REQUEST, 0, 0, ident, seq)
    return struct.pack("!BBHHH", ECHO_REQUEST, 0, checksum(header + payload), ident, seq) + (
        payload
    )


def is_reply(packet: bytes, raw: bool, ident: int, seq: int) -> bool:
    """Given a received packet, return whether it answers our request."""
    if raw:  # a raw socket hands over the IP header too, and every ICMP packet
        packet = packet[(packet[0] & 0x0F) * 4 :]
    if len(packet) < 8:
        return False
    kind, _, _, got_ident, got_seq = struct.unpack("!BBHHH", packet[:8])
    # A datagram socket's identifier is the kernel's (it filters replies itself).
    return kind == ECHO_REPLY and got_seq == seq and (not raw or got_ident == ident)


def open_socket() -> tuple[socket.socket, bool] | None:
    """Return an ICMP socket and whether it is raw, or None when none may be opened."""
    for kind in (socket.SOCK_DGRAM, socket.SOCK_RAW):
        try:
            return socket.socket(socket.AF_INET, kind, socket.IPPROTO_ICMP), (
                kind == socket.SOCK_RAW
            )
        except PermissionError:
            continue
    return None


def ping_socket(
    sock: socket.socket, raw: bool, address: str, count: int, timeout: float
) -> tuple[int, float | None]:
    """Given an ICMP socket, return echo requests sent and the first reply's RTT (ms)."""
    ident = os.getpid() & 0xFFFF
    for seq in range(1, count + 1):
        started = time.monotonic()
        sock.sendto(echo_request(ident, seq), (address, 0))
        deadline = started + timeout
        while (left := deadline - time.monotonic()) > 0:
            if not select.select([sock], [], [], left)[0]:
                break
            packet, source = sock.recvfrom(2048)
            if source[0] == address and is_reply(packet, raw, ident, seq):
                return seq, (time.monotonic() - started) * 1000
    return count, None


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
    opened = open_socket()
    if opened is not None:
        sock, raw = opened
        try:
            with sock:
                sent, rtt = ping_socket(sock, raw, address, count, timeout)
        except OSError as exc:  # e.g. no route to the address
            module.fail_json(msg=f"cannot ping {address}: {exc}", address=address, received=0)
        method = "raw socket" if raw else "datagram socket"
    else:
        ping = module.get_bin_path("ping")
        if ping is None:
            module.fail_json(msg="cannot ping: no ICMP socket allowed and no ping command")
        wait = str(max(1, round(timeout)))
        rc, _, _ = module.run_command([ping, "-n", "-c", str(count), "-W", wait, address])
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
