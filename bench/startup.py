"""Start-up time of `sop list`, `sop show 3.1`, `sop status 1` against `ansible-playbook --version`
(issue 17: well under half of it; goals with margin: list and show <= 0.30, status <= 0.35).

Each command runs as a fresh process, as a petugas types it, alternating with
`ansible-playbook --version` in the same loop of this process so that both meet the
same load on the machine; the median of ROUNDS runs of each is compared, in wall time
(the goal) and in CPU time (user + system of the process: what the machine being shared
with other work changes least).  Output goes to a pipe, as scripts and AWX read it;
`sop status 1` is also run on a terminal (a pseudo-terminal), where rich is loaded to
colour it.  The installation is a throwaway trust root (SQLite store, two local hosts,
one signed request for `sop status`), made as root like the product's.

Needs root (the trust file is root's). Prints the figures and writes them to
bench/RESULTS.md (section "startup").
"""

from __future__ import annotations

import os
import pty
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

# Run as a script: its folder is first on sys.path, so results imports.
from results import machine, write_section

from sop_runner.config import REPO_ROOT

ROUNDS = int(os.environ.get("SOP_BENCH_ROUNDS", "9"))
# The whole measure is repeated: the machine is shared, one series can meet a burst of load.
REPEATS = int(os.environ.get("SOP_BENCH_REPEATS", "3"))
BIN = Path(sys.executable).parent
COMMANDS = {
    "sop list": ["list"],
    "sop show 3.1": ["show", "3.1"],
    "sop status 1": ["status", "1"],
    "sop status 1 --json": ["status", "1", "--json"],
    "sop status 1 (terminal)": ["status", "1"],
}
# Issue 17 asks for well under half; these are the goals with margin (issue 17s).
GOALS = {"sop list": 0.30, "sop show 3.1": 0.30}
STATUS_GOAL = 0.35


def _installation(root: Path) -> dict[str, str]:
    """Given a folder, make a sop installation there; return the environment that uses it."""
    sys.path.insert(0, str(REPO_ROOT))
    from tests.support.sop import write_inventory
    from tests.support.trust import make_trust_root

    setup = make_trust_root(
        {"budi": ["petugas"], "sari": ["penanggung_jawab"], "ahmad": ["pimpinan"]},
        root / "keys",
        store=f"sqlite:///{root / 'sop.db'}",
        inventory=write_inventory(root / "inventory"),
        base=root,
    )
    env = {
        **os.environ,
        "SOP_DATA_DIR": str(root / "data"),
        "SOP_KEY_DIR": str(root / "keys"),
        "SOP_TRUST_FILE": str(setup.trust_file),
        "SOP_OPERATOR": "budi",
    }
    # As installed: Python keeps the compiled modules (a test harness may forbid it).
    for name in (
        "SOP_CONFIG",
        "SOP_DB_URL",
        "SOP_INVENTORY",
        "SOP_LANG",
        "PYTHONDONTWRITEBYTECODE",
    ):
        env.pop(name, None)
    made = subprocess.run(
        [str(BIN / "sop"), "request", "6.1", "--target", "ctl1", "--reason", "bench",
         "--param", "cleanup_path=/var/tmp/sop-bench", "--param", "max_age_days=30", "--quiet"],
        capture_output=True, text=True, env=env, cwd=REPO_ROOT, check=True,
    )  # fmt: skip
    assert made.stdout.strip() == "1", made.stdout + made.stderr
    return env


def _on_terminal(cmd: list[str], env: dict[str, str]) -> None:
    """Given a command, run it with its output on a pseudo-terminal (drained as it comes)."""
    main, child = pty.openpty()
    drained = threading.Thread(target=_drain, args=(main,), daemon=True)
    drained.start()
    try:
        subprocess.run(cmd, check=True, stdout=child, stderr=child, cwd=REPO_ROOT, env=env)
    finally:
        os.close(child)
        drained.join(timeout=5)
        os.close(main)


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 65536):
            pass
    except OSError:  # the terminal closed: all was read
        return


