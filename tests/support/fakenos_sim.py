"""Run a FakeNOS *simulator* of a network device as a subprocess, for component tests.

FakeNOS is a simulator with CANNED outputs: it answers each command with a
fixed text from its inventory and keeps no state (a ``configure terminal`` or
a config push changes nothing it reports afterwards).  It is used here only
because no Cisco IOS (or other vendor) device or image can run on this
machine.  A test against it proves that a client logs in over SSH, walks the
prompts (user, enable) and parses the texts we give it -- not that a real
device accepts any command or behaves like this.

FakeNOS needs paramiko 4 while the project's venv has paramiko 5 (napalm,
netmiko), so it lives in the separate venv ``.venv-sim`` and is started with
that venv's Python; nothing here imports fakenos.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sop_runner.config import REPO_ROOT

SIM_PYTHON = REPO_ROOT / ".venv-sim" / "bin" / "python"

# Runs inside .venv-sim.  It stops the servers on SIGTERM and also when its
# parent (pytest) is gone, so a killed test run leaves no simulator behind.
_RUNNER = r"""
import json, os, signal, sys, threading
from fakenos import FakeNOS

with open(sys.argv[1], encoding="utf-8") as handle:
    inventory = json.load(handle)
parent = os.getppid()
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
net = FakeNOS(inventory=inventory)
net.start()
print("started", flush=True)
while not stop.wait(0.5):
    if os.getppid() != parent:
        break
net.stop()
"""


class FakeNosError(RuntimeError):
    """The simulator could not be started (message carries its stderr)."""


@dataclass(frozen=True)
class FakeNosDevice:
    """Where a running simulated device listens and how to log in to it."""

    host: str
    port: int
    username: str
    password: str
    hostname: str  # the device's prompt without '>' or '#'
    platform: str


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def canned(output: str, prompt: str | list[str] | None = None) -> dict[str, Any]:
    """Given an output text (and the prompts it answers at), return a FakeNOS command entry.

    ``{base_prompt}`` in a prompt is the device's hostname; a command whose
    prompt does not match the current one gets the platform's error text, so
    ``"{base_prompt}#"`` makes the command answer only in enable mode.
    """
    entry: dict[str, Any] = {"output": output, "help": "canned by the test"}
    if prompt is not None:
        entry["prompt"] = prompt
    return entry


def inventory(
    platform: str,
    port: int,
    username: str,
    password: str,
    hostname: str,
    commands: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Return a FakeNOS inventory with one host; ``commands`` add to or replace canned ones.

    Per-host ``nos.configuration.commands`` are merged last by FakeNOS's shell,
    so they win over the platform's own canned outputs.
    """
    return {
        "hosts": {
            hostname: {
                "username": username,
                "password": password,
                "port": port,
                "platform": platform,
                "server": {
                    "plugin": "ParamikoSshServer",
                    "configuration": {"address": "127.0.0.1", "timeout": 1},
                },
                "nos": {"plugin": platform, "configuration": {"commands": commands or {}}},
            }
        }
    }


def _speaks_ssh(host: str, port: int) -> bool:
    """Return whether host:port accepts a connection and greets with an SSH banner."""
    try:
        with socket.create_connection((host, port), timeout=1.0) as sock:
            sock.settimeout(2.0)
            return sock.recv(64).startswith(b"SSH-")
    except OSError:
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the simulator's whole process group: SIGTERM, then SIGKILL after 5 s."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
    except ProcessLookupError:
        pass


@contextmanager
def fakenos_device(
    platform: str,
    username: str,
    password: str,
    commands: dict[str, dict[str, Any]] | None = None,
    hostname: str = "sim-router",
    start_timeout: float = 20.0,
) -> Iterator[FakeNosDevice]:
    """Run a simulated ``platform`` device on 127.0.0.1 and a free port; yield where it is.

    The server runs in ``.venv-sim``'s Python in its own process group, which
    is always stopped on exit.  Raise FakeNosError (with the server's stderr)
    when it does not speak SSH within ``start_timeout`` seconds.
    """
    if not SIM_PYTHON.exists():
        raise FakeNosError(f"{SIM_PYTHON} is missing: the FakeNOS venv (.venv-sim) is not set up")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="fakenos-") as tmp:
        inventory_file = Path(tmp) / "inventory.json"
        inventory_file.write_text(
            json.dumps(inventory(platform, port, username, password, hostname, commands)),
            encoding="utf-8",
        )
        stderr_file = Path(tmp) / "stderr.txt"
        with stderr_file.open("wb") as stderr:
            process = subprocess.Popen(
                [str(SIM_PYTHON), "-c", _RUNNER, str(inventory_file)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,  # own process group: killpg reaches all of it
            )
        try:
            deadline = time.monotonic() + start_timeout
            while not _speaks_ssh("127.0.0.1", port):
                if process.poll() is not None or time.monotonic() > deadline:
                    state = (
                        f"exited with {process.returncode}"
                        if process.poll() is not None
                        else f"not listening after {start_timeout:.0f} s"
                    )
                    tail = stderr_file.read_text(encoding="utf-8", errors="replace")[-3000:]
                    raise FakeNosError(
                        f"FakeNOS {platform} on 127.0.0.1:{port} {state}; stderr:\n{tail}"
                    )
                time.sleep(0.1)
            yield FakeNosDevice("127.0.0.1", port, username, password, hostname, platform)
        finally:
            _stop(process)
