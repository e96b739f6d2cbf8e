"""Time the lab: up from nothing and down, a few rounds; record them in bench/RESULTS.md.

Run as root: `.venv/bin/python bench/lab_updown.py [--rounds N]`.  One-time work (srv2's
debootstrap, the database seeds, keys) is done before the first timed round.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from results import lab_lock, machine, write_section

from sop_runner.lab import down, up
from sop_runner.lab.lifecycle import prepare_assets

UP_LIMIT, DOWN_LIMIT = 10.0, 2.0


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
    worst_up = max(r[0] for r in rows)
    worst_down = max(r[1] for r in rows)
    lines = [
        "## Lab up / down (`bench/lab_updown.py`)",
        "",
        machine(),
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
    ]
    section = "\n".join(lines)
    write_section("lab-updown", section)
    return section


def main() -> int:
    """Given the command line, return 0 when the lab is within its time limits."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("lab_updown: needs root", file=sys.stderr)
        return 2
    # A test session's lab would be torn down under it: take turns on its lock.
    with lab_lock():
        rows = measure(args.rounds)
    print(record(rows))
    ok = max(r[0] for r in rows) <= UP_LIMIT and max(r[1] for r in rows) <= DOWN_LIMIT
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
