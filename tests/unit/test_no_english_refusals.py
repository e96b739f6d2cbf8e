"""No English refusal reaches a person (issue 17): every message of an exception a person
sees is built from gettext (``_("…")`` or ``_("…").format(…)``), so it is Indonesian by
default and English with ``--lang en``/``SOP_LANG=en``.

The rule, as this test reads the source of ``sop_runner/`` with ``ast``:

- **Seen by a person**: ``SopError`` and every class of ``sop_runner`` derived from it
  (``GateRefused``, ``WitnessUnavailable``, ``AwaitingApproval`` …, found in the source,
  not listed by hand), and typer's/click's ``BadParameter``, ``UsageError`` and
  ``BadArgumentUsage``: `sop` prints their message as its one error line.
- **Its message** is the first argument (or ``message=``).  It is English when it holds
  words of its own: a string, an f-string, ``"…" + …``, ``"…".format(…)`` or ``"…" % …``
  whose literal text has a word of two letters or more once ``{fields}``, option names
  (``--target``) and field paths (``{field}.id``) are taken out.  ``_(f"…")`` is English
  too (gettext cannot find it).  ``f"{field}: {problem}"`` passes: it has no words of
  its own, and ``problem`` is translated where it was made.  A message held in a
  variable is judged where it was made, not here.
- **Not judged**: Python's own exceptions for programming errors and internal signals
  (``AssertionError``, ``TypeError``, ``ValueError``, ``KeyError``, ``RuntimeError``,
  ``OSError``, ``NotImplementedError``, ``SystemExit`` …).  A ``ValueError`` whose text is
  later shown inside a ``SopError`` (trust/witness.py's ``parse_line``) is translated
  all the same, by hand; this test cannot see that path.

``LEFT`` lists the files that still hold English refusals and how many, with why; a file
may not gain one (a new module has none allowed), and a file that has none left must
leave the list, so the list only shrinks.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

from sop_runner import i18n, keys
from sop_runner.config import REPO_ROOT
from sop_runner.errors import SopError

PACKAGE = REPO_ROOT / "sop_runner"
# typer's and click's exceptions whose message `sop` prints as the error line.
CLICK_ERRORS = {"BadParameter", "UsageError", "BadArgumentUsage"}
GETTEXT = {"_", "tr", "ngettext"}

# Files with English refusals still, and how many (the rule above). Only shrinks.
LEFT: dict[str, int] = {
    # Empty since issue 17: every refusal a person sees goes through gettext; a file that
    # gains an English one fails this test (a deliberate exception would be listed here
    # with its count and reason).
}


def _words(text: str) -> bool:
    """Given the literal text of a message, return whether it holds words of its own."""
    text = re.sub(r"\{[^{}]*\}", " ", text)
    text = re.sub(r"--[A-Za-z][\w-]*", " ", text)
    text = re.sub(r"\.\w+", " ", text)  # a field's path after its {name}: {field}.id
    return re.search(r"[A-Za-z]{2,}", text) is not None


def _literal(node: ast.expr) -> str | None:
    """Given a message expression, return the literal text it is built from (None: none)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value
            for part in node.values
            if isinstance(part, ast.Constant) and isinstance(part.value, str)
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        parts = [_literal(node.left), _literal(node.right)]
        found = [p for p in parts if p is not None]
        return " ".join(found) if found else None
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
    ):
        return _literal(node.func.value)
    return None


def _english(node: ast.expr) -> bool:
    """Given a message expression, return whether it says English words past gettext."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
    ):
        node = node.func.value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in GETTEXT:
        first = node.args[0] if node.args else None
        return not (isinstance(first, ast.Constant) and isinstance(first.value, str))
    text = _literal(node)
    return text is not None and _words(text)


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def person_facing(trees: dict[Path, ast.Module]) -> set[str]:
    """Given the package's parsed files, return the exception names a person sees."""
    names = {"SopError", *CLICK_ERRORS}
    classes = [
        (node.name, {_name(base) for base in node.bases})
        for tree in trees.values()
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
    ]
    grew = True
    while grew:  # a subclass of a subclass of SopError is seen as well
        grew = False
        for name, bases in classes:
            if name not in names and bases & names:
                names.add(name)
                grew = True
    return names


