"""Start-up time of `sop list`, `sop show 3.1`, `sop status 1` against `ansible-playbook --version`
(issue 17: the goal is well under half of it).

Each command runs as a fresh process, as a petugas types it, alternating with
`ansible-playbook --version` in the same loop of this process so that both meet the
same load on the machine; the median of ROUNDS runs of each is compared.  The
installation is a throwaway trust root (SQLite store, two local hosts, one signed
request for `sop status`), made as root like the product's.

Needs root (the trust file is root's). Prints the figures and writes them to
bench/RESULTS.md (section "startup").
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Run as a script: its folder is first on sys.path, so results imports.
from results import machine, write_section

from sop_runner.config import REPO_ROOT

ROUNDS = int(os.environ.get("SOP_BENCH_ROUNDS", "9"))
BIN = Path(sys.executable).parent
COMMANDS = {
    "sop list": ["list"],
    "sop show 3.1": ["show", "3.1"],
    "sop status 1": ["status", "1"],
    "sop status 1 --json": ["status", "1", "--json"],
}
GOAL = 0.5


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


def _timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, cwd=REPO_ROOT, env=env)
    return time.perf_counter() - start


def measure(env: dict[str, str]) -> dict[str, float]:
    """Given the installation's environment, return the median seconds of each command."""
    times: dict[str, list[float]] = {name: [] for name in [*COMMANDS, "ansible-playbook"]}
    baseline = [str(BIN / "ansible-playbook"), "--version"]
    for args in COMMANDS.values():  # warm: the catalog cache, the page cache
        _timed([str(BIN / "sop"), *args], env)
    for _ in range(ROUNDS):
        times["ansible-playbook"].append(_timed(baseline, env))
        for name, args in COMMANDS.items():
            times[name].append(_timed([str(BIN / "sop"), *args], env))
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    if os.geteuid() != 0:
        sys.exit("bench/startup.py: run as root (the trust file is root's)")
    with tempfile.TemporaryDirectory(prefix="sop-bench-startup-", dir="/var/tmp") as folder:
        os.chmod(folder, 0o755)
        medians = measure(_installation(Path(folder)))
    base = medians["ansible-playbook"]
    rows = [f"| `ansible-playbook --version` | {base:.3f} | 1.00 |"]
    worst = 0.0
    for name in COMMANDS:
        ratio = medians[name] / base
        worst = max(worst, ratio)
        rows.append(f"| `{name}` | {medians[name]:.3f} | {ratio:.2f} |")
        print(f"{name}: {medians[name]:.3f} s, ratio {ratio:.2f} to ansible-playbook --version")
    print(f"ansible-playbook --version: {base:.3f} s")
    verdict = "goal met" if worst < GOAL else f"goal (< {GOAL}) NOT met"
    print(f"worst ratio {worst:.2f}: {verdict}")
    # The catalog commands apart: they need neither the store nor the inventory.
    light = max(medians["sop list"], medians["sop show 3.1"]) / base
    light_verdict = "goal met" if light < GOAL else f"goal (< {GOAL}) NOT met"
    print(f"sop list / sop show: worst ratio {light:.2f}: {light_verdict}")
    body = "\n".join(
        [
            "## Start-up: `sop list`, `show`, `status` (`bench/startup.py`)",
            "",
            machine(),
            f"- What: each command as a fresh process, alternating with `ansible-playbook "
            f"--version` in the same loop; median of {ROUNDS} runs each; SQLite store, one "
            "request; catalog cache warm.",
            f"- Goal: ratio < {GOAL}",
            "",
            "| command | median (s) | ratio |",
            "|---|---|---|",
            *rows,
            "",
            f"Worst ratio **{worst:.2f}** — {verdict}. `sop list` and `sop show` alone: "
            f"**{light:.2f}** — {light_verdict}.",
            "",
            "How `sop` starts light (issue 17): a command's module is imported only when "
            "that command runs (cli/app.py, SopGroup), and each feature declares its "
            "command names and start-up hooks in a Manifest read without its tables "
            "(sop_runner/features.py, docs/architecture.md); the store imports only the "
            "features' tables modules before it makes the schema. `sop list` and `sop show` "
            "import about 310 modules (was about 840): no SQLAlchemy, no Ansible, no feature, "
            "no pydantic (typer's coercion of plain text and flags passes them through), "
            "held by tests/component/test_cli_startup.py. What is left of them is Python, "
            "typer, rich, PyYAML, importlib.metadata (the entry points) and the cached "
            "catalog.",
            "",
            "`sop status` (issue 17b): it no longer imports Ansible or pydantic. It reads "
            "only the inventory's names, from the YAML itself when the inventory is plain "
            "YAML (sop_runner/inventory_names.py: the same hosts and groups as Ansible's "
            "inventory manager, held by tests/unit/test_inventory_names.py; anything else "
            "is still read by Ansible), and its integer argument is coerced without "
            "pydantic (sop_runner/cli/coercion.py); held by "
            "tests/component/test_cli_startup.py. About 600 modules (was about 910). "
            "`sop status` (issue 17t) reads the store with the database's own driver "
            "(sqlite3, psycopg: sop_runner/store_reads.py) instead of SQLAlchemy's ORM: no "
            "SQLAlchemy, no store models, no feature's tables, no schema check; the gates "
            "and the hash are the same code on rows with the ORM's attribute names, and "
            "the registry and every signature it shows are verified as before. A trust "
            "document (trust file, registry version) that fitted its JSON schema is "
            "remembered by the SHA-256 of its content, the schemas and the code, in the "
            "package's __pycache__ like the catalog, so jsonschema is not imported again "
            "for the same document (sop_runner/trust/schema.py). Held by "
            "tests/component/test_cli_startup.py (no sqlalchemy, no sop_runner.store) and "
            "tests/component/test_status_light.py (the same text and JSON as the ORM "
            "path, SQLite and PostgreSQL). About 370 modules. What is left beyond `sop "
            "list` is cryptography (the signatures) and reading the trust documents. "
            "The machine was shared with other test runs: the figures move by ±30 %.",
        ]
    )
    write_section("startup", body)


if __name__ == "__main__":
    main()
