"""rtr1: FRRouting (zebra + staticd) in its own namespace, with a vtysh login."""

from __future__ import annotations

import grp
import os
import pwd
from pathlib import Path

from sop_runner.lab import plan
from sop_runner.lab.access import add_account
from sop_runner.lab.files import ROOT, ensure_dir, write

NETADMIN_UID = 1900

FRR_CONF = f"""\
frr version 8.4
frr defaults traditional
hostname rtr1
service integrated-vtysh-config
!
ip route {plan.EXT_NET} {plan.GW_TRANSIT_ADDR}
ip route 10.77.100.0/24 Null0
!
interface eth0
 description management (sop-lab bridge)
exit
!
interface eth1
 description transit to gw
exit
!
line vty
!
"""


def install(upper: Path, authorized_keys: str) -> None:
    """Given rtr1's upper layer and the netadmin device key, return once FRR's config and
    login exist."""
    frr = pwd.getpwnam("frr")
    write(upper, "/etc/frr/frr.conf", FRR_CONF, mode=0o640, owner=(frr.pw_uid, frr.pw_gid))
    write(
        upper,
        "/etc/frr/vtysh.conf",
        "service integrated-vtysh-config\n",
        mode=0o640,
        owner=(frr.pw_uid, frr.pw_gid),
    )
    # A login whose shell is vtysh, for netmiko/napalm (`ssh netadmin@rtr1 'show ...'`).
    user = plan.NETADMIN_USER
    home = f"/home/{user}"
    passwd = f"{user}:x:{NETADMIN_UID}:{NETADMIN_UID}:sop-lab network admin:{home}:/usr/bin/vtysh"
    add_account(upper, ROOT, passwd, group=False)
    groups = (upper / "etc/group").read_text().splitlines()
    extra = {g.gr_name for g in grp.getgrall() if g.gr_name in ("frr", "frrvty")}
    out = []
    for line in groups:
        name, _, _, members = ([*line.split(":"), "", "", ""])[:4]
        if name in extra:
            line = line + ("," if members else "") + user
        out.append(line)
    out.append(f"{user}:x:{NETADMIN_UID}:")
    (upper / "etc/group").write_text("\n".join(out) + "\n")
    ensure_dir(upper, "/home", ROOT)
    uid = (NETADMIN_UID, NETADMIN_UID)
    write(upper, f"{home}/.ssh/authorized_keys", authorized_keys, mode=0o600, owner=uid)
    for d in (home, f"{home}/.ssh"):
        os.chown(upper / d.lstrip("/"), *uid)
        (upper / d.lstrip("/")).chmod(0o700)


def start_lines() -> str:
    """Given rtr1, return the shell lines (run as its PID 1) that start zebra and staticd."""
    opts = "-d -u frr -g frr -f /etc/frr/frr.conf -A 127.0.0.1"
    return f"""\
mkdir -p /run/frr /var/log/frr && chown frr:frr /run/frr /var/log/frr && chmod 0755 /run/frr
/usr/lib/frr/zebra {opts} -i /run/frr/zebra.pid
/usr/lib/frr/staticd {opts} -i /run/frr/staticd.pid
"""
