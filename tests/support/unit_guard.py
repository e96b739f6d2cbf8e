"""A pytest plugin that holds the unit layer to its promise (loaded with
`-p tests.support.unit_guard` by tests/component/test_layers.py): a test that starts
`sop`, an Ansible command or a PostgreSQL tool in a subprocess fails, and so does the
session, even where the test itself swallowed the error."""

from __future__ import annotations

import itertools
import os
import shlex
import sys
from collections.abc import Sequence
from typing import Any

import pytest

# What a unit test must not start: the component layer runs these.
FORBIDDEN = frozenset(
    {
        "sop",
        "ansible",
        "ansible-doc",
        "ansible-inventory",
        "ansible-playbook",
        "ansible-runner",
        "initdb",
        "pg_ctl",
        "postgres",
        "psql",
    }
)
# `python -m sop_runner.cli` is `sop` too.
FORBIDDEN_MODULES = frozenset({"sop_runner.cli", "ansible_runner"})

found: list[str] = []


class ForbiddenProgram(PermissionError):
    """A unit test started what only a component test may start.

    An OSError, so code that forks and then execs (pexpect, ptyprocess) takes it for a
    failed exec in the child, reports it and exits, rather than running on as a copy.
    """


def forbidden(argv: Sequence[Any] | str | bytes) -> str | None:
    """Given a command line, return the forbidden program it starts, or None."""
    if isinstance(argv, str | bytes | os.PathLike):
        words = shlex.split(os.fsdecode(argv))
    else:
        words = [os.fsdecode(word) for word in argv]
    if not words:
        return None
    program = os.path.basename(words[0])
    if program in FORBIDDEN:
        return program
    modules = {b for a, b in itertools.pairwise(words) if a == "-m"}
    return next(iter(modules & FORBIDDEN_MODULES), None)


def _audit(event: str, args: tuple[Any, ...]) -> None:
    # subprocess.Popen: (executable, args, cwd, env); os.exec and os.posix_spawn:
    # (path, argv, env).  The path stands in when the arguments name no program.
    if event == "subprocess.Popen":
        command = args[1] if args[1] else args[0]
    elif event in ("os.exec", "os.posix_spawn"):
        command = args[1] if args[1] else [args[0]]
    else:
        return
    program = forbidden(command)
    if program is not None:
        found.append(program)
        raise ForbiddenProgram(f"a unit test starts `{program}`: that is a component test")


def pytest_configure(config: pytest.Config) -> None:
    sys.addaudithook(_audit)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if found:
        print(f"\nunit_guard: forbidden programs started: {', '.join(sorted(set(found)))}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
