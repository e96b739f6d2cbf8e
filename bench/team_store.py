"""A team store under load (issue 21): PostgreSQL shared by N workers.

1. Audit appends/s: N processes append to the one hash chain at once (each append takes
   the chain's advisory lock: the chain stays one line), then the chain is verified.
2. Runs/min: N `sop run` of different SOP 6.1 requests at once, on the controller's
   local hosts (ansible_connection local: the store and the runner are measured, not SSH).

Needs root (PostgreSQL runs as its own server, started here).  Prints the figures and
writes them to bench/RESULTS.md.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Run as a script (`make bench`): its folder is first on sys.path, so results imports.
from results import machine, write_section

from tests.support import postgres
from tests.support.sop import write_inventory
from tests.support.trust import make_trust_root

WORKERS = (1, 2, 4)
APPENDS = 200
RUNS_PER_WORKER = 2
BIN = Path(sys.executable).parent
CONFIRM = [f"--confirm={n}=bench" for n in (2, 3, 4, 6)]


def _append(args: tuple[str, int]) -> None:
    from sop_runner import audit
    from sop_runner.store import session_scope

    url, count = args
    for n in range(count):
        with session_scope(url) as session:
            audit.append(session, "bench", "bench.append", f"bench/{os.getpid()}", {"n": n})


def appends_per_second(url: str, workers: int) -> float:
    """Given a store and a number of workers, return the audit appends per second."""
    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        pool.map(_append, [(url, APPENDS)] * workers)
    return workers * APPENDS / (time.perf_counter() - started)


def _request(env: dict[str, str], folder: Path) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    made = subprocess.run(
        [str(BIN / "sop"), "request", "6.1", "--target", "ctl1", "--reason", "bench",
         "--param", f"cleanup_path={folder}", "--param", "max_age_days=30", "--quiet",
         "--as", "budi"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    request_id = made.stdout.strip()
    subprocess.run([str(BIN / "sop"), "approve", request_id, "--as", "sari"], env=env,
                   capture_output=True, check=True)  # fmt: skip
    return request_id


def runs_per_minute(env: dict[str, str], root: Path, workers: int) -> float:
    """Given the environment of an installation, return `sop run`s per minute with
    ``workers`` running at once (each runs RUNS_PER_WORKER requests one after another)."""
    batches = [
        [_request(env, root / f"w{workers}-{w}-{n}") for n in range(RUNS_PER_WORKER)]
        for w in range(workers)
    ]
    script = " && ".join  # one shell per worker: its runs one after another
    started = time.perf_counter()
    procs = [
        subprocess.Popen(
            ["sh", "-c", script(f"{BIN / 'sop'} run {r} --as budi {' '.join(CONFIRM)} >/dev/null"
                                for r in batch)],
            env=env,
        )
        for batch in batches
    ]  # fmt: skip
    codes = [proc.wait() for proc in procs]
    elapsed = time.perf_counter() - started
    if any(codes):
        raise RuntimeError(f"a run failed: exit codes {codes}")
    return workers * RUNS_PER_WORKER / elapsed * 60


def main() -> int:
    if not postgres.available():
        print("needs root and PostgreSQL 15 (make setup)")
        return 1
    with postgres.running_server() as server, tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        url = server.new_database()
        setup = make_trust_root(
            {"budi": ["petugas"], "sari": ["penanggung_jawab"], "ahmad": ["pimpinan"]},
            root / "keys",
            store=url,
            inventory=write_inventory(root / "inventory"),
            base=root,
        )
        env = {
            **os.environ,
            "PATH": f"{BIN}:{os.environ['PATH']}",
            "SOP_DATA_DIR": str(root / "data"),
            "SOP_KEY_DIR": str(root / "keys"),
            "SOP_TRUST_FILE": str(setup.trust_file),
        }
        os.environ.update({k: v for k, v in env.items() if k.startswith("SOP_")})
        load_before = os.getloadavg()[0]
        appends = {n: appends_per_second(url, n) for n in WORKERS}
        runs = {n: runs_per_minute(env, root, n) for n in WORKERS}
        verify = subprocess.run([str(BIN / "sop"), "audit", "verify"], env=env, check=False,
                                capture_output=True, text=True)  # fmt: skip
    rows = "\n".join(f"| {n} | {appends[n]:.0f} | {runs[n]:.1f} |" for n in WORKERS)
    body = f"""## Team store under load (`bench/team_store.py`)

{machine()}
- What: PostgreSQL 15 (a server of its own, Unix socket). Audit appends: N processes each
  append {APPENDS} entries to the one hash chain, one transaction each. Runs: N workers at
  once, each `sop run` of {RUNS_PER_WORKER} SOP 6.1 requests (monitor + gated repair,
  ansible_connection local, human steps confirmed on the command line).
- Audit chain afterwards: `sop audit verify` exit {verify.returncode}.
- Load average (1 min) when it started: {load_before:.1f} (other test sessions share the
  machine: the figures are what this machine gave then, not its capacity).

| workers | audit appends/s | runs/min |
|---|---|---|
{rows}
"""
    print(body)
    write_section("team-store", body)
    return 0 if verify.returncode == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
