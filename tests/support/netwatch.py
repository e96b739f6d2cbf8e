"""The netmiko revert watchdog's directory, moved into a test's own folder."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from ansible.module_utils import sop_netmiko, sop_netwatch

from sop_runner.procedures.config import recover


@contextmanager
def watchdogs_in(path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Given a folder, point the driver, the watchdog and `sop config recover` at it.

    Yield the folder; afterwards kill any watchdog started there and left running.
    """
    for module in (sop_netmiko, sop_netwatch, recover):
        monkeypatch.setattr(module, "WATCH_DIR", path)
    yield path
    for ready in path.glob("*.ready"):
        pid = sop_netwatch.watchdog_pid(path, ready.name.split(".")[0])
        if pid:
            os.kill(pid, signal.SIGKILL)


def pending_change(watch_dir: Path, token: str, deadline: float, port: int = 22) -> Path:
    """Given a token and a deadline, write a cisco_ios change on 127.0.0.1:port; return it."""
    watch_dir.mkdir(mode=0o700, exist_ok=True)
    state = {
        "token": token,
        "platform": "cisco_ios",
        "params": {"host": "127.0.0.1", "port": port, "username": "u", "password": "p"},
        "before": "hostname before\n",
        "deadline": deadline,
    }
    path = watch_dir / f"127.0.0.1_{port}.pending.json"
    path.write_text(json.dumps(state))
    return path
