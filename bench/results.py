"""Shared by the benchmarks: the machine line and one marked section of RESULTS.md."""

from __future__ import annotations

import fcntl
import os
import platform
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def machine() -> str:
    """Return the date and a one-line description of this machine."""
    memory_kib = int(Path("/proc/meminfo").read_text().split()[1])
    date = subprocess.run(["date", "-u"], capture_output=True, text=True, check=True).stdout
    return (
        f"- Date: {date.strip()}\n- Machine: {os.cpu_count()} cores, "
        f"{memory_kib / 1024 / 1024:.1f} GiB RAM, kernel {platform.release()}"
    )


@contextmanager
def lab_lock() -> Iterator[None]:
    """Hold the machine-wide lab lock (the test fixture takes it too) while benchmarking."""
    with open("/run/sop-lab-session.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def write_section(name: str, body: str) -> None:
    """Given a section name and its Markdown, replace (or add) it in bench/RESULTS.md."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    section = f"{begin}\n{body.strip()}\n{end}"
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    if begin in text:
        text = re.sub(
            re.escape(begin) + ".*?" + re.escape(end), lambda _: section, text, flags=re.S
        )
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    RESULTS.write_text(text)
