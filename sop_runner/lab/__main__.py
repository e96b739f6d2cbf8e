"""Command line: `python -m sop_runner.lab up|down|status`."""

from __future__ import annotations

import argparse
import json
import sys
import time

from sop_runner.lab import LabError, down, status, up


def main(argv: list[str] | None = None) -> int:
    """Given command-line arguments, return the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m sop_runner.lab")
    parser.add_argument("action", choices=["up", "down", "status"])
    args = parser.parse_args(argv)
    try:
        if args.action == "up":
            state = up()
            print(
                f"sop-lab: up in {state.up_seconds:.2f} s; hosts: "
                + ", ".join(f"{n}={h['address']}" for n, h in state.hosts.items())
            )
            print(
                f"sop-lab: wipe disks {', '.join(state.wipe_disks)}; ssh -F {state.ssh_config} HOST"
            )
        elif args.action == "down":
            t0 = time.monotonic()
            down()
            print(f"sop-lab: down in {time.monotonic() - t0:.2f} s")
        else:
            print(json.dumps(status(), indent=2))
    except LabError as exc:
        print(f"sop-lab: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
