"""Core benchmarks (issues 2 and 21).

1. Overhead of `sop run` over bare `ansible-playbook` (bench/run_overhead.py): the 6.1
   bench on four hosts of the test lab, and the same request on 50 light hosts
   (sop_runner/lab/light.py), `sop run` and the baseline alternating in this process,
   medians; the share of the 50-host run spent ingesting events, and the phases of a
   profiled 6.1 `sop run`.
2. Time to verify an audit chain of 1,000,000 entries (SQLite, the default store).

Needs root (the labs). Prints the figures and writes them to bench/RESULTS.md.
`core_overhead.py [ROUNDS_6_1 [ROUNDS_50 [HOSTS]]]` (default 5, 2, 50).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

# Run as a script (`make bench`): its folder is first on sys.path, so these import.
import run_overhead
from results import machine, write_section

from sop_runner import audit


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


# What the figures mean: the profile of issue 21 (2026-11-30), before and after.
EXPLAINED = """\
**Before issue 21** (same bench, same day, commit c6c86f5, load average 6–10): 6.1 `sop
run` 17.43 s against bare 12.09 s, **1.442** (3 rounds); 50 hosts 151.9 s against 154.3 s,
**0.984** (1 round); event sink 1.0 % and ansible-runner's event callback 3.7 % of the
50-host run. The profile of the 50-host `sop run` showed 6.9 s of sleeps in pexpect (1,928
reads of at most 2000 bytes of the play's pty, each followed by a sleep), 0.2 s of
pexpect closing the pty (0.1 s a play), 26 commits of events (one a 50), every event file
read back from disk twice after each play (0.44 s: `Runner.stats`, `Runner.events`) and
the SSH masters closed one after the other (1 s a play on 50 hosts). After, the 6.1 ratio
measured three times as the changes went in: 1.222 (fixed order), 1.114 (load 12), 1.049
(the table, order turning each round): on this shared machine it moves by about ±0.1.

**Removed**: the play runs without a pty (ansible-runner's subprocess mode, stdin
/dev/null: no play prompts; the events reach the run loop when the play ends, and the
progress line shows the step, not each task); a step's events are written in one
transaction; the result (stats, set_stats data, the stopping failure) is kept from the
events as they arrive; the masters are closed all at once. SSH connection reuse is
effective: ControlPersist with the run's own control folder gives one login a host a
play (the table's "SSH logins per host"; a few hosts opened a second one).

**Left on 6.1, per run and not per host or task** (the phases above, under cProfile): the
`sop` process's Python and imports (about 0.7 s with `-X importtime`: SQLAlchemy 0.28 s,
sop_runner's own modules 0.18 s, rich, ansible_runner, cryptography); opening the store
imports every feature's tables (`define_tables`); the request's impact is checked again
against the inventory read through Ansible's InventoryManager before the first play (a
gate: it stays); the features are loaded for the records' writers at the first step's
end (a feature's Manifest does not name the set_stats keys it records, so every feature
is imported; naming them there is the next step); SQLAlchemy configures its mappers at
the first write. The bare baseline pays part of the same in its `sop_records` callback,
which records each play. "One Ansible process per run" does not apply to 6.1: its two
plays are steps 1 and 5, with three human steps and the approval between them, and each
step's certificate names that step.

**Left on 50 hosts** (goal 1.02, measured 1.025: 2.8 s on 114 s): ansible-runner's event
callback, 2.6 % of the run (about 3 s: for each of the run's 1,300 events it reads the
callback's partial file and writes the event's JSON artifact, the evidence `sop` keeps),
which in subprocess mode runs after the play instead of beside it. Streaming the events
without a pty (ansible-runner hands a subprocess's output over only when it ends) would
overlap it again; our own sink is 0.2 %. An A/B of the whole `sop run` on the same 50
hosts, the tree before issue 21 (pexpect) against this one, order turning, load 13–14:
123.1 s against 127.5 s (2 rounds, **1.036**): on 50 hosts the pty's cost was hidden
beside the play while the events' processing after it is not, so the pty's removal pays
on short plays (6.1) and costs about 3 % on long many-host ones until the events are
streamed again."""


def main() -> None:
    if os.geteuid() != 0:
        sys.exit("bench/core_overhead.py needs root (the lab)")
    args = [int(a) for a in sys.argv[1:4]]
    rounds_61, rounds_50, hosts = (args + [5, 2, 50][len(args) :])[:3]
    with tempfile.TemporaryDirectory(prefix="sop-bench-") as scratch:
        root = Path(scratch)
        os.environ["SOP_DATA_DIR"] = str(root / "data")
        verify_s = audit_chain(root)
        print(f"audit verify, 1,000,000 entries: {verify_s:.2f} s (goal ≤ 10 s)")
        profile_61, profile_50 = root / "six.prof", root / "fifty.prof"
        sop61, bare61 = run_overhead.six_one(root / "six", rounds_61, profile_61)
        print(f"6.1: sop run {sop61:.2f} s, bare {bare61:.2f} s, ratio {sop61 / bare61:.3f}")
        load = os.getloadavg()
        started = time.perf_counter()
        f = run_overhead.fifty(root / "fifty", rounds_50, hosts, profile_50)
        minutes = (time.perf_counter() - started) / 60
        print(f"{hosts} hosts: sop run {f['sop']:.1f} s, bare {f['bare']:.1f} s, "
              f"ratio {f['sop'] / f['bare']:.3f}")  # fmt: skip
        sink, callback = run_overhead.share(profile_50, f["profiled"])
        print(f"ingestion: event sink {sink:.1%}, ansible-runner's event callback {callback:.1%}")
        rows = run_overhead.phases(profile_61)
    table = "\n".join(f"| {label} | {seconds:.2f} s |" for label, seconds in rows)
    write_section(
        "core",
        f"""
## Core: `sop run` overhead and audit verification (`bench/core_overhead.py`)

{machine()}
- Load average at the 50-host part: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} (the machine
  is shared; the 50-host part took {minutes:.0f} min)
- 6.1 bench: a SOP 6.1 request on the test lab's backup, gw, srv1, srv2; `sop run` (both
  gated playbooks through ansible-runner, the issuer's certificates, events into SQLite,
  human steps confirmed by `--confirm`) against `ssh-agent ansible-playbook` of the same
  two playbooks, same operator, a request of its own (its gate records the steps too);
  median of {rounds_61} rounds, the order turning each round.
