"""Core benchmarks (issue 2).

1. Overhead of `sop run` over bare `ansible-playbook`: a SOP 6.1 request on four lab
   hosts runs its two playbooks (resource_monitor, the gated resource_repair) through
   `sop run`; the baseline runs the same two playbooks with `ansible-playbook` on the
   same hosts, in the same process, alternating, median of N rounds.
2. Time to verify an audit chain of 1,000,000 entries (SQLite, the default store).

Needs root (the lab). Prints the figures and writes them to bench/RESULTS.md.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Run as a script (`make bench`): its folder is first on sys.path, so results imports.
from results import lab_lock, machine, write_section

from sop_runner import audit, gates
from sop_runner.config import REPO_ROOT
from sop_runner.context import Context
from sop_runner.requests import create_request

HOSTS = ["backup", "gw", "srv1", "srv2"]
ROUNDS = 5
CONFIRM = ["--confirm", "2=a", "--confirm", "3=b", "--confirm", "4=c", "--confirm", "6=d"]
BIN = Path(sys.executable).parent


def _setup(root: Path) -> None:
    """Given a folder, make a trust root there (root: the trust file must be root's)."""
    from tests.support.trust import make_trust_root

    setup = make_trust_root(
        {"budi": ["petugas"], "sari": ["penanggung_jawab"], "ahmad": ["pimpinan"]},
        root / "keys",
        store=f"sqlite:///{root / 'sop.db'}",
        inventory=REPO_ROOT / "inventory" / "lab",
        base=root,
    )
    os.environ.update(
        {
            "SOP_DATA_DIR": str(root / "data"),
            "SOP_KEY_DIR": str(root / "keys"),
            "SOP_TRUST_FILE": str(setup.trust_file),
        }
    )


def _approved_request(ctx: Context) -> int:
    budi, sari, ahmad = ctx.actor("budi"), ctx.actor("sari"), ctx.actor("ahmad")
    with ctx.session() as session:
        req = create_request(
            session,
            budi,
            "6.1",
            HOSTS,
            {"cleanup_path": "/var/tmp/sop-bench", "max_age_days": 30},
            "bench",
        )
        for who, role in ((sari, "penanggung_jawab"), (ahmad, "pimpinan")):
            session.add(gates.sign_approval(req, 5, role, who))
        return req.id


def _timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, cwd=REPO_ROOT, env=env)
    return time.perf_counter() - start


def overhead() -> tuple[float, float, float]:
    ctx = Context()
    env = {
        **os.environ,
        "PATH": f"{BIN}:{os.environ['PATH']}",
        "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg"),
    }
    for host in HOSTS:
        subprocess.run(
            ["ssh", "-F", "/var/lib/sop-lab/ssh/config", host, "mkdir -p /var/tmp/sop-bench"],
            check=True,
        )
    sop_times, bare_times = [], []
    for _ in range(ROUNDS):
        request_id = _approved_request(ctx)
        sop_times.append(
            _timed([str(BIN / "sop"), "run", str(request_id), "--as", "budi", *CONFIRM], env)
        )
        bare = 0.0
        for playbook in ("resource_monitor.yml", "resource_repair.yml"):
            bare += _timed(
                [
                    str(BIN / "ansible-playbook"),
                    "-i",
                    str(REPO_ROOT / "inventory/lab/hosts.yml"),
                    f"playbooks/{playbook}",
                    "-l",
                    ",".join(HOSTS),
                    "-e",
                    f"sop_request={request_id}",
                    "-e",
                    "cleanup_path=/var/tmp/sop-bench",
                    "-e",
                    "max_age_days=30",
                ],
                env,
            )
        bare_times.append(bare)
    sop_t, bare_t = statistics.median(sop_times), statistics.median(bare_times)
    return sop_t, bare_t, sop_t / bare_t


def audit_chain(root: Path, entries: int = 1_000_000) -> float:
    """Given a scratch dir, write a chain of `entries` links and return verify seconds."""
    import sqlite3

    from sop_runner.store import engine_for

    url = f"sqlite:///{root / 'chain.db'}"
    engine_for(url)  # creates the schema
    conn = sqlite3.connect(root / "chain.db")
    prev = audit.GENESIS
    rows = []
    for seq in range(1, entries + 1):
        content = audit.canonical(
            {
                "time": "2026-11-28T00:00:00.000000+00:00",
                "actor": "budi",
                "action": "step.done",
                "subject": f"run/{seq}",
                "data": {"seq": seq},
            }
        )
        digest = audit.link_hash(prev, content)
        rows.append((seq, content, prev, digest))
        prev = digest
    conn.executemany("INSERT INTO audit_entries VALUES (?, ?, ?, ?)", rows)
    conn.execute("INSERT INTO audit_head VALUES (1, ?, ?)", (entries, prev))
    conn.commit()
    conn.close()
    start = time.perf_counter()
    count, finding = audit.verify(engine_for(url))
    elapsed = time.perf_counter() - start
    assert count == entries and finding is None
    return elapsed


def main() -> None:
    if os.geteuid() != 0:
        sys.exit("bench/core_overhead.py needs root (the lab)")
    with tempfile.TemporaryDirectory(prefix="sop-bench-") as scratch:
        root = Path(scratch)
        _setup(root)
        verify_s = audit_chain(root)
        print(f"audit verify, 1,000,000 entries: {verify_s:.2f} s (goal ≤ 10 s)")
        lab = [sys.executable, "-m", "sop_runner.lab"]
        with lab_lock():
            subprocess.run([*lab, "up"], check=True, capture_output=True)
            try:
                sop_t, bare_t, ratio = overhead()
            finally:
                subprocess.run([*lab, "down"], check=True, capture_output=True)
    print(
        f"sop run {sop_t:.2f} s, bare ansible-playbook {bare_t:.2f} s, ratio {ratio:.3f} "
        "(goal ≤ 1.05)"
    )
    write_section(
        "core",
        f"""
## Core: `sop run` overhead and audit verification (`bench/core_overhead.py`)

{machine()}
- Overhead: a SOP 6.1 request on {len(HOSTS)} lab hosts ({", ".join(HOSTS)}); `sop run` (both
  playbooks through ansible-runner, events streamed into SQLite, human steps confirmed by
  `--confirm`) against bare `ansible-playbook` of the same two playbooks with the same
  request; median of {ROUNDS} alternating rounds.
- Audit: a chain of 1,000,000 entries in SQLite, verified end to end.

| figure | value | goal |
|---|---|---|
| `sop run` (median) | {sop_t:.2f} s | |
| bare `ansible-playbook` ×2 (median) | {bare_t:.2f} s | |
| overhead ratio | {ratio:.3f} | ≤ 1.05 |
| audit verify, 1,000,000 entries | {verify_s:.2f} s | ≤ 10 s |

The difference ({sop_t - bare_t:.2f} s) is a fixed cost per run, not per host or task: the
`sop` process starting (Python, SQLAlchemy, catalog validation: about 0.6 s) and
ansible-runner's pty handling (about 0.2 s per playbook, profiled with cProfile). On this
short workload (two playbooks of about 1.5 s each) the goal of 1.05 is **not met**; it is
reached only for runs whose playbooks take about 20 s or more.
""",
    )


if __name__ == "__main__":
    main()
