"""Remote access grants (SOP 2.4): open latency and close lag after expiry, measured for real.

Builds three namespaces of its own (gw with the lab's nftables ruleset, a server with a
TCP listener, a remote user), then, N times each:
- open latency (kernel): from `nft add element` to the first TCP connect from ext that succeeds;
- open latency (module): from starting `ansible` with firewall_grant on gw
  (local connection into gw's namespace) to the first successful connect;
- open latency end to end: from starting `sop grant open` (a sop installation of its own:
  SQLite store, trust root, signed request, gate, ansible-runner, the grant playbook with a
  local connection into gw's namespace) to the first successful connect, with where the
  time goes (from the play's events) and the CPU time of sop and everything it started;
- close lag: from the element's end (timeout 2 s) to the first connect that fails
  (polled every 20 ms with a 50 ms connect timeout, so resolution is ~50 ms).
Goals: each <= 1 s.  Needs root.  Run: .venv/bin/python bench/grant_latency.py [N]
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tests.support: the same sop installation the tests use
TAG = f"sopgb{os.getpid() % 1000}"
GW, SRV, EXT = f"{TAG}-gw", f"{TAG}-srv", f"{TAG}-ext"
RULESET = """table inet sop {
    set grants { type ipv4_addr . ipv4_addr . inet_service; flags timeout; }
    chain forward {
        type filter hook forward priority filter; policy drop;
        ct state established,related accept
        ct state new ip saddr . ip daddr . tcp dport @grants accept
    }
}
"""
PROBE = """
import socket, sys, time
want = sys.argv[1] == "open"
deadline = time.time() + float(sys.argv[2])
where = (sys.argv[3], int(sys.argv[4])) if len(sys.argv) > 4 else ("10.89.1.11", 2222)
while time.time() < deadline:
    s = socket.socket(); s.settimeout(0.05)
    ok = s.connect_ex(where) == 0
    s.close()
    if ok == want:
        print(repr(time.time())); sys.exit(0)
    time.sleep(0.02)
