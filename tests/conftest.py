"""Fixtures shared by unit and integration tests: an isolated store, operators
with real ed25519 keys, and a real PostgreSQL server for the second backend."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import ansible.module_utils
import ansible.modules
import pytest

from sop_runner import keys
from sop_runner.config import REPO_ROOT
from sop_runner.context import Context

# The repository's modules and module_utils under the names Ansible gives them when
# it runs them (ansible.modules.disk_wipe, ansible.module_utils.sop_restic), so tests
# import them the same way the modules import each other, without sys.path tricks.
for _package, _folder in (
    (ansible.module_utils, REPO_ROOT / "plugins" / "module_utils"),
    (ansible.modules, REPO_ROOT / "library"),
):
    if str(_folder) not in _package.__path__:
        _package.__path__.append(str(_folder))

PG_BIN = Path("/usr/lib/postgresql/15/bin")
OPERATORS = {
    "budi": ["petugas"],
    "dewi": ["petugas"],
    "sari": ["penanggung_jawab"],
    "rudi": ["penanggung_jawab", "petugas"],
    "ahmad": ["pimpinan"],
}


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
                "runuser",
                "-u",
                "postgres",
                "--",
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


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """A real PostgreSQL 15 server started for this test session (root needed)."""
    if os.geteuid() != 0 or not (PG_BIN / "initdb").exists():
        pytest.skip("PostgreSQL tests need root and Debian's postgresql 15 (make test installs it)")
    base = Path(tempfile_dir()) / f"sop-pg-{os.getpid()}"
    shutil.rmtree(base, ignore_errors=True)
    data, sockets = base / "data", base / "run"
    sockets.mkdir(parents=True)
    shutil.chown(base, "postgres")
    shutil.chown(sockets, "postgres")
    port = _free_port()
    as_pg = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [*as_pg, str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *as_pg,
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
            [*as_pg, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(base, ignore_errors=True)


def tempfile_dir() -> str:
    # Not under /tmp/pytest-of-root: postgres must be able to traverse to it.
    return "/var/tmp"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each store test runs twice: on SQLite and on a real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sop.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.new_database()


@dataclass
class SopEnv:
    """An isolated sop installation: its own store, keys, operators and inventory."""

    root: Path
    db_url: str

    def ctx(self) -> Context:
        return Context()

    def sop(self, *args: str, operator: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run the real `sop` command in a subprocess; return its result."""
        env = dict(os.environ)
        if operator:
            env["SOP_OPERATOR"] = operator
        return subprocess.run(
            [sys.executable, "-m", "sop_runner.cli", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO_ROOT,
            timeout=300,
        )


def write_operators(path: Path, key_dir: Path) -> None:
    lines = ["operators:"]
    for name, roles in OPERATORS.items():
        public = keys.init_key(key_dir, name, force=True)
        lines += [
            f"  - name: {name}",
            f"    roles: [{', '.join(roles)}]",
            f"    public_key: {public}",
        ]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def sop_env(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> SopEnv:
    """Given a store URL, set up an isolated sop environment in tmp_path."""
    inventory = tmp_path / "inventory"
    inventory.mkdir()
    # Two names for the controller, so "other targets" can be tested without a lab.
    (inventory / "hosts.yml").write_text(
        "all:\n  children:\n    servers:\n      hosts:\n"
        "        ctl1: {ansible_connection: local, ansible_python_interpreter: "
        + sys.executable
        + "}\n"
        "        ctl2: {ansible_connection: local, ansible_python_interpreter: "
        + sys.executable
        + "}\n"
    )
    (inventory / "services.yml").write_text(
        "services:\n"
        "  - {name: portal, title: Portal, opd: Diskominfo, criticality: normal, hosts: [ctl1]}\n"
        "  - {name: simpeg, title: SIMPEG, opd: BKPSDM, criticality: critical, hosts: [ctl2]}\n"
    )
    monkeypatch.setenv("SOP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SOP_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("SOP_OPERATORS_FILE", str(tmp_path / "operators.yml"))
    monkeypatch.setenv("SOP_INVENTORY", str(inventory))
    monkeypatch.setenv("SOP_DB_URL", db_url)
    monkeypatch.delenv("SOP_OPERATOR", raising=False)
    monkeypatch.delenv("SOP_CONFIG", raising=False)
    write_operators(tmp_path / "operators.yml", tmp_path / "keys")
    return SopEnv(tmp_path, db_url)
