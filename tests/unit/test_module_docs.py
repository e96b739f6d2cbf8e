"""Every module in library/ documents its arguments truly: the DOCUMENTATION options
(doc fragments included) match the argument_spec the module really passes to
AnsibleModule.  (That ansible-doc renders each module is a component test:
tests/component/test_ansible_doc.py.)"""

from __future__ import annotations

import ast
import importlib
from types import ModuleType
from typing import Any

import ansible.module_utils.basic
import pytest
import yaml

from sop_runner.config import REPO_ROOT

MODULES = sorted(p.stem for p in (REPO_ROOT / "library").glob("*.py") if not p.name.startswith("_"))


def _documentation(module: ModuleType) -> dict[str, Any]:
    """Given an imported module, return its DOCUMENTATION with the fragments' options merged."""
    documentation = dict(yaml.safe_load(module.DOCUMENTATION))
    options = dict(documentation.get("options", {}))
    for fragment in documentation.get("extends_documentation_fragment", []):
        options.update(_fragment_options(fragment))
    documentation["options"] = options
    return documentation


def _fragment_options(name: str) -> dict[str, Any]:
    """Given a doc fragment of plugins/doc_fragments, return the options it documents."""
    # Read as text: Ansible loads fragments through ansible.cfg's doc_fragment_plugins,
    # a plugin path, not a Python package the tests could import.
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


def _argument_spec(module: ModuleType, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Given an imported module, return the argument_spec its main() hands AnsibleModule."""

    def capture(*args: Any, **kwargs: Any) -> None:
        raise _SpecCaptured(kwargs.get("argument_spec") or args[0])

    # Patched where it is defined (for modules importing it inside main()) and where a
    # module bound it at import time.
    monkeypatch.setattr(ansible.module_utils.basic, "AnsibleModule", capture)
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


@pytest.mark.parametrize("name", MODULES)
def test_documentation_matches_argument_spec(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    module = importlib.import_module(f"ansible.modules.{name}")
    assert module.__file__ == str(REPO_ROOT / "library" / f"{name}.py"), "Ansible's own module"
    _compare(_documentation(module)["options"], _argument_spec(module, monkeypatch), name)
