"""Bench SOP 7.1: a file backup through sop's restic_backup module vs bare restic.

Same data (random files, many extensions), fresh local repositories, the
Debian restic binary; the measures alternate within each round, so a busy
machine weighs on all of them alike.  Prints, and with --record writes to
bench/RESULTS.md ("## Backup (SOP 7.1)"):
- the module on its own (a process of its own with its arguments file, as
  Ansible's AnsiballZ runs it) vs bare `restic backup -q`: goal <= 1.10;
- the whole run through Ansible (`ansible -m restic_backup`, local) vs bare,
  and Ansible's fixed start-up (an `ansible.builtin.ping` of the same host);
- CPU time (user + system of the processes) of each, which the load moves less;
- an unchanged re-backup through the module vs the first.
Usage: .venv/bin/python bench/backup_vs_restic.py [--mb 400] [--files 3000] [--record]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
EXTS = ["pdf", "csv", "txt", "jpg", "docx", "xlsx", "log", "sql", "png", ""]
GOAL = 1.10
# AnsiballZ's part, in short: the repository's module_utils under ansible.module_utils,
# the module run as __main__ with its arguments file as argv[1].
BOOT = (
    "import runpy, sys, ansible.module_utils as m; "
    f"m.__path__.append({str(REPO / 'plugins' / 'module_utils')!r}); "
    f"runpy.run_path({str(REPO / 'library' / 'restic_backup.py')!r}, run_name='__main__')"
)


def make_data(root: Path, total_mb: int, files: int) -> None:
    """Given a directory, fill it with `files` random files totalling about total_mb."""
    rnd = random.Random(7)
    size = total_mb * 1024 * 1024 // files
    for i in range(files):
        sub = root / f"d{i % 40:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        ext = EXTS[i % len(EXTS)]
        (sub / (f"f{i}.{ext}" if ext else f"f{i}")).write_bytes(rnd.randbytes(size))


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Given a command, run it; return its wall time and CPU time (raise when it fails)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, cwd=REPO)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0 or '"failed": true' in proc.stdout:
        raise SystemExit(f"{argv[:3]} failed: {proc.stdout[-500:]} {proc.stderr[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def median(values: list[float]) -> float:
    """Given figures, return their median (the middle one)."""
    return sorted(values)[len(values) // 2]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=400)
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sop-bench-backup-", dir="/var/tmp"))
    try:
        data = work / "data"
        make_data(data, args.mb, args.files)
        secret = work / "pass"
        secret.write_text("bench")
        secret.chmod(0o600)
        env = {
            **os.environ,
            "RESTIC_PASSWORD_FILE": str(secret),
            "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
            "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.minimal",
        }
        ansible = [
            str(BIN / "ansible"),
            "localhost",
            "-c",
            "local",
            "-i",
            "localhost,",
            "-e",
            f"ansible_python_interpreter={sys.executable}",
        ]
        figures: dict[str, list[tuple[float, float]]] = {
            "bare": [],
            "own": [],
            "ansible": [],
            "ping": [],
            "again": [],
        }
        for n in range(args.rounds):
            bare, own, via = work / f"bare{n}", work / f"own{n}", work / f"via{n}"
            for repo in (bare, own, via):
                timed(["restic", "-r", str(repo), "init", "-q"], env)
            module_args = {"password_file": str(secret), "paths": [str(data)], "host": "bench"}
            argsfile = work / f"args{n}.json"
            argsfile.write_text(
                json.dumps({"ANSIBLE_MODULE_ARGS": {**module_args, "repository": str(own)}})
            )
            mod = [
                *ansible,
                "-m",
                "restic_backup",
                "-a",
                json.dumps({**module_args, "repository": str(via)}),
            ]
            subprocess.run(["sync"], check=True)
            figures["bare"].append(
                timed(
                    ["restic", "-r", str(bare), "backup", "-q", "--host", "bench", str(data)], env
                )
            )
            figures["own"].append(timed([sys.executable, "-c", BOOT, str(argsfile)], env))
            figures["ping"].append(timed([*ansible, "-m", "ansible.builtin.ping"], env))
            figures["ansible"].append(timed(mod, env))
            figures["again"].append(timed(mod, env))
        wall = {k: median([w for w, _ in v]) for k, v in figures.items()}
        cpu = {k: median([c for _, c in v]) for k, v in figures.items()}
        now = subprocess.run(["date", "-u"], capture_output=True, text=True).stdout.strip()
        version = subprocess.run(["restic", "version"], capture_output=True, text=True).stdout
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        own_ratio = wall["own"] / wall["bare"]
        lines = [
            f"- date: {now}; load average (1, 5, 15 min) at the end: {load}",
            f"- machine: {os.cpu_count()} CPU, "
            f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') // 2**20} MiB RAM, "
            f"kernel {platform.release()}, "
            f"{version.split(' compiled')[0]}",
            f"- data: {args.files} files, {args.mb} MiB, local repositories; "
            f"median of {args.rounds} rounds, the measures alternating in each",
            "",
            "| run | wall (s) | ratio to bare | CPU (s) | CPU ratio |",
            "|---|---|---|---|---|",
        ]
        names = {
            "bare": "bare `restic backup -q`",
            "own": "the module on its own (its process, as AnsiballZ runs it)",
            "ansible": "through Ansible (`ansible -m restic_backup`, local)",
            "ping": "Ansible's start-up alone (`ansible -m ping`)",
            "again": "unchanged re-backup through Ansible",
        }
        for key, name in names.items():
            lines.append(
                f"| {name} | {wall[key]:.2f} | {wall[key] / wall['bare']:.2f} | "
                f"{cpu[key]:.2f} | {cpu[key] / cpu['bare']:.2f} |"
            )
        lines += [
            "",
            f"- **the module vs bare restic: {own_ratio:.2f}** (goal ≤ {GOAL:.2f}: "
            f"{'met' if own_ratio <= GOAL else 'NOT met'})",
            f"- **the whole run through Ansible vs bare restic: "
            f"{wall['ansible'] / wall['bare']:.2f}** (goal ≤ {GOAL:.2f}: "
            f"{'met' if wall['ansible'] / wall['bare'] <= GOAL else 'NOT met'}); "
            f"without Ansible's start-up ({wall['ping']:.2f} s): "
            f"{(wall['ansible'] - wall['ping']) / wall['bare']:.2f}",
        ]
        text = "\n".join(lines)
        print(text)
        if args.record:
            record(text)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def record(text: str) -> None:
    """Given the figures, write them as the section "## Backup (SOP 7.1)" of RESULTS.md,
    keeping the explanation under them (between the two markers) as it is."""
    results = REPO / "bench" / "RESULTS.md"
    old = results.read_text() if results.exists() else "# Bench results\n"
    begin, end = "<!-- backup-figures:begin -->", "<!-- backup-figures:end -->"
    if begin in old and end in old:
        head, _, rest = old.partition(begin)
        _, _, tail = rest.partition(end)
        results.write_text(f"{head}{begin}\n{text}\n{end}{tail}")
        return
    section = f"## Backup (SOP 7.1)\n\n`bench/backup_vs_restic.py`\n\n{begin}\n{text}\n{end}\n"
    if "## Backup (SOP 7.1)" in old:
        head, _, rest = old.partition("## Backup (SOP 7.1)")
        tail = rest.split("\n## ", 1)
        old = head + section + ("\n## " + tail[1] if len(tail) > 1 else "")
    else:
        old = old.rstrip("\n") + "\n\n" + section
    results.write_text(old)


if __name__ == "__main__":
    main()
