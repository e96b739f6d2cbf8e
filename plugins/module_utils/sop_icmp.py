"""ICMP echo without a ping binary: the probing behind the icmp_ping module (SOP 3.1 tests).

An ICMP datagram socket is used where ``net.ipv4.ping_group_range`` allows it,
a raw socket where the process is root; ``ping`` answers None when neither may
be opened, and the module falls back to the ``ping`` command.
"""

from __future__ import annotations

import os
import select
import socket
import struct
import time

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


def ping(address: str, count: int, timeout: float) -> tuple[int, float | None, str] | None:
    """Given an IPv4 address, return (requests sent, first reply's RTT in ms or None, method).

    Return None when no ICMP socket may be opened here.  Raise OSError when the
    echo cannot be sent (e.g. no route to the address).
    """
    opened = open_socket()
    if opened is None:
        return None
    sock, raw = opened
    with sock:
        sent, rtt = ping_socket(sock, raw, address, count, timeout)
    return sent, rtt, "raw socket" if raw else "datagram socket"