def _timed(cmd: list[str], env: dict[str, str], terminal: bool = False) -> tuple[float, float]:
    """Given a command, run it; return its wall time and CPU time (user + system), seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    if terminal:
        _on_terminal(cmd, env)
    else:
        subprocess.run(cmd, check=True, capture_output=True, cwd=REPO_ROOT, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def measure(env: dict[str, str]) -> dict[str, tuple[float, float]]:
    """Given the installation's environment, return the median wall and CPU seconds of
    each command."""
    times: dict[str, list[tuple[float, float]]] = {n: [] for n in [*COMMANDS, "ansible-playbook"]}
    baseline = [str(BIN / "ansible-playbook"), "--version"]
    for args in COMMANDS.values():  # warm: the catalog cache, the page cache
        _timed([str(BIN / "sop"), *args], env)
    for _ in range(ROUNDS):
        times["ansible-playbook"].append(_timed(baseline, env))
        for name, args in COMMANDS.items():
            cmd = [str(BIN / "sop"), *args]
            times[name].append(_timed(cmd, env, terminal=name.endswith("(terminal)")))
    return {
        name: (statistics.median(w for w, _ in values), statistics.median(c for _, c in values))
        for name, values in times.items()
    }


def _goal(name: str) -> float:
    return GOALS.get(name, STATUS_GOAL)


def main() -> None:
    if os.geteuid() != 0:
        sys.exit("bench/startup.py: run as root (the trust file is root's)")
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="sop-bench-startup-", dir="/var/tmp") as folder:
        os.chmod(folder, 0o755)
        env = _installation(Path(folder))
        series = [measure(env) for _ in range(REPEATS)]
    load_after = os.getloadavg()
    # Each figure: the median of the series' medians; each series' ratio is shown too.
    medians = {
        name: (
            statistics.median(m[name][0] for m in series),
            statistics.median(m[name][1] for m in series),
        )
        for name in series[0]
    }
    each = {
        name: ", ".join(f"{m[name][0] / m['ansible-playbook'][0]:.2f}" for m in series)
        for name in COMMANDS
    }
    base, base_cpu = medians["ansible-playbook"]
    rows = [f"| `ansible-playbook --version` | {base:.3f} | 1.00 | {base_cpu:.3f} | 1.00 | |"]
    missed = []
    for name in COMMANDS:
        wall, cpu = medians[name]
        ratio, cpu_ratio = wall / base, cpu / base_cpu
        met = ratio <= _goal(name)
        if not met:
            missed.append(name)
        rows.append(
            f"| `{name}` | {wall:.3f} | {ratio:.2f} ({each[name]}) | {cpu:.3f} | "
            f"{cpu_ratio:.2f} | ≤ {_goal(name):.2f} {'met' if met else 'NOT met'} |"
        )
        print(
            f"{name}: {wall:.3f} s ({ratio:.2f}), CPU {cpu:.3f} s ({cpu_ratio:.2f}); "
            f"goal {_goal(name):.2f} {'met' if met else 'NOT met'}"
        )
    print(f"ansible-playbook --version: {base:.3f} s, CPU {base_cpu:.3f} s")
    loads = f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after (1 min; 2 cores)"
    print(loads)
    verdict = "every goal met" if not missed else f"goal NOT met: {', '.join(missed)}"
    body = "\n".join(
        [
            "## Start-up: `sop list`, `show`, `status` (`bench/startup.py`)",
            "",
            machine(),
            f"- Load: {loads}; other helpers' tests were running.",
            f"- What: each command as a fresh process, alternating with `ansible-playbook "
            f"--version` in the same loop; median of {ROUNDS} runs each, the whole repeated "
            f"{REPEATS} times (the table: the median of the {REPEATS} medians; in brackets "
            "each series' wall ratio); SQLite store, one "
            "request; caches warm (catalog, gettext catalog, entry points, trust schemas). "
            "Output to a pipe, as scripts and AWX read it; `(terminal)`: on a "
            "pseudo-terminal, as a person sees it. CPU: user + system time of the process.",
            "- Goals (issue 17s, with margin under issue 17's half): `sop list`, `sop show` "
            f"≤ {GOALS['sop list']:.2f}, `sop status` ≤ {STATUS_GOAL:.2f} (wall time).",
            "",
            "| command | wall (s) | ratio (each series) | CPU (s) | CPU ratio | goal |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
            f"Verdict: {verdict}.",
            "",
            NOTES,
        ]
    )
    write_section("startup", body)


NOTES = """How `sop` starts light (issue 17): a command's module is imported only when \
that command runs (cli/app.py, SopGroup), and each feature declares its command names and \
start-up hooks in a Manifest read without its tables (sop_runner/features.py, \
docs/architecture.md). `sop status` reads the store with the database's own driver \
(sop_runner/store_reads.py), remembers the trust documents that fitted their schemas \
(sop_runner/trust/schema.py) and reads the inventory's names from its YAML (issues 17b, 17t).

Issue 17s, profiled with `python -X importtime` and cProfile. Every start shared about \
60 ms of Python, typer, rich, PyYAML, importlib.metadata and the gettext catalog before any \
command ran; now:
- the gettext catalog, compiled from its eleven .po files at each start (about 15 ms), is \
kept as a .mo in the package's __pycache__, named by the SHA-256 of the .po files and of \
sop_runner/i18n.py (the .po stay the source; tests/unit/test_i18n_cache.py);
- the features' entry points (importlib.metadata reads every installed distribution: \
about 20 ms with its import) are kept by sys.path and the times of its folders, which \
every install changes (sop_runner/feature_entries.py, tests/unit/test_feature_entries.py);
- PyYAML is imported at the first YAML read (sop_runner/yamlio.py): `sop list` and \
`sop show` with the catalog cached read none; the caches hash with CPython's own SHA-256 \
(no OpenSSL) and import tempfile only to write;
- `sop list` and `sop show` keep their views as JSON, named by the SHA-256 of the \
procedure files, the catalog's and the views' code and the language's catalogs \
(sop_runner/cli/view_cache.py, tests/unit/test_view_cache.py): warm, they import neither \
the catalog's model nor its pickle;
- typer builds only the command being run (`sop status` built the seven of its module);
- rich is made at its first use (sop_runner/lazy_console.py): JSON, ids, error lines and \
plain lines to a pipe are written straight, hidden characters made visible as before; \
tables, markup and a terminal's colours still go through rich (the `(terminal)` row);
- verifying signatures no longer imports cryptography's key serialization (SSH, PEM); \
the safe console no longer turns emoji codes in people's words into pictures, so rich's \
emoji table is not loaded;
- `sop requests` reads the store like `sop status`, without SQLAlchemy \
(tests/component/test_requests_light.py).
Modules imported (this machine's site packages add about 50): `sop list`/`show` 265 \
(were about 310), `list --json` 211, `sop status` 281 (was about 370). Held by \
tests/component/test_cli_startup.py (no \
importlib.metadata, YAML or jsonschema once kept; no rich for JSON or a pipe; module \
limits). What is left is Python with this machine's site packages (about 35 ms of CPU \
here, a sandbox .pth among them), typer (about 30 ms), rich for tables and terminals \
(about 25 ms), and for `sop status` cryptography (the signatures), PyYAML (the trust \
file) and the gates. The CPU ratio is what an idle machine would show; the wall ratio \
moves with the other helpers' load (`ansible-playbook`, four times sop's CPU, is \
slowed more by it)."""


if __name__ == "__main__":
    main()
