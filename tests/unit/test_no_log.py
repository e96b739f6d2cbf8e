"""Passwords are never logged or put on a command line by the automation itself.

- Every module option named like a secret declares no_log (ansible-test's
  validate-modules rule `no-log-needed`); a password, secret or token that is not a
  file's path has no_log=True.
- Every playbook task that templates a secret variable is no_log, unless it hands
  the secret only to module options that are no_log themselves.
- No task gives a secret through `environment:`: Ansible writes a task's environment
  into the remote shell's command line (/bin/sh -c 'RESTIC_PASSWORD=… python3 …').
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from sop_runner.config import REPO_ROOT
from tests.unit.test_module_docs import MODULES, _argument_spec

# ansible-test validate-modules (`no-log-needed`, is_potential_secret_option): an option
# matching this needs an explicit no_log, unless its name, type or choices say otherwise.
NO_LOG_NEEDED = re.compile(r"(?:pass(?!ive)|secret|token|key)", re.I)
NOT_SECRET_ENDINGS = (
    "_count", "_type", "_alg", "_algorithm", "_timeout", "_name", "_comment",
    "_bits", "_id", "_identifier", "_period", "_file", "_filename",
)  # fmt: skip
NOT_SECRET_PARTS = (
    "publickey", "public_key", "keyusage", "key_usage", "keyserver", "key_server",
    "keysize", "key_size", "keyservice", "key_service", "pub_key", "pubkey",
    "keyboard", "secretary",
)  # fmt: skip
SECRET_OPTION = re.compile(r"(?:password|passwd|passphrase|secret|token)", re.I)
# A variable that holds a secret: named so at its end (restic_password_value, ros_api_password).
SECRET_VARIABLE = re.compile(r"\b\w*(?:password|passwd|secret|token)(?:_value)?\b", re.I)
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
TASK_KEYWORDS = {"name", "no_log", "register", "tags", "loop_control", "delegate_to"}


def potential_secret(name: str, definition: dict[str, Any]) -> bool:
    """Given an option, return whether ansible-test would ask it to declare no_log."""
    return (
        bool(NO_LOG_NEEDED.search(name))
        and not name.endswith(NOT_SECRET_ENDINGS)
        and not any(part in name for part in NOT_SECRET_PARTS)
        and definition.get("type") not in ("path", "bool")
        and definition.get("choices") is None
    )


def _options(spec: dict[str, Any], where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    for name, option in spec.items():
        yield f"{where}{name}", option
        yield from _options(option.get("options") or {}, f"{where}{name}.")


@pytest.mark.parametrize("name", MODULES)
def test_secret_options_of_every_module_are_no_log(name, monkeypatch):
    module = importlib.import_module(f"ansible.modules.{name}")
    spec = _argument_spec(module, monkeypatch)
    for option, definition in _options(spec):
        last = option.rsplit(".", 1)[-1]
        if potential_secret(last, definition):
            assert "no_log" in definition, f"{name}: option {option} must say no_log"
        is_path = definition.get("type") == "path" or last.endswith(("_file", "_path"))
        if SECRET_OPTION.search(last) and not is_path:
            assert definition.get("no_log") is True, f"{name}: option {option} is a secret"


def no_log_options() -> dict[str, set[str]]:
    """Return, per module of library/, the options its argument spec marks no_log."""
    found: dict[str, set[str]] = {}
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name in MODULES:
            module = importlib.import_module(f"ansible.modules.{name}")
            spec = _argument_spec(module, monkeypatch)
            found[name] = {o for o, d in _options(spec) if d.get("no_log") is True}
    return found


def _tasks(items: Any) -> Iterator[dict[str, Any]]:
    for item in items or []:
        if not isinstance(item, dict):
            continue
        if "hosts" in item or "import_playbook" in item:
            for key in ("pre_tasks", "tasks", "post_tasks", "handlers"):
                yield from _tasks(item.get(key))
        elif any(key in item for key in ("block", "rescue", "always")):
            for key in ("block", "rescue", "always"):
                yield from _tasks(item.get(key))
        else:
            yield item


def task_files() -> list[Path]:
    """Return every playbook and task file of the repository."""
    found = sorted((REPO_ROOT / "playbooks").rglob("*.yml"))
    found += sorted((REPO_ROOT / "roles").rglob("*.yml"))
    return [p for p in found if isinstance(yaml.safe_load(p.read_text()), list)]


def _secret_references(value: Any) -> set[str]:
    text = json.dumps(value)
    return {ref for span in JINJA.findall(text) for ref in SECRET_VARIABLE.findall(span)}


@pytest.fixture(scope="module")
def module_no_log() -> dict[str, set[str]]:
    return no_log_options()


@pytest.mark.parametrize("path", task_files(), ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_tasks_that_template_a_secret_are_no_log(path, module_no_log):
    for task in _tasks(yaml.safe_load(path.read_text())):
        where = f"{path.name}: task {task.get('name')!r}"
        environment = task.get("environment") or {}
        secret_env = [k for k in environment if SECRET_OPTION.search(str(k))]
        secret_env += [k for k, v in environment.items() if _secret_references(v)]
        assert not secret_env, f"{where}: secret in environment: {sorted(set(secret_env))} (argv)"
        if task.get("no_log") is True:
            continue
        body = {k: v for k, v in task.items() if k not in TASK_KEYWORDS}
        for module, hidden in module_no_log.items():
            if isinstance(body.get(module), dict):
                body[module] = {k: v for k, v in body[module].items() if k not in hidden}
        refs = _secret_references(body)
        assert not refs, f"{where}: templates {sorted(refs)} without no_log: true"


def test_the_scan_sees_what_it_looks_for(module_no_log):
    """The rule finds a secret templated into a task, and forgives a no_log option."""
    leaky = {"ansible.builtin.command": {"cmd": "restic -p {{ restic_password_value }}"}}
    assert _secret_references(leaky) == {"restic_password_value"}
    assert "ros_password" in module_no_log["firewall_grant"]
    assert "password" in module_no_log["restic_backup"]