sys.exit(1)
"""


def sh(*args: str, data: str | None = None) -> str:
    """Given a command, run it and return its output; raise on failure."""
    return subprocess.run(args, input=data, capture_output=True, text=True, check=True).stdout


def up() -> subprocess.Popen[bytes]:
    """Given root, build the namespaces and return the server process."""
    for ns in (GW, SRV, EXT):
        sh("ip", "netns", "add", ns)
        sh("ip", "-n", ns, "link", "set", "lo", "up")
    sh("ip", "link", "add", f"{TAG}a", "netns", GW, "type", "veth", "peer", "eth0", "netns", SRV)
    sh("ip", "link", "add", f"{TAG}b", "netns", GW, "type", "veth", "peer", "eth0", "netns", EXT)
    sh("ip", "-n", GW, "addr", "add", "10.89.1.254/24", "dev", f"{TAG}a")
    sh("ip", "-n", GW, "addr", "add", "10.89.2.1/24", "dev", f"{TAG}b")
    sh("ip", "-n", SRV, "addr", "add", "10.89.1.11/24", "dev", "eth0")
    sh("ip", "-n", EXT, "addr", "add", "10.89.2.10/24", "dev", "eth0")
    for ns, dev in ((GW, f"{TAG}a"), (GW, f"{TAG}b"), (SRV, "eth0"), (EXT, "eth0")):
        sh("ip", "-n", ns, "link", "set", dev, "up")
    sh("ip", "-n", SRV, "route", "add", "10.89.2.0/24", "via", "10.89.1.254")
    sh("ip", "-n", EXT, "route", "add", "10.89.1.0/24", "via", "10.89.2.1")
    sh("ip", "netns", "exec", GW, "sysctl", "-qw", "net.ipv4.ip_forward=1")
    sh("ip", "netns", "exec", GW, "nft", "-f", "-", data=RULESET)
    server = subprocess.Popen(
        [
            "ip",
            "netns",
            "exec",
            SRV,
            sys.executable,
            "-m",
            "http.server",
            "2222",
            "--bind",
            "10.89.1.11",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    return server


def down(server: subprocess.Popen[bytes]) -> None:
    server.kill()
    server.wait()
    for ns in (GW, SRV, EXT):
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def probe(state: str, limit: float, ns: str = EXT, *where: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["ip", "netns", "exec", ns, sys.executable, "-c", PROBE, state, str(limit), *where],
        stdout=subprocess.PIPE,
        text=True,
    )


def finished(proc: subprocess.Popen[str]) -> float:
    out, _ = proc.communicate(timeout=60)
    if proc.returncode != 0:
        raise RuntimeError("the probe never saw the expected state")
    return float(out.strip())


def element(timeout: str) -> str:
    return f"add element inet sop grants {{ 10.89.2.10 . 10.89.1.11 . 2222 timeout {timeout} }}"


PHASES = (
    "sop, its store and request, ansible-runner and ansible-playbook's start-up",
    "the gate (sop_gate: store, registry, signatures, the step's certificate)",
    "the play up to the grant task (the inventory check)",
    "firewall_grant: its start in gw and the nft transaction, to the first connect",
)


def _events(artifacts: Path) -> list[tuple[float, str, str]]:
    """Given ansible-runner's artifacts, return the newest run's events (time, event, task)."""
    newest = max(artifacts.iterdir(), key=lambda path: path.stat().st_mtime)
    found = []
    for file in (newest / "job_events").glob("*.json"):
        event = json.loads(file.read_text())
        if event.get("created"):
            when = datetime.fromisoformat(event["created"]).timestamp()
            found.append((when, event["event"], event.get("event_data", {}).get("task", "")))
    return sorted(found)


def phases(artifacts: Path, start: float, seen: float) -> list[float]:
    """Given the artifacts, when `sop grant open` started and when the port answered, return
    the time of each of PHASES."""
    events = _events(artifacts)
    play = next(t for t, name, _ in events if name == "playbook_on_start")
    tasks = [(t, task) for t, name, task in events if name == "playbook_on_task_start"]
    gate_end = next(t for t, name, _ in events if name == "runner_on_ok")
    grant = next(t for t, task in tasks if task.startswith("Put the grant"))
    return [play - start, gate_end - tasks[0][0], grant - gate_end, seen - grant]


def end_to_end(runs: int) -> tuple[list[float], list[float], list[float], list[list[float]]]:
    """Given a number of runs, open a grant with `sop grant open` that many times on a network
    of its own; return the open latencies, sop's whole runs, their CPU time and the phases."""
    import pytest

    from tests.support.grant_net import grant_env, own_network

    latency: list[float] = []
    whole: list[float] = []
    cpu: list[float] = []
    parts: list[list[float]] = []
    with (
        pytest.MonkeyPatch.context() as patch,
        tempfile.TemporaryDirectory(dir="/var/tmp") as tmp,
    ):
        root = Path(tmp)
        (root / "net").mkdir()
        with own_network(root / "net") as net:
            env = grant_env(net, root, patch)
            for _ in range(runs):
                watcher = probe("open", 120, net.ext_ns, net.srv_addr, str(net.port))
                time.sleep(0.3)  # the probe's Python is polling before sop starts
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                start = time.time()
                proc = env.popen(
                    "grant", "open", "--user", "andi", "--source", net.ext_addr,
                    "--target", "srv1", "--port", str(net.port), "--duration", "10m",
                    "--reason", "uji kecepatan",
                )  # fmt: skip
                out, err = proc.communicate(timeout=300)
                whole.append(time.time() - start)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                if proc.returncode != 0:
                    raise RuntimeError(f"sop grant open failed: {err.strip()}")
                seen = finished(watcher)
                cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
                latency.append(seen - start)
                parts.append(phases(root / "data" / "runner" / "artifacts", start, seen))
                done = env.sop("grant", "revoke", out.split()[1], "--reason", "selesai uji")
                if done.returncode != 0:
                    raise RuntimeError(f"sop grant revoke failed: {done.stderr.strip()}")
    return latency, whole, cpu, parts


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    server = up()
    kernel, module, close = [], [], []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            python = Path(tmp) / "py"
            python.write_text(f'#!/bin/sh\nexec ip netns exec {GW} /usr/bin/python3 "$@"\n')
            python.chmod(0o755)
            inv = Path(tmp) / "hosts.yml"
            inv.write_text(
                f"all:\n  hosts:\n    gw:\n      ansible_connection: local\n"
                f"      ansible_python_interpreter: {python}\n"
            )
            for _ in range(runs):
                sh("ip", "netns", "exec", GW, "nft", "flush", "set", "inet", "sop", "grants")
                t0 = time.time()
                sh("ip", "netns", "exec", GW, "nft", "-f", "-", data=element("30s") + "\n")
                seen = finished(probe("open", 10))
                kernel.append(seen - t0)

                sh("ip", "netns", "exec", GW, "nft", "flush", "set", "inet", "sop", "grants")
                args = {
                    "backend": "nftables",
                    "grants": [
                        {
                            "source": "10.89.2.10",
                            "destination": "10.89.1.11",
                            "port": 2222,
                            "expires_at": time.time() + 60,
                        }
                    ],
                }
                t0 = time.time()
                watcher = probe("open", 30)
                subprocess.run(
                    [
                        str(Path(sys.executable).parent / "ansible"),
                        "-i",
                        str(inv),
                        "gw",
                        "-m",
                        "firewall_grant",
                        "-a",
                        json.dumps(args),
                    ],
                    check=True,
                    capture_output=True,
                    cwd=REPO,
                    env=dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg")),
                )
                module.append(finished(watcher) - t0)

                sh("ip", "netns", "exec", GW, "nft", "flush", "set", "inet", "sop", "grants")
                sh("ip", "netns", "exec", GW, "nft", "-f", "-", data=element("2s") + "\n")
                end = time.time() + 2
                closed = finished(probe("closed", 10))
                close.append(closed - end)
    finally:
        down(server)

    latency, whole, cpu, parts = end_to_end(runs)

    def line(name: str, values: list[float]) -> str:
        return (
            f"| {name} | {runs} | {statistics.median(values) * 1000:.0f} ms | "
            f"{max(values) * 1000:.0f} ms | {'yes' if max(values) <= 1 else 'NO'} |"
        )

    now = subprocess.run(["date", "-u"], capture_output=True, text=True).stdout.strip()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"- date: {now}; load average (1, 5, 15 min) at the end: {load}")
    print(f"- machine: {os.cpu_count()} CPU, {memory} MiB RAM, kernel {platform.release()}")
    print()
    print("| measure | runs | median | max | goal <= 1 s met |")
    print("|---|---|---|---|---|")
    print(line("open latency, kernel (`nft add element` -> first connect)", kernel))
    print(line("open latency, module via Ansible (start -> first connect)", module))
    print(line("**open latency end to end** (`sop grant open` starts -> first connect)", latency))
    print(line("`sop grant open` starts -> it ends (recorded, answered)", whole))
    print(line("close lag after expiry (end -> first refused connect)", close))
    print()
    print(f"CPU time of `sop grant open` and all it started: {statistics.median(cpu):.2f} s")
    print("(median); where the end-to-end time goes (median of each part):")
    print()
    print("| part | median |")
    print("|---|---|")
    for n, name in enumerate(PHASES):
        print(f"| {name} | {statistics.median(p[n] for p in parts) * 1000:.0f} ms |")


if __name__ == "__main__":
    main()
