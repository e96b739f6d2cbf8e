"""Every module in library/ documents itself: ansible-doc renders it, and its
DOCUMENTATION options match the argument_spec it really uses."""

from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from sop_runner.config import REPO_ROOT

MODULES = sorted(p for p in (REPO_ROOT / "library").glob("*.py") if not p.name.startswith("_"))


def _constant(path: Path, name: str) -> str:
    """Given a module file, return the string assigned to a top-level name."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return str(ast.literal_eval(node.value))
    raise AssertionError(f"{path.name}: no {name}")


def _fragment_options(name: str) -> dict[str, Any]:
    """Given a doc fragment of plugins/doc_fragments, return the options it documents."""
    tree = ast.parse((REPO_ROOT / "plugins" / "doc_fragments" / f"{name}.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "DOCUMENTATION" for t in node.targets
        ):
            return dict(yaml.safe_load(ast.literal_eval(node.value))["options"])
    raise AssertionError(f"doc fragment {name}: no DOCUMENTATION")


class _SpecCaptured(Exception):
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec


def _argument_spec(path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    # Our shared module code lives in plugins/module_utils (ansible.cfg's module_utils);
    # importing a module directly needs that folder inside ansible.module_utils too.
    import ansible.module_utils

    monkeypatch.setattr(
        ansible.module_utils,
        "__path__",
        [*ansible.module_utils.__path__, str(REPO_ROOT / "plugins" / "module_utils")],
    )
    import ansible.module_utils.basic

    def capture(*_args: Any, **kwargs: Any) -> None:
        raise _SpecCaptured(kwargs.get("argument_spec") or _args[0])

    # Patched where it is defined, so modules importing it late pick up the fake too.
    monkeypatch.setattr(ansible.module_utils.basic, "AnsibleModule", capture)
    module_spec = importlib.util.spec_from_file_location(f"_doc_{path.stem}", path)
    assert module_spec and module_spec.loader
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    if hasattr(module, "AnsibleModule"):
        monkeypatch.setattr(module, "AnsibleModule", capture)
    with pytest.raises(_SpecCaptured) as captured:
        module.main()
    return captured.value.spec


def _compare(doc: dict[str, Any], spec: dict[str, Any], where: str) -> None:
    assert set(doc) == set(spec), f"{where}: documented {sorted(doc)} != spec {sorted(spec)}"
    for name, documented in doc.items():
        real = spec[name]
        assert documented.get("type", "str") == real.get("type", "str"), f"{where}.{name}: type"
        assert bool(documented.get("required")) == bool(real.get("required")), (
            f"{where}.{name}: required"
        )
        assert documented.get("default") == real.get("default"), f"{where}.{name}: default"
        assert documented.get("choices") == real.get("choices"), f"{where}.{name}: choices"
        if "suboptions" in documented or "options" in real:
            _compare(documented.get("suboptions", {}), real.get("options", {}), f"{where}.{name}")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_ansible_doc_renders(path: Path) -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-doc"), "-M", str(path.parent), path.stem],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO_ROOT,  # ansible.cfg names our doc fragments
        env={**os.environ, "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg")},
    )
    assert result.returncode == 0, result.stderr
    for section in ("OPTIONS", "EXAMPLES", "RETURN VALUES"):
        assert section in result.stdout, f"{path.stem}: ansible-doc shows no {section}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_documentation_matches_argument_spec(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    documentation = yaml.safe_load(_constant(path, "DOCUMENTATION"))
    options = dict(documentation.get("options", {}))
    for fragment in documentation.get("extends_documentation_fragment", []):
        options.update(_fragment_options(fragment))
    documentation["options"] = options
    _compare(documentation.get("options", {}), _argument_spec(path, monkeypatch), path.stem)