def english_refusals(tree: ast.Module, seen: set[str]) -> list[int]:
    """Given a parsed file and the exceptions a person sees, return the lines raising one
    with an English message."""
    lines = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
            continue
        if _name(node.exc.func) not in seen:
            continue
        message = node.exc.args[0] if node.exc.args else None
        message = message or next((k.value for k in node.exc.keywords if k.arg == "message"), None)
        if message is not None and _english(message):
            lines.append(node.lineno)
    return lines


def _trees() -> dict[Path, ast.Module]:
    return {
        path: ast.parse(path.read_text(encoding="utf-8")) for path in sorted(PACKAGE.rglob("*.py"))
    }


@cache
def found() -> dict[str, list[int]]:
    """Return every file of the package with English refusals, and their lines."""
    trees = _trees()
    seen = person_facing(trees)
    result = {}
    for path, tree in trees.items():
        lines = english_refusals(tree, seen)
        if lines:
            result[str(path.relative_to(REPO_ROOT))] = lines
    return result


def test_the_checker_tells_english_from_gettext():
    tree = ast.parse(
        "class Refused(SopError): ...\n"
        "class Worse(Refused): ...\n"
        'raise SopError(f"--x: {x!r} is not allowed")\n'
        'raise SopError(_("--x: {x!r} is not allowed").format(x=x))\n'
        'raise Worse("no such request " + str(n))\n'
        'raise typer.BadParameter("not a number")\n'
        'raise SopError(_(f"--x: {x} is not allowed"))\n'
        'raise SopError(f"{label}: {problem}")\n'
        'raise SopError(f"--target: {x}")\n'
        "raise SopError(problem)\n"
        'raise ValueError("not base64")\n'
        'raise SopError(message="the store is gone")\n'
    )
    seen = person_facing({Path("m.py"): tree})
    assert english_refusals(tree, seen) == [3, 5, 6, 7, 12]


def test_no_module_refuses_a_person_in_english_past_its_allowance():
    grown = {path: lines for path, lines in found().items() if len(lines) > LEFT.get(path, 0)}
    assert grown == {}, (
        "English refusals (wrap the message in _() and translate it in the .po; "
        "tests/unit/test_no_english_refusals.py says the rule)"
    )


def test_the_list_of_what_is_left_only_shrinks():
    still = found()
    done = [path for path, count in LEFT.items() if count and not still.get(path)]
    assert done == [], "translated now: take these files out of LEFT"
    fewer = {
        path: (count, len(still[path]))
        for path, count in LEFT.items()
        if still.get(path) and len(still[path]) < count
    }
    assert fewer == {}, "fewer English refusals than LEFT says: lower the count"


@pytest.mark.parametrize(
    "path",
    [
        "sop_runner/trust/registry.py",
        "sop_runner/trust/trustfile.py",
        "sop_runner/trust/witness.py",
        "sop_runner/operators.py",
        "sop_runner/store/hardening.py",
        "sop_runner/config.py",
        "sop_runner/cli/operators_commands.py",
        "sop_runner/keys.py",
        "sop_runner/folders.py",
        "sop_runner/site.py",
        "sop_runner/answers.py",
        "sop_runner/inventory.py",
        "sop_runner/claims.py",
        "sop_runner/execution.py",
        "sop_runner/scheduling.py",
        "sop_runner/notify.py",
        "sop_runner/documents/publish.py",
        "sop_runner/documents/verify.py",
        "sop_runner/documents/numbering.py",
        "sop_runner/catalog/durations.py",
        "sop_runner/catalog/model.py",
    ],
)
def test_trust_operators_store_and_config_refuse_through_gettext(path):
    assert found().get(path, []) == []


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("id", "kunci 'budi': tidak ditemukan di {path}; buat dengan `sop keys init`"),
        ("en", "key of 'budi': not found at {path}; create it with `sop keys init`"),
    ],
)
def test_a_moved_core_refusal_speaks_the_persons_language(tmp_path, monkeypatch, lang, expected):
    monkeypatch.setattr(i18n, "_chosen", lang)
    with pytest.raises(SopError) as info:
        keys.load_key(tmp_path, "budi")
    assert str(info.value) == expected.format(path=keys.key_path(tmp_path, "budi"))
