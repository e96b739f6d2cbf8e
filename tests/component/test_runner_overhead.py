"""What `sop run` no longer pays for (issue 21, bench/RESULTS.md core section).

- The play runs without a pty: ansible-runner's pexpect mode read it 2000 bytes at a time
  with a sleep after each read, and slept 0.1 s when closing it.
- A step's events go to the store in one transaction, not one commit per 50 events.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sop_runner.config import Settings
from sop_runner.run_events import EventSink
from sop_runner.runner import run_playbook
from sop_runner.trust.trustfile import TrustRoot

PLAYBOOK = """\
- hosts: all
  gather_facts: false
  tasks:
    # A lookup runs in a worker (its own session): ask of the worker's parent, the
    # ansible-playbook process ansible-runner started.
    - name: Say which terminal ansible-playbook has
      ansible.builtin.set_stats:
        data:
          tty: "{{ lookup('ansible.builtin.pipe', probe) | trim }}"
      vars:
        probe: ps -o tty= -p $(ps -o ppid= -p $PPID)
    - name: A few more events
      ansible.builtin.debug:
        msg: "{{ item }}"
      loop: [1, 2, 3]
"""


FAILING = """\
- hosts: all
  gather_facts: false
  tasks:
    - name: A failure its block rescues
      block:
        - name: First failure
          ansible.builtin.fail:
            msg: rescued one
      rescue:
        - name: Roll back
          ansible.builtin.set_stats:
            data: {rolled_back: true}
    - name: An ignored failure
      ansible.builtin.fail:
        msg: ignored one
      ignore_errors: true
    - name: The failure that stops the play
      ansible.builtin.fail:
        msg: the real one
"""


def _settings(tmp_path: Path) -> Settings:
    repo = tmp_path / "repo"
    (repo / "playbooks").mkdir(parents=True)
    (repo / "ansible.cfg").write_text("[defaults]\ngathering = explicit\n")
    (repo / "playbooks" / "tty.yml").write_text(PLAYBOOK)
    (repo / "playbooks" / "failing.yml").write_text(FAILING)
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        "all:\n  hosts:\n    localhost: {ansible_connection: local,"
        f" ansible_python_interpreter: {sys.executable}}}\n"
    )
    trust = TrustRoot(
        path=tmp_path / "trust.yml",
        threshold=1,
        root_keys=(),
        store="sqlite://",
        inventory=inventory,
        registry=tmp_path / "registry",
    )
    return Settings(
        repo_root=repo,
        data_dir=tmp_path / "data",
        key_dir=tmp_path / "keys",
        lang="en",
        preset_trust=trust,
    )


def test_the_play_runs_without_a_terminal_and_its_events_still_arrive(tmp_path) -> None:
    events: list[dict[str, Any]] = []
    result = run_playbook(
        _settings(tmp_path), "tty.yml", ["localhost"], {}, "r1-s1-a1", on_event=events.append
    )
    assert result.ok, result.error
    # The caller's own terminal (none here), not a pty of ansible-runner's (pts/N).
    ours = subprocess.run(["ps", "-o", "tty=", "-p", str(os.getpid())], capture_output=True,
                          text=True, check=True).stdout.strip()  # fmt: skip
    assert result.artifact_data == {"tty": ours}
    names = [e.get("event") for e in events]
    assert names[0] == "playbook_on_start" and names[-1] == "playbook_on_stats"
    assert names.count("runner_item_on_ok") == 3
    assert [e["counter"] for e in events] == sorted(e["counter"] for e in events)


def test_a_person_at_a_terminal_keeps_the_live_pty(tmp_path, monkeypatch) -> None:
    """Someone watching `sop run` at a terminal sees each task as it runs: ansible-runner's
    pty (pexpect) streams the events during the play; only unwatched runs drop it."""
    monkeypatch.setattr("sop_runner.runner.watched", lambda: True)
    events: list[dict[str, Any]] = []
    result = run_playbook(
        _settings(tmp_path), "tty.yml", ["localhost"], {}, "r1-s3-a1", on_event=events.append
    )
    assert result.ok, result.error
    assert str(result.artifact_data["tty"]).startswith("pts/"), result.artifact_data
    names = [e.get("event") for e in events]
    assert names.count("runner_item_on_ok") == 3 and names[-1] == "playbook_on_stats"


def test_the_result_is_read_from_the_events_as_they_arrive(tmp_path) -> None:
    """Stats, set_stats data and the failure that stopped the play come from the events
    the handler saw (not read back from the artifacts): the last unignored failure."""
    result = run_playbook(_settings(tmp_path), "failing.yml", ["localhost"], {}, "r1-s2-a1")
    assert not result.ok and result.status == "failed"
    assert result.error == "localhost: The failure that stops the play: the real one"
    assert result.artifact_data == {"rolled_back": True}
    assert result.failed_hosts == ["localhost"]
    assert result.stats["failures"] == {"localhost": 1}
    assert result.stats["rescued"] == {"localhost": 1}
    assert result.stats["ignored"] == {"localhost": 1}


class _CountingStore:
    """A stand-in for the store's sessions (named so): counts the transactions opened
    and what was added in them; the rows themselves are the store's business."""

    def __init__(self) -> None:
        self.transactions = 0
        self.added: list[Any] = []

    @contextlib.contextmanager
    def session(self) -> Iterator[Any]:
        self.transactions += 1
        store = self

        class _Session:
            def add_all(self, rows: list[Any]) -> None:
                store.added.extend(rows)

        yield _Session()


class _QuietUI:
    def event(self, event: dict[str, Any]) -> None:
        pass


def test_a_steps_events_are_written_in_one_transaction() -> None:
    store = _CountingStore()
    sink = EventSink(store, 1, 6, _QuietUI())  # type: ignore[arg-type]
    for counter in range(1, 1301):  # a 50-host 6.1 run hands over about 1,300
        sink({"counter": counter, "event": "runner_on_ok", "event_data": {"host": "h"}})
    assert store.transactions == 0
    sink.flush()
    assert store.transactions == 1 and len(store.added) == 1300
    assert [e.counter for e in store.added[:2]] == [1, 2]
