"""The features written after issue 17's rule (register, software, labels) refuse through
gettext: every ``SopError`` they raise is built from ``_("…")`` (docs/i18n.md, "Untuk fitur
baru"), so test_i18n.py finds its message and the catalog its Indonesian."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from sop_runner.config import REPO_ROOT

FEATURES = ("register", "software", "labels")
FILES = [
    path
    for name in FEATURES
    for path in sorted((REPO_ROOT / "sop_runner" / "procedures" / name).glob("*.py"))
]


def _translated(node: ast.expr) -> bool:
    """Given a SopError's argument, return whether it is _("…") or _("…").format(…)."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
    ):
        node = node.func.value
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "_"
        and bool(node.args)
        and isinstance(node.args[0], ast.Constant)
    )


def untranslated_refusals(path: Path) -> list[int]:
    """Given a Python file, return the lines raising SopError with words not from gettext."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Raise)
        and isinstance(node.exc, ast.Call)
        and isinstance(node.exc.func, ast.Name)
        and node.exc.func.id == "SopError"
        and not (node.exc.args and _translated(node.exc.args[0]))
    ]


def test_the_checker_sees_an_english_refusal(tmp_path: Path):
    module = tmp_path / "m.py"
    module.write_text(
        'raise SopError(f"--x: {x!r} is not allowed")\n'
        'raise SopError(_("--x: {x!r} is not allowed").format(x=x))\n'
        'raise SopError(_("--y: empty"))\n'
    )
    assert untranslated_refusals(module) == [1]


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_refusal_of_the_feature_goes_through_gettext(path: Path):
    assert untranslated_refusals(path) == []
