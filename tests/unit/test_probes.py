"""The probing behind two read-only modules: ICMP packets (icmp_ping, plugins/module_utils/
sop_icmp.py) and the /proc texts of a resource sample (resource_sample_info,
plugins/module_utils/sop_resources.py)."""

from __future__ import annotations

import struct

from ansible.module_utils import sop_icmp, sop_resources

MEMINFO = "MemTotal:       24576000 kB\nMemFree:         1024000 kB\nMemAvailable:   20480000 kB\n"
NET_DEV = """\
Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets
    lo:  999999     10    0    0    0     0          0         0   999999      10    0    0    0     0       0          0
  eth0:    1000     10    0    0    0     0          0         0     2000      20    0    0    0     0       0          0
  eth1:     300      3    0    0    0     0          0         0      400       4    0    0    0     0       0          0
"""  # noqa: E501


def test_memory_used_is_total_less_available_and_network_leaves_out_loopback() -> None:
    assert sop_resources.read_meminfo(MEMINFO) == (24000, 4000)
    no_available = "MemTotal: 2048 kB\nMemFree: 1024 kB\n"
    assert sop_resources.read_meminfo(no_available) == (2, 1)
    assert sop_resources.read_net(NET_DEV) == (1300, 2400)


def test_icmp_checksum_is_rfc_1071s_and_an_echo_request_checks_out() -> None:
    assert sop_icmp.checksum(bytes.fromhex("0001f203f4f5f6f7")) == 0x220D  # RFC 1071's example
    request = sop_icmp.echo_request(ident=0x1234, seq=7)
    assert request[0] == sop_icmp.ECHO_REQUEST
    assert sop_icmp.checksum(request) == 0, "a message with its checksum sums to zero"


def test_only_the_echo_reply_to_our_request_counts() -> None:
    reply = struct.pack("!BBHHH", sop_icmp.ECHO_REPLY, 0, 0, 0x1234, 7)
    ip_header = bytes([0x45]) + bytes(19)  # a raw socket hands over the IPv4 header too
    assert sop_icmp.is_reply(ip_header + reply, raw=True, ident=0x1234, seq=7)
    assert not sop_icmp.is_reply(ip_header + reply, raw=True, ident=0x9999, seq=7)
    assert not sop_icmp.is_reply(ip_header + reply, raw=True, ident=0x1234, seq=8)
    # a datagram socket's identifier is the kernel's: only the sequence is ours
    assert sop_icmp.is_reply(reply, raw=False, ident=0x9999, seq=7)
    request = struct.pack("!BBHHH", sop_icmp.ECHO_REQUEST, 0, 0, 0x1234, 7)
    assert not sop_icmp.is_reply(request, raw=False, ident=0x1234, seq=7)
    assert not sop_icmp.is_reply(b"\0\0", raw=False, ident=0x1234, seq=7)