- 50 hosts: the same request on {hosts} light hosts (sop_runner/lab/light.py: a namespace
  and sshd each, made and removed by the bench), each with {run_overhead.OLD_FILES} old files
  to remove: 20 task results per host (3 + 6 tasks, {run_overhead.OLD_FILES} loop items),
  forks 10; median of {rounds_50} rounds, the order turning each round.
- Ingestion: one more 50-host `sop run` under cProfile ({f["profiled"]:.1f} s): time in the
  step's event sink (progress line, RunnerEvent rows, their transaction) and in
  ansible-runner's event callback (which also writes each event's artifact file and
  calls the sink), over the run's wall time.
- Audit: a chain of 1,000,000 entries in SQLite, verified end to end.

| figure | value | goal |
|---|---|---|
| 6.1: `sop run` (median) | {sop61:.2f} s | |
| 6.1: bare `ansible-playbook` ×2 (median) | {bare61:.2f} s | |
| 6.1: overhead ratio | **{sop61 / bare61:.3f}** | ≤ 1.10 |
| {hosts} hosts: `sop run` (median) | {f["sop"]:.1f} s | |
| {hosts} hosts: bare `ansible-playbook` ×2 (median) | {f["bare"]:.1f} s | |
| {hosts} hosts: overhead ratio | **{f["sop"] / f["bare"]:.3f}** | ≤ 1.02 |
| ingestion: event sink / run | **{sink:.1%}** | ≤ 5 % |
| ingestion: ansible-runner's event callback / run | {callback:.1%} | |
| SSH logins per host in one 50-host run (2 plays) | {f["logins"]:.1f} | 2 (one master a play) |
| audit verify, 1,000,000 entries | {verify_s:.2f} s | ≤ 10 s |

Phases of one profiled 6.1 `sop run` (cumulative seconds under cProfile, which slows
Python's own work, not the waiting):

| phase | seconds |
|---|---|
{table}

{EXPLAINED}
""",
    )


if __name__ == "__main__":
    main()
