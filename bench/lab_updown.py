"""Time the lab: up from nothing and down, a few rounds; record them in bench/RESULTS.md.

Run as root: `.venv/bin/python bench/lab_updown.py [--rounds N]`.  One-time work (srv2's
debootstrap, the database seeds, keys) is done before the first timed round.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sop_runner.lab import down, up  # noqa: E402
from sop_runner.lab.lifecycle import prepare_assets  # noqa: E402

RESULTS = REPO / "bench" / "RESULTS.md"
BEGIN = "<!-- lab-updown:begin -->"
END = "<!-- lab-updown:end -->"
UP_LIMIT, DOWN_LIMIT = 10.0, 2.0


def machine() -> str:
    """Given this machine, return one line: cores, memory, kernel."""
    mem_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kib = int(line.split()[1])
    nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout.strip()
    return (
        f"{nproc} cores (nproc), {mem_kib / 1024 / 1024:.1f} GiB RAM, kernel {platform.release()}"
    )


def measure(rounds: int) -> list[tuple[float, float]]:
    """Given a number of rounds, return (up seconds, down seconds) of each round."""
    down()
    prepare_assets()
    out = []
    for _ in range(rounds):
        t0 = time.monotonic()
        up()
        t_up = time.monotonic() - t0
        t0 = time.monotonic()
        down()
        t_down = time.monotonic() - t0
        out.append((t_up, t_down))
        print(f"up {t_up:.2f} s   down {t_down:.2f} s", flush=True)
    return out


def record(rows: list[tuple[float, float]]) -> str:
    """Given measured rounds, return the Markdown section written into RESULTS.md."""
    date = subprocess.run(["date", "-u"], capture_output=True, text=True, check=True).stdout.strip()
    worst_up = max(r[0] for r in rows)
    worst_down = max(r[1] for r in rows)
    lines = [
        BEGIN,
        "## Lab up / down (`bench/lab_updown.py`)",
        "",
        f"- Date: {date}",
        f"- Machine: {machine()}",
        "- What: `sop_runner.lab.up()` from nothing (gw, srv1 with MariaDB + PostgreSQL, "
        "srv2 unpacked from its cached tarball, backup, rtr1 with FRR, ext, 2 loop disks) "
        "until every port answers; then `down()` until nothing of it is left. "
        "Cached assets (srv2 tarball, database seeds, keys) already built.",
        f"- Limits: up ≤ {UP_LIMIT:.0f} s, down ≤ {DOWN_LIMIT:.0f} s",
        "",
        "| round | up (s) | down (s) |",
        "|---|---|---|",
        *[f"| {i} | {u:.2f} | {d:.2f} |" for i, (u, d) in enumerate(rows, 1)],
        f"| worst | {worst_up:.2f} | {worst_down:.2f} |",
        "",
        f"Verdict: {'within' if worst_up <= UP_LIMIT and worst_down <= DOWN_LIMIT else 'OVER'}"
        " the limits.",
        END,
    ]
    section = "\n".join(lines)
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    if BEGIN in text:
        text = re.sub(
            re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: section, text, flags=re.S
        )
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    RESULTS.write_text(text)
    return section


def main() -> int:
    """Given the command line, return 0 when the lab is within its time limits."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("lab_updown: needs root", file=sys.stderr)
        return 2
    rows = measure(args.rounds)
    print(record(rows))
    ok = max(r[0] for r in rows) <= UP_LIMIT and max(r[1] for r in rows) <= DOWN_LIMIT
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
