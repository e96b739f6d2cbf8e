"""The messages of the core CLI that must be in the Indonesian catalog (issue 17).

Collected from the source, not from a list kept by hand: every ``_("literal")``
call, and the docstring of every function added with ``options.command`` or
decorated with ``options.subcommand``.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from sop_runner.config import REPO_ROOT

PROCEDURES = REPO_ROOT / "sop_runner" / "procedures"
# The modules whose words are moved to gettext (the rest: docs/i18n.md, "what is left"):
# the core CLI, and every feature's commands and the help of its groups (its manifest).
MODULES = (
    *sorted((REPO_ROOT / "sop_runner" / "cli").glob("*.py")),
    REPO_ROOT / "sop_runner" / "gates.py",
    REPO_ROOT / "sop_runner" / "execution.py",
    *(REPO_ROOT / "sop_runner" / f"{name}.py" for name in ("requests", "claims", "durations")),
    REPO_ROOT / "sop_runner" / "inventory.py",
    REPO_ROOT / "sop_runner" / "params.py",
    PROCEDURES / "grants" / "recorders.py",
    *sorted(PROCEDURES.glob("*/cli.py")),
    *sorted(PROCEDURES.glob("*/__init__.py")),
    # Features written after issue 17: every module, their refusals and output lines too.
    *(
        path
        for name in ("register", "software", "labels")
        for path in sorted((PROCEDURES / name).glob("*.py"))
    ),
    PROCEDURES / "backup" / "schedules.py",
    PROCEDURES / "grants" / "policy.py",
    # The gate inside Ansible and the last refusals of dismantle and grants (17g).
    REPO_ROOT / "sop_runner" / "gate_check.py",
    REPO_ROOT / "sop_runner" / "extravars.py",
    REPO_ROOT / "plugins" / "action" / "sop_gate.py",
    REPO_ROOT / "library" / "sop_gate.py",
    PROCEDURES / "dismantle" / "certificate.py",
    PROCEDURES / "dismantle" / "bootdisk.py",
    PROCEDURES / "dismantle" / "policy.py",
    PROCEDURES / "grants" / "service.py",
    PROCEDURES / "grants" / "accounts.py",
    # trust, operators, store, config (17r): every refusal and line a person reads.
    *sorted((REPO_ROOT / "sop_runner" / "trust").glob("*.py")),
    REPO_ROOT / "sop_runner" / "operators.py",
    *sorted((REPO_ROOT / "sop_runner" / "store").glob("*.py")),
    REPO_ROOT / "sop_runner" / "config.py",
    *(
        REPO_ROOT / "sop_runner" / f"{name}.py"
        for name in ("keys", "folders", "scheduling", "site", "answers", "notify")
    ),
    *(
        REPO_ROOT / "sop_runner" / "documents" / f"{name}.py"
        for name in ("publish", "verify", "naskah", "numbering")
    ),
    *(REPO_ROOT / "sop_runner" / "catalog" / f"{name}.py" for name in ("durations", "model")),
    REPO_ROOT / "sop_runner" / "audit.py",  # the chain's findings (lead)
    REPO_ROOT / "sop_runner" / "features.py",
    # The control cards, monitoring and grant reconcile (17z): every refusal a person reads.
    *(
        path
        for name in ("cards", "monitoring")
        for path in sorted((PROCEDURES / name).glob("*.py"))
    ),
    PROCEDURES / "grants" / "reconcile.py",
)


def msgids(path: Path) -> set[str]:
    """Given a Python file, return the English messages it hands to gettext."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {
        node.name: inspect.cleandoc(ast.get_docstring(node, clean=False) or "")
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and docs.get(node.name):
            for decorator in node.decorator_list:
                if (
                    isinstance(decorator, ast.Call)
                    and isinstance(decorator.func, ast.Name)
                    and decorator.func.id == "subcommand"
                ):
                    found.add(docs[node.name])
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            continue
        if (
            node.func.id in ("_", "tr", "N_")
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            found.add(node.args[0].value)
        if node.func.id == "command" and len(node.args) >= 2:
            function = node.args[1]
            if isinstance(function, ast.Name) and docs.get(function.id):
                found.add(docs[function.id])
    return found


def all_msgids() -> dict[str, Path]:
    """Return every message of MODULES, with the file it is in."""
    return {message: path for path in MODULES for message in msgids(path)}
