"""A real PostgreSQL 15 server for the tests' second store backend (root needed)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")
# Not under /tmp/pytest-of-root: postgres must be able to traverse to it.
BASE_DIR = Path("/var/tmp")
AS_POSTGRES = ["runuser", "-u", "postgres", "--"]


def available() -> bool:
    """Return whether this process may start a PostgreSQL server (root, Debian's 15)."""
    return os.geteuid() == 0 and (PG_BIN / "initdb").exists()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    port: int
    socket_dir: Path
    counter: int = 0

    def new_database(self) -> str:
        """Create an empty database for one test and return its URL."""
        self.counter += 1
        name = f"sop_test_{os.getpid()}_{self.counter}"
        subprocess.run(
            [
                *AS_POSTGRES,
                str(PG_BIN / "psql"),
                "-h",
                str(self.socket_dir),
                "-p",
                str(self.port),
                "-d",
                "postgres",
                "-qc",
                f"CREATE DATABASE {name}",
            ],
            check=True,
            capture_output=True,
        )
        return f"postgresql://postgres@/{name}?host={self.socket_dir}&port={self.port}"


@contextmanager
def running_server() -> Iterator[PostgresServer]:
    """Given root, yield a fresh server on a Unix socket; stop and delete it after."""
    base = BASE_DIR / f"sop-pg-{os.getpid()}"
    shutil.rmtree(base, ignore_errors=True)
    data, sockets = base / "data", base / "run"
    sockets.mkdir(parents=True)
    shutil.chown(base, "postgres")
    shutil.chown(sockets, "postgres")
    port = _free_port()
    subprocess.run(
        [*AS_POSTGRES, str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *AS_POSTGRES,
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(data),
            "-w",
            "-l",
            str(base / "log"),
            "-o",
            f"-k {sockets} -p {port} -c listen_addresses='' -c fsync=off",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield PostgresServer(port, sockets)
    finally:
        subprocess.run(
            [*AS_POSTGRES, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(base, ignore_errors=True)
