"""Fixtures shared by the three test layers: an isolated store, operators with real
ed25519 keys, and a real PostgreSQL server for the second backend.  The helpers
behind them live in tests/support/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import ansible.module_utils
import ansible.modules
import pytest

from sop_runner.config import REPO_ROOT
from tests.support import postgres
from tests.support.sop import SopEnv, isolated_sop

# The repository's modules and module_utils under the names Ansible gives them when
# it runs them (ansible.modules.disk_wipe, ansible.module_utils.sop_restic), so tests
# import them the same way the modules import each other, without sys.path tricks.
for _package, _folder in (
    (ansible.module_utils, REPO_ROOT / "plugins" / "module_utils"),
    (ansible.modules, REPO_ROOT / "library"),
):
    if str(_folder) not in _package.__path__:
        _package.__path__.append(str(_folder))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[postgres.PostgresServer]:
    """A real PostgreSQL 15 server started for this test session (root needed)."""
    if not postgres.available():
        pytest.skip("PostgreSQL tests need root and Debian's postgresql 15 (make test installs it)")
    with postgres.running_server() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each store test runs twice: on SQLite and on a real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sop.db'}"
    server: postgres.PostgresServer = request.getfixturevalue("postgres_server")
    return server.new_database()


@pytest.fixture
def sop_env(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> SopEnv:
    """Given a store URL, set up an isolated sop environment (and its trust root)."""
    return isolated_sop(tmp_path, db_url, monkeypatch)


@pytest.fixture
def sqlite_sop_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SopEnv:
    """An isolated sop environment on SQLite alone, for unit tests: no server, no root."""
    return isolated_sop(tmp_path, f"sqlite:///{tmp_path / 'sop.db'}", monkeypatch)
