"""Where SOP 2.4 grant tests act: a firewall's namespace, a remote user's, a server's port.

``own_network`` builds three network namespaces (gw with the same nftables ruleset
as the lab's gw, a server, and a remote user) reached by Ansible with a local
connection whose Python runs inside gw's namespace; ``Net`` reaches them or the
lab's; ``GrantEnv`` is an isolated sop installation pointed at one of them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from sop_runner.config import REPO_ROOT
from sop_runner.procedures.grants.policy import GrantWish
from tests.support.sop import SopEnv, isolated_sop

# srv1 behind the firewall gw, which no one can reach (its Python does not exist): a
# playbook started for it fails at once and touches nothing.
UNREACHABLE_FIREWALL = """all:
  children:
    servers:
      hosts:
        srv1: {ansible_host: 10.77.1.11}
    firewalls:
      hosts:
        gw:
          ansible_host: 10.77.1.254
          ansible_connection: local
          ansible_python_interpreter: /nonexistent/python3
          firewall_backend: nftables
"""


def grant_wish(**changes: Any) -> GrantWish:
    """Given the fields to change, return what a petugas asks: andi from 10.77.2.10 to
    srv1's port 22 over tcp, now, for 10 minutes."""
    values: dict[str, Any] = {
        "user": "andi",
        "source": "10.77.2.10",
        "target": "srv1",
        "port": 22,
        "protocol": "tcp",
        "start": "now",
        "duration": "10m",
        "reason": "uji",
    }
    return GrantWish(**{**values, **changes})


RULESET = """table inet sop {
    set grants { type ipv4_addr . ipv4_addr . inet_proto . inet_service; flags timeout; }
    chain forward {
        type filter hook forward priority filter; policy drop;
        ct state established,related accept
        ct state invalid drop
        ct state new ip saddr . ip daddr . meta l4proto . th dport @grants accept
        counter comment "dropped: no grant"
    }
}
"""


