"""Wipe throughput of library/disk_wipe.py against dd, on the same loop device.

Run as root: `.venv/bin/python bench/wipe_vs_dd.py [--size-mib 1024] [--rounds 3]`.
A sparse image file under /var/tmp is attached as a loop device (detached at the
end); each round writes the whole device once with the module's own writer
(`overwrite_zeros`, O_EXCL|O_DIRECT, 4 MiB chunks, fsync) and once with
`dd if=/dev/zero of=DEV bs=4M oflag=direct conv=fsync`, alternating which goes
first.  The ratio of the medians is the figure (goal >= 0.9); it goes into
bench/RESULTS.md between the wipe markers, other sections untouched.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "RESULTS.md"
BEGIN = "<!-- wipe:begin -->"
END = "<!-- wipe:end -->"
GOAL = 0.9
CHUNK = 4 * 1024 * 1024  # the module's default chunk_mib


def load_disk_wipe() -> ModuleType:
    """Return library/disk_wipe.py imported as Ansible names it (ansible.modules.disk_wipe)."""
    import ansible.module_utils
    import ansible.modules

    # As ansible.cfg's library and module_utils: the module imports its helpers from
    # plugins/module_utils under Ansible's name (tests/conftest.py does the same).
    for package, folder in (
        (ansible.module_utils, REPO / "plugins" / "module_utils"),
        (ansible.modules, REPO / "library"),
    ):
        if str(folder) not in package.__path__:
            package.__path__.append(str(folder))
    return importlib.import_module("ansible.modules.disk_wipe")


def time_module(disk_wipe: ModuleType, device: str, size: int) -> float:
    """Given a loop device, return the seconds the module's writer takes to zero it."""
    fd = os.open(device, os.O_RDWR | os.O_DIRECT | os.O_EXCL)
    try:
        started = time.monotonic()
        disk_wipe.overwrite_zeros(fd, size, CHUNK)
        return time.monotonic() - started
    finally:
        os.close(fd)


def time_dd(device: str, size: int) -> float:
    """Given a loop device, return the seconds dd takes to zero it (direct I/O, fsync)."""
    started = time.monotonic()
    subprocess.run(
        [
            "dd",
            "if=/dev/zero",
            f"of={device}",
            "bs=4M",
            f"count={size // (4 * 1024 * 1024)}",
            "oflag=direct",
            "conv=fsync",
            "status=none",
        ],
        check=True,
    )
    return time.monotonic() - started


def machine() -> str:
    """Return nproc, memory and kernel of this machine."""
    with open("/proc/meminfo") as handle:
        kib = int(handle.readline().split()[1])
    return (
        f"{os.cpu_count()} cores (nproc), {kib / 1048576:.1f} GiB RAM, kernel {platform.release()}"
    )


def write_results(section: str) -> None:
    """Given the wipe section, put it into RESULTS.md between its markers."""
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    block = f"{BEGIN}\n{section}{END}\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1].lstrip("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    RESULTS.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("wipe_vs_dd: needs root (loop devices)", file=sys.stderr)
        return 2
    size = args.size_mib * 1024 * 1024
    disk_wipe = load_disk_wipe()
    with tempfile.TemporaryDirectory(prefix="sop-wipe-bench-", dir="/var/tmp") as tmp:
        image = Path(tmp) / "disk.img"
        with open(image, "wb") as handle:
            handle.truncate(size)
        device = subprocess.run(
            ["losetup", "-f", "--show", str(image)], check=True, capture_output=True, text=True
        ).stdout.strip()
        module_times: list[float] = []
        dd_times: list[float] = []
        try:
            time_dd(device, size)  # warm-up, not timed: the sparse file gets its blocks
            for round_number in range(args.rounds):
                order = ("module", "dd") if round_number % 2 == 0 else ("dd", "module")
                for which in order:
                    if which == "module":
                        module_times.append(time_module(disk_wipe, device, size))
                    else:
                        dd_times.append(time_dd(device, size))
        finally:
            subprocess.run(["losetup", "-d", device], check=False)
    mib = size / 1048576
    module_rate = mib / statistics.median(module_times)
    dd_rate = mib / statistics.median(dd_times)
    ratio = module_rate / dd_rate
    date = subprocess.run(["date", "-u"], capture_output=True, text=True).stdout.strip()
    rows = "".join(
        f"| {i + 1} | {mib / m:.0f} | {mib / d:.0f} |\n"
        for i, (m, d) in enumerate(zip(module_times, dd_times, strict=True))
    )
    section = (
        "## Wipe (SOP 5.1) (`bench/wipe_vs_dd.py`)\n\n"
        f"- Date: {date}\n- Machine: {machine()}\n"
        f"- What: one loop device of {args.size_mib} MiB over a sparse file in /var/tmp; "
        "disk_wipe's writer (O_EXCL|O_DIRECT, 4 MiB chunks, fsync) vs "
        "`dd if=/dev/zero bs=4M oflag=direct conv=fsync`, same device, same process, "
        "alternating order; medians compared.\n"
        f"- Goal: ratio >= {GOAL}\n\n"
        "| round | disk_wipe (MiB/s) | dd (MiB/s) |\n|---|---|---|\n"
        f"{rows}| median | {module_rate:.0f} | {dd_rate:.0f} |\n\n"
        f"Ratio disk_wipe / dd: **{ratio:.2f}** — "
        + ("goal met.\n" if ratio >= GOAL else "goal NOT met.\n")
    )
    write_results(section)
    print(section)
    return 0 if ratio >= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
