"""Running commands for the lab: list arguments, clear errors."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence


class LabError(RuntimeError):
    """The lab could not be brought up or down."""


def run(
    args: Sequence[str],
    *,
    input: str | None = None,
    check: bool = True,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Given a command as a list, return its completed process (LabError if it failed)."""
    try:
        cp = subprocess.run(
            list(args),
            input=input,
            capture_output=True,
            text=True,
            env=dict(env) if env is not None else None,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LabError(f"{args[0]}: {exc}") from None
    if check and cp.returncode != 0:
        raise LabError(
            f"command failed ({cp.returncode}): {' '.join(args)}\n{cp.stderr.strip()[-2000:]}"
        )
    return cp


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Given `ip` arguments, return the completed `ip` run."""
    return run(["ip", *args], check=check)


def in_netns(netns: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Given a namespace and a command, return the command's run inside that namespace."""
    return run(["ip", "netns", "exec", netns, *args], check=check)
