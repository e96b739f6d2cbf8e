"""The one adapter to ansible-runner: run a playbook, stream its events.

The run's ident is ours (``r<run>-s<step>``), so ``<data>/runner/artifacts/
<ident>/`` lines up with the step record.  Results come from the Runner's
own ``rc``, ``status`` and ``stats``, never from parsing stdout.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ansible_runner.interface

from sop_runner.artifacts import sealed
from sop_runner.config import Settings
from sop_runner.extravars import private_file
from sop_runner.i18n import language

EventHandler = Callable[[dict[str, Any]], None]


@dataclass
class PlaybookResult:
    rc: int
    status: str
    stats: dict[str, Any]
    artifact_data: dict[str, Any] = field(default_factory=dict)
    failed_hosts: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.rc == 0 and self.status == "successful"


def sop_environment(settings: Settings) -> dict[str, str]:
    """Given the settings, return the environment a playbook run needs.

    The gate task inside the playbook reads the same trust root (store,
    registry, inventory) as this process, named only by the trust file's path;
    no store URL (which may hold a password) goes into the environment.
    ansible-playbook is the one next to our Python.
    """
    bin_dir = str(Path(sys.executable).parent)
    env = {
        "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"),
        "ANSIBLE_CONFIG": str(settings.repo_root / "ansible.cfg"),
        "SOP_DATA_DIR": str(settings.data_dir),
        "SOP_TRUST_FILE": str(settings.trust.path),
        # The gate inside the play speaks this process's language (`sop run ID --lang en`
        # too, which sets no SOP_LANG of its own; docs/i18n.md).
        "SOP_LANG": language(),
    }
    return env


@contextmanager
def play_credentials(operator: str | None, run_id: int | None) -> Iterator[dict[str, str]]:
    """Given who runs the play and in which run, yield the environment of its credentials.

    A fresh ssh-agent (and SSH control folder) for this play alone; the gate task
    loads the step's certificate into it (sop_runner/issuer/gatekeys.py) as this
    operator, and it is gone when the play ends.
    """
    from sop_runner.issuer.agent import run_agent

    with run_agent() as env:
        if operator:
            env["SOP_OPERATOR"] = operator
        if run_id is not None:
            env["SOP_RUN_ID"] = str(run_id)
        yield env


def inventory_file(path: Path) -> Path:
    """Given an inventory directory or file, return the hosts file Ansible reads."""
    return path / "hosts.yml" if path.is_dir() else path


STAT_KEYS = ("skipped", "ok", "dark", "failures", "ignored", "rescued", "processed", "changed")


@dataclass
class _PlayOutcome:
    """What run_playbook needs of a play's events, kept as they arrive (ansible-runner's
    ``stats`` and ``events`` read every event's file back from disk, twice)."""

    stats: dict[str, Any] = field(default_factory=dict)
    artifact_data: dict[str, Any] = field(default_factory=dict)
    error: str = ""

    def see(self, event: dict[str, Any]) -> None:
        """Given an event of the play, keep its stats, its set_stats data, and the last
        unignored failure, not the first: a failure rescued by a block (e.g. a failed
        test followed by its rollback) is not why the play stopped."""
        name, data = event.get("event"), event.get("event_data") or {}
        if name == "playbook_on_stats":
            self.stats = {key: data.get(key, {}) for key in STAT_KEYS}
            self.artifact_data = data.get("artifact_data") or {}
        elif name in ("runner_on_failed", "runner_on_unreachable") and not data.get(
            "ignore_errors"
        ):
            res = data.get("res") or {}
            message = res.get("msg") or res.get("stderr") or res.get("reason") or "failed"
            self.error = f"{data.get('host')}: {data.get('task')}: {str(message).strip()[:500]}"


def watched() -> bool:
    """Return whether a person watches this run at a terminal (stdout or stderr is one)."""
    return sys.stdout.isatty() or sys.stderr.isatty()


def run_playbook(
    settings: Settings,
    playbook: str,
    targets: list[str],
    extravars: dict[str, Any],
    ident: str,
    on_event: EventHandler | None = None,
    check: bool = False,
    operator: str | None = None,
    run_id: int | None = None,
) -> PlaybookResult:
    """Given a playbook under playbooks/ and its targets, run it and return the result.

    The play gets an ssh-agent of its own (play_credentials): the gate loads the
    step's certificate into it, as ``operator`` in run ``run_id``.
    """
    private_dir = settings.runner_dir  # in the data dir, made 0700
    private_dir.mkdir(parents=True, exist_ok=True)
    # ansible-runner reads back what it once wrote to private_dir/env (cmdline,
    # extravars, envvars) in every later run: a `sop plan`'s "--check --diff" made the
    # next `sop run` a check run that changed nothing and passed.  Nothing is written
    # there any more (suppress_env_files); what an earlier run left is removed.
    for stale in ("cmdline", "extravars", "envvars"):
        (private_dir / "env" / stale).unlink(missing_ok=True)

    outcome = _PlayOutcome()

    def handler(event: dict[str, Any]) -> bool:
        outcome.see(event)
        if on_event is not None:
            on_event(event)
        return True

    cmdline = "--check --diff" if check else None
    # Without a person watching (cron, AWX, a script: no terminal), no pty (runner_mode
    # "subprocess", stdin /dev/null): nothing of a play prompts (no become or vault
    # password, no vars_prompt), and pexpect read the pty 2000 bytes at a time with a
    # sleep after each read, and slept 0.1 s at its close (bench/RESULTS.md, core); the
    # events then reach on_event when the play has ended.  A person at a terminal keeps
    # ansible-runner's pty, so the progress line names each task as it runs (a backup or
    # an upgrade runs for minutes).
    # The extra vars (sop_request, sop_params tagged unsafe, sop_run) go in a 0600 file
    # named by its path: nothing of a request's parameters is on the command line.
    with (
        play_credentials(operator, run_id) as credentials,
        private_file(private_dir / "extravars", ident, extravars) as extravars_file,
    ):
        runner = ansible_runner.interface.init_runner(
            private_data_dir=str(private_dir),
            project_dir=str(settings.repo_root),
            playbook=str(settings.repo_root / "playbooks" / playbook),
            inventory=str(inventory_file(settings.inventory)),
            limit=",".join(targets),
            extravars=extravars_file,
            envvars={**sop_environment(settings), **credentials},
            ident=ident,
            cmdline=cmdline,
            suppress_env_files=True,
            quiet=True,
            event_handler=handler,
            json_mode=False,
        )
        if not watched():
            # ansible_runner.run() has no runner_mode for a playbook: the Runner's own switch.
            runner.runner_mode = "subprocess"
            runner.config.input_fd = subprocess.DEVNULL
        runner.run()
    stats = outcome.stats
    failed = sorted(set(stats.get("failures", {})) | set(stats.get("dark", {})))
    result = PlaybookResult(
        rc=runner.rc,
        status=runner.status,
        stats=stats,
        artifact_data=outcome.artifact_data,
        failed_hosts=failed,
        error=outcome.error if runner.rc else "",
    )
    # No environment dump and no secret stays in the artifacts or goes on to the store.
    return sealed(settings.data_dir, private_dir, ident, settings.db_url, result)