def sh(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Given a command, return its finished run."""
    return subprocess.run(args, capture_output=True, text=True, check=check, timeout=60)


@dataclass
class Net:
    """Where a grant test acts: the firewall's namespace, the user's, the server's port."""

    name: str
    inventory: Path
    gw_ns: str
    ext_ns: str
    ext_addr: str
    srv_addr: str
    port: int
    nft_set: str = "inet sop grants"

    def connect(self, timeout: float = 1.0) -> bool:
        """Return whether a new TCP connection from ext to the server's port succeeds."""
        code = (
            "import socket,sys\n"
            f"s=socket.socket(); s.settimeout({timeout})\n"
            f"sys.exit(0 if s.connect_ex(({self.srv_addr!r},{self.port}))==0 else 1)\n"
        )
        cp = subprocess.run(
            ["ip", "netns", "exec", self.ext_ns, sys.executable, "-c", code],
            capture_output=True,
            timeout=30,
        )
        return cp.returncode == 0

    def elements(self) -> list[dict]:
        """Return the grant set's elements as nft's JSON gives them."""
        family, table, name = self.nft_set.split()
        out = sh("ip", "netns", "exec", self.gw_ns, "nft", "-j", "list", "set", family, table, name)
        for item in json.loads(out.stdout)["nftables"]:
            if "set" in item:
                return [e["elem"] for e in item["set"].get("elem", [])]
        return []

    def ruleset(self) -> str:
        return sh("ip", "netns", "exec", self.gw_ns, "nft", "list", "ruleset").stdout

    def nft(self, command: str) -> None:
        sh("ip", "netns", "exec", self.gw_ns, "sh", "-c", f"nft {command}")

    def kernel_ends(self) -> tuple[float, float]:
        """Return the earliest and latest wall-clock time at which the kernel ends the one
        grant of the set, to the millisecond (nft's JSON truncates to whole seconds; its
        text keeps milliseconds, "expires 9m54s300ms")."""
        family, table, name = self.nft_set.split()
        before = time.time()
        text = sh("ip", "netns", "exec", self.gw_ns, "nft", "list", "set", family, table, name)
        after = time.time()
        found = re.findall(r"expires ((?:\d+(?:ms|[dhms]))+)", text.stdout)
        assert len(found) == 1, text.stdout
        units = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
        left = sum(int(n) * units[u] for n, u in re.findall(r"(\d+)(ms|[dhms])", found[0]))
        return before + left, after + left


@contextmanager
def own_network(tmp: Path) -> Iterator[Net]:
    """Given a folder, build three namespaces (gw with nftables, srv1 serving a port, ext)
    and yield the Net that reaches them; remove them afterwards.  Needs root."""
    tag = f"sopg{os.getpid() % 10000}"
    gw, srv, ext = f"{tag}-gw", f"{tag}-srv", f"{tag}-ext"
    try:
        for ns in (gw, srv, ext):
            sh("ip", "netns", "add", ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        for end, peer in (("a", srv), ("b", ext)):
            sh("ip", "link", "add", f"{tag}{end}", "netns", gw, "type", "veth", "peer", "eth0",
               "netns", peer)  # fmt: skip
        sh("ip", "-n", gw, "addr", "add", "10.88.1.254/24", "dev", f"{tag}a")
        sh("ip", "-n", gw, "addr", "add", "10.88.2.1/24", "dev", f"{tag}b")
        sh("ip", "-n", srv, "addr", "add", "10.88.1.11/24", "dev", "eth0")
        sh("ip", "-n", ext, "addr", "add", "10.88.2.10/24", "dev", "eth0")
        for ns, dev in ((gw, f"{tag}a"), (gw, f"{tag}b"), (srv, "eth0"), (ext, "eth0")):
            sh("ip", "-n", ns, "link", "set", dev, "up")
        sh("ip", "-n", srv, "route", "add", "10.88.2.0/24", "via", "10.88.1.254")
        sh("ip", "-n", ext, "route", "add", "10.88.1.0/24", "via", "10.88.2.1")
        sh("ip", "netns", "exec", gw, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        subprocess.run(
            ["ip", "netns", "exec", gw, "nft", "-f", "-"],
            input=RULESET,
            text=True,
            check=True,
            capture_output=True,
        )
        server = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                srv,
                sys.executable,
                "-m",
                "http.server",
                "2222",
                "--bind",
                "10.88.1.11",
                "--directory",
                str(tmp),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        python = tmp / "python-in-gw"
        python.write_text(f'#!/bin/sh\nexec ip netns exec {gw} /usr/bin/python3 "$@"\n')
        python.chmod(0o755)
        inv = tmp / "inventory"
        inv.mkdir()
        (inv / "hosts.yml").write_text(
            "all:\n  children:\n"
            "    firewalls:\n      hosts:\n"
            f"        gw:\n          ansible_host: 10.88.1.254\n"
            f"          ansible_connection: local\n"
            f"          ansible_python_interpreter: {python}\n"
            "          firewall_backend: nftables\n          nft_family: inet\n"
            "          nft_table: sop\n          nft_grant_set: grants\n"
            "    servers:\n      hosts:\n"
            "        srv1: {ansible_host: 10.88.1.11}\n"
        )
        (inv / "services.yml").write_text("services: []\n")
        net = Net("own", inv / "hosts.yml", gw, ext, "10.88.2.10", "10.88.1.11", 2222)
        deadline = time.monotonic() + 10
        while not listening(srv, 2222) and time.monotonic() < deadline:
            time.sleep(0.05)
        yield net
    finally:
        if "server" in locals():
            server.kill()
            server.wait()
        for ns in (gw, srv, ext):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def listening(ns: str, port: int) -> bool:
    """Given a namespace and a port, return whether something listens on it."""
    out = subprocess.run(
        ["ip", "netns", "exec", ns, "ss", "-ltnH"], capture_output=True, text=True
    ).stdout
    return f":{port} " in out


@dataclass
class GrantEnv:
    """An isolated sop installation (SQLite) whose inventory is a grant network's."""

    net: Net
    sop_env: SopEnv

    @property
    def root(self) -> Path:
        return self.sop_env.root

    def sop(self, *args: str, operator: str = "budi") -> subprocess.CompletedProcess[str]:
        """Run the real `sop` command; return its result."""
        return self.sop_env.sop(*args, operator=operator)

    def popen(self, *args: str, operator: str = "budi") -> subprocess.Popen[str]:
        """Start the real `sop` command in a session of its own; return the process."""
        env = dict(os.environ, SOP_OPERATOR=operator)
        return subprocess.Popen(
            [sys.executable, "-m", "sop_runner.cli", *args],
            text=True,
            env=env,
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )

    def open(self, *extra: str, duration: str = "10m") -> int:
        """Open a grant from ext to the server's port; return its id."""
        cp = self.sop(
            "grant", "open", "--user", "andi", "--source", self.net.ext_addr,
            "--target", "srv1", "--port", str(self.net.port), "--duration", duration,
            "--reason", "perbaikan aplikasi", *extra,
        )  # fmt: skip
        assert cp.returncode == 0, cp.stderr + cp.stdout
        return int(cp.stdout.split()[1])

    def grant_row(self, grant_id: int) -> dict:
        """Given a grant id, return its row of firewall_grants as the store holds it."""
        with create_engine(self.sop_env.db_url).connect() as conn:
            query = text("SELECT * FROM firewall_grants WHERE id = :i")
            return dict(conn.execute(query, {"i": grant_id}).mappings().one())

    def steps(self) -> list[tuple[str, int, str]]:
        """Return (run status, step number, step status) of every step record, oldest first."""
        query = text(
            "SELECT r.status, s.step_number, s.status FROM step_records s "
            "JOIN runs r ON r.id = s.run_id ORDER BY s.id"
        )
        with create_engine(self.sop_env.db_url).connect() as conn:
            return [(str(a), int(b), str(c)) for a, b, c in conn.execute(query)]

    def count(self, table: str) -> int:
        """Given a table, return how many rows it holds."""
        with create_engine(self.sop_env.db_url).connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def grant_env(net: Net, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GrantEnv:
    """Given a network, return an isolated sop installation (SQLite) pointed at it."""
    url = f"sqlite:///{tmp_path / 'sop.db'}"
    sop_env = isolated_sop(tmp_path, url, monkeypatch, inventory=net.inventory.parent)
    monkeypatch.delenv("SOP_GRANT_MAX_DURATION", raising=False)
    return GrantEnv(net, sop_env)


def timestamp(value: object) -> float:
    """Given a stored time (text or datetime, UTC when naive), return seconds since the epoch."""
    moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def iso(moment: float) -> str:
    """Given seconds since the epoch, return them as an ISO time with its zone."""
    return datetime.fromtimestamp(moment, UTC).isoformat()


def one_line(cp: subprocess.CompletedProcess[str]) -> str:
    """Given a finished `sop`, return its one line of error (no traceback)."""
    assert "Traceback" not in cp.stdout + cp.stderr, cp.stderr
    lines = [x for x in cp.stderr.splitlines() if x.strip()]
    assert len(lines) == 1, cp.stderr
    return lines[0]


def lab_net(lab: Any) -> Net:
    """Given the test lab, return its grant network (gw's firewall, ext, srv1's SSH), with
    no grant left in gw's set."""
    net = Net(
        "lab",
        REPO_ROOT / "inventory" / "lab" / "hosts.yml",
        "soplab-gw",
        str(lab.state.ext["netns"]),
        str(lab.state.ext["address"]),
        lab.address("srv1"),
        22,
    )
    net.nft("flush set inet sop grants")
    return net
