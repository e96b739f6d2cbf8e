"""The playbooks' side of "parameters are data": every playbook starts with its gate,
reads a request's parameters only as ``sop_params.<name>``, and the steps before a
procedure's first approval read and change nothing."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sop_runner import yamlio
from sop_runner.catalog import load_catalog
from sop_runner.config import REPO_ROOT
from sop_runner.playbooks import GATE_ACTIONS

CATALOG = load_catalog()
PLAYBOOKS = REPO_ROOT / "playbooks"
# Playbooks no catalog step names, run for a procedure all the same.
EXTRA = {"remote_access_reconcile.yml": "2.4", "os_upgrade_recover.yml": "4.2"}
# Task files the playbooks include, and the procedures whose playbooks include them.
TASK_FILES = {
    "tasks/restic_access.yml": ("4.2", "7.1", "7.2", "7.3", "7.4", "7.5"),
    "tasks/os_upgrade_recover.yml": ("4.2",),
    "tasks/os_upgrade_restart.yml": ("4.2",),
}
# Modules that only read (or hand data back to sop): what a step before the first gate may use.
READ_ONLY = {
    "sop_gate",
    "ansible.builtin.set_stats",
    "ansible.builtin.set_fact",
    "ansible.builtin.setup",
    "ansible.builtin.assert",
    "ansible.builtin.stat",
    "ansible.builtin.slurp",
    "resource_sample_info",
}
TASK_KEYS = {
    "name", "register", "run_once", "when", "loop", "loop_control", "vars", "delegate_to",
    "no_log", "failed_when", "changed_when", "check_mode", "tags", "become", "ignore_errors",
    "until", "retries", "delay", "environment", "throttle", "any_errors_fatal", "diff", "args",
}  # fmt: skip


def _procedures_of() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for procedure in CATALOG.procedures:
        for step in procedure.steps:
            for playbook in step.all_playbooks:
                found.setdefault(playbook, set()).add(procedure.id)
    for playbook, procedure_id in EXTRA.items():
        found.setdefault(playbook, set()).add(procedure_id)
    for task_file, procedure_ids in TASK_FILES.items():
        found[task_file] = set(procedure_ids)
    return found


def _tasks(play: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for section in ("pre_tasks", "tasks", "post_tasks", "handlers"):
        for task in play.get(section) or []:
            found.append(task)
            for inner in ("block", "rescue", "always"):
                found.extend(task.get(inner) or [])
    return found


def _module(task: dict[str, Any]) -> str:
    names = set(task) - TASK_KEYS - {"block", "rescue", "always"}
    assert len(names) == 1, task
    return names.pop()


def _gate(playbook: str) -> dict[str, Any]:
    plays = yamlio.load((PLAYBOOKS / playbook).read_text())
    first = _tasks(plays[0])[0]
    assert _module(first) in GATE_ACTIONS, f"{playbook}: the first task is not the gate"
    return first[_module(first)] or {}


def test_every_playbook_starts_with_its_gate_and_lists_no_parameters():
    for playbook in sorted(p.name for p in PLAYBOOKS.glob("*.yml")):
        gate = _gate(playbook)
        assert "params" not in gate, f"{playbook}: the gate compares all of sop_params"
        assert set(gate) <= {"procedure", "step", "read_only", "derived"}, (playbook, gate)


def test_steps_before_the_first_gate_only_read():
    checked = []
    for procedure in CATALOG.procedures:
        if not procedure.gates:
            continue
        first = min(step.number for step in procedure.gates)
        for step in procedure.steps:
            if step.number >= first or not step.playbook:
                continue
            gate = _gate(step.playbook)
            assert gate.get("read_only") is True, (procedure.id, step.playbook)
            assert (gate["procedure"], gate["step"]) == (procedure.id, step.number)
            for play in yamlio.load((PLAYBOOKS / step.playbook).read_text()):
                for task in _tasks(play):
                    assert _module(task) in READ_ONLY, (step.playbook, task.get("name"))
            checked.append(step.playbook)
    assert {"resource_monitor.yml", "dismantle_feasibility.yml"} <= set(checked)
    # A gated step never claims to be read-only (the gate refuses that too).
    for playbook in ("resource_repair.yml", "dismantle_wipe.yml", "os_upgrade_apply.yml"):
        assert "read_only" not in _gate(playbook)


_CONDITION = re.compile(r"^(\s*)(?:- )?(when|that|failed_when|changed_when|until):\s*(.*)$")


def _jinja(text: str) -> list[str]:
    """Given a playbook's text, return the Jinja it holds ({{ }} spans and conditions),
    with quoted literals blanked out."""
    parts = re.findall(r"\{\{.*?\}\}", text, flags=re.S)
    in_list: int | None = None
    for line in text.splitlines():
        key = _CONDITION.match(line)
        if key:
            rest = key.group(3)
            if rest and not rest.startswith(("{{", ">", "|", "#")):
                parts.append(rest)
            in_list = len(key.group(1)) if not rest else None
            continue
        stripped = line.strip()
        if (
            in_list is not None
            and stripped.startswith("- ")
            and len(line) - len(stripped) > in_list
        ):
            parts.append(stripped[2:])
            continue
        in_list = None
    return [re.sub(r"'[^']*'|\"[^\"]*\"", "''", part) for part in parts]


def _bare_uses(text: str, name: str) -> list[str]:
    """Given a playbook's text, return the Jinja reading a parameter outside sop_params."""
    return [
        part
        for part in _jinja(text)
        if re.search(rf"(?<![\w.]){name}\b", re.sub(r"sop_params\.\w+", "", part))
    ]


def test_playbooks_read_request_parameters_only_as_sop_params():
    for playbook, procedure_ids in sorted(_procedures_of().items()):
        text = (PLAYBOOKS / playbook).read_text()
        names = {p.name for pid in procedure_ids for p in CATALOG.get(pid).params}
        for name in sorted(names):
            assert _bare_uses(text, name) == [], (playbook, name)
        for used in set(re.findall(r"sop_params\.(\w+)", text)):
            assert used in names, (
                f"{playbook}: sop_params.{used} is no parameter of {procedure_ids}"
            )


def test_roles_read_no_request_parameter():
    names = {p.name for procedure in CATALOG.procedures for p in procedure.params}
    for path in sorted(Path(REPO_ROOT / "roles").rglob("*.yml")):
        text = path.read_text()
        assert "sop_params" not in text, path
        for name in ("cleanup_path", "repository", "config_ref", "devices", "grants"):
            assert name in names and _bare_uses(text, name) == [], (path, name)
