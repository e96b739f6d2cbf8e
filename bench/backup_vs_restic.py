"""Bench SOP 7.1: a file backup through sop's restic_backup module vs bare restic.

Same data (random files, many extensions), fresh local repositories, the
Debian restic binary.  Prints, and with --record writes to bench/RESULTS.md
("## Backup (SOP 7.1)"):
- ratio of a first backup through the module (run by Ansible, as a playbook
  would) to bare `restic backup` of the same data, with and without Ansible's
  fixed start-up cost (measured as an `ansible.builtin.ping` of the same host);
- ratio of an unchanged re-backup to the first backup (through the module).
Usage: .venv/bin/python bench/backup_vs_restic.py [--mb 400] [--files 3000] [--record]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
EXTS = ["pdf", "csv", "txt", "jpg", "docx", "xlsx", "log", "sql", "png", ""]


def make_data(root: Path, total_mb: int, files: int) -> None:
    """Given a directory, fill it with `files` random files totalling about total_mb."""
    rnd = random.Random(7)
    size = total_mb * 1024 * 1024 // files
    for i in range(files):
        sub = root / f"d{i % 40:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        ext = EXTS[i % len(EXTS)]
        (sub / (f"f{i}.{ext}" if ext else f"f{i}")).write_bytes(rnd.randbytes(size))


def timed(argv: list[str], env: dict[str, str]) -> float:
    """Given a command, run it and return its wall time (raise when it fails)."""
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, cwd=REPO)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{argv[:3]} failed: {proc.stdout[-500:]} {proc.stderr[-500:]}")
    return elapsed


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
        bare, module, ping, again = [], [], [], []
        for n in range(args.rounds):
            r1, r2 = work / f"bare{n}", work / f"sop{n}"
            for repo in (r1, r2):
                timed(["restic", "-r", str(repo), "init", "-q"], env)
            subprocess.run(["sync"], check=True)
            bare.append(
                timed(["restic", "-r", str(r1), "backup", "-q", "--host", "bench", str(data)], env)
            )
            ping.append(timed([*ansible, "-m", "ansible.builtin.ping"], env))
            mod = [
                *ansible,
                "-m",
                "restic_backup",
                "-a",
                json.dumps(
                    {
                        "repository": str(r2),
                        "password_file": str(secret),
                        "paths": [str(data)],
                        "host": "bench",
                    }
                ),
            ]
            module.append(timed(mod, env))
            again.append(timed(mod, env))
        med = lambda xs: sorted(xs)[len(xs) // 2]  # noqa: E731
        b, m, p, a = med(bare), med(module), med(ping), med(again)
        now = subprocess.run(["date", "-u"], capture_output=True, text=True).stdout.strip()
        version = subprocess.run(["restic", "version"], capture_output=True, text=True).stdout
        lines = [
            f"- date: {now}",
            f"- machine: {os.cpu_count()} CPU, "
            f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') // 2**20} MiB RAM, "
            f"kernel {platform.release()}, "
            f"{version.split(' compiled')[0]}",
            f"- data: {args.files} files, {args.mb} MiB, local repositories; "
            f"median of {args.rounds}",
            f"- bare `restic backup`: {b:.2f} s; through `restic_backup` (ansible, local): "
            f"{m:.2f} s; "
            f"Ansible start-up alone (ping): {p:.2f} s",
            f"- **ratio sop/bare restic: {m / b:.2f}** (total); **{(m - p) / b:.2f}** without "
            "Ansible's fixed start-up (goal ≤ 1.05)",
            f"- unchanged re-backup through the module: {a:.2f} s; **ratio to the first: "
            f"{a / m:.2f}** ({(a - p) / max(m - p, 1e-9):.2f} without start-up)",
        ]
        text = "\n".join(lines)
        print(text)
        if args.record:
            results = REPO / "bench" / "RESULTS.md"
            old = results.read_text() if results.exists() else "# Bench results\n"
            section = "## Backup (SOP 7.1)\n\n`bench/backup_vs_restic.py`\n\n" + text + "\n"
            if "## Backup (SOP 7.1)" in old:
                head, _, rest = old.partition("## Backup (SOP 7.1)")
                tail = rest.split("\n## ", 1)
                old = head + section + ("\n## " + tail[1] if len(tail) > 1 else "")
            else:
                old = old.rstrip("\n") + "\n\n" + section
            results.write_text(old)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
