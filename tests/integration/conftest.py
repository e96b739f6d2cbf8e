"""The lab fixtures: `lab`, the test lab up once per run and down at the end, and
`lab_env`, an isolated sop installation that drives it (tests/support/lab.py)."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator

import pytest

from tests.support.issuer import RunningIssuer
from tests.support.lab import Lab, LabEnv, lab_environment, lab_serving
from tests.support.sop import SopEnv


@pytest.fixture(scope="session")
def lab() -> Iterator[Lab]:
    """Given root on this machine, yield the running lab; take it down even after failures."""
    if os.geteuid() != 0:
        pytest.skip("the lab needs root (network namespaces, mounts, loop devices)")
    from sop_runner.lab import down, up

    # One lab per machine: test sessions running side by side (developers, CI)
    # would tear each other's lab down, so they take turns on this lock.
    with open("/run/sop-lab-session.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            state = up()
            yield Lab(state=state)
        finally:
            down()


@pytest.fixture(autouse=True)
def lab_issuer(request: pytest.FixtureRequest) -> Iterator[RunningIssuer | None]:
    """Given a test that drives the lab through its own sop installation (sop_env, lab_env),
    yield the SSH certificate issuer serving that installation's trust root.

    The lab's hosts trust the lab's CA and nothing else for their automation account:
    without the issuer no play reaches them.
    """
    if "lab" not in request.fixturenames or "sop_env" not in request.fixturenames:
        yield None
        return
    lab: Lab = request.getfixturevalue("lab")
    env: SopEnv = request.getfixturevalue("sop_env")
    with lab_serving(env.trust, lab) as running:
        yield running


@pytest.fixture
def lab_env(sop_env: SopEnv, lab: Lab, monkeypatch: pytest.MonkeyPatch) -> LabEnv:
    """Given the lab, return a sop installation of this test's own driving it.

    Like sop_env (its own store on SQLite and on PostgreSQL, keys, operators), but
    SOP_INVENTORY is inventory/lab, restic's password is in a private file
    (`.restic_password`), and `.repo` is a fresh restic repository on the backup host.
    """
    return lab_environment(sop_env, lab, monkeypatch)
