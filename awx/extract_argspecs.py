"""Write awx/awx_collection_argspecs.json: the options of the awx.awx modules the
configuration playbook uses, as their DOCUMENTATION (and the auth doc fragment) declare
them, read from a checkout of github.com/ansible/awx (awx_collection/).

The awx.awx collection cannot be installed here (no Galaxy), so the test that validates
awx/configure.yml (tests/unit/test_awx_config.py) reads this snapshot.  Run again after
moving to another AWX release:

    python awx/extract_argspecs.py /path/to/awx-checkout [git-revision]
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

MODULES = (
    "organization",
    "credential_type",
    "credential",
    "execution_environment",
    "project",
    "inventory",
    "inventory_source",
    "job_template",
    "schedule",
)
KEEP = ("type", "required", "choices", "elements", "aliases", "default")
OUT = Path(__file__).resolve().parent / "awx_collection_argspecs.json"


def _git_show(checkout: Path, revision: str, path: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(checkout), "show", f"{revision}:{path}"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def _documentation(source: str, name: str = "DOCUMENTATION") -> dict[str, Any]:
    """Given a module's (or fragment's) source, return its DOCUMENTATION as data."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return yaml.safe_load(ast.literal_eval(node.value))
    raise ValueError(f"no {name} found")


def _options(options: dict[str, Any]) -> dict[str, Any]:
    found = {}
    for key, spec in options.items():
        kept = {k: spec[k] for k in KEEP if k in spec}
        kept.setdefault("type", "str")
        if "suboptions" in spec:
            kept["suboptions"] = _options(spec["suboptions"])
        found[key] = kept
    return found


def extract(checkout: Path, revision: str = "HEAD") -> dict[str, Any]:
    """Given an AWX checkout, return the options of MODULES (auth options included)."""
    base = "awx_collection/plugins"
    auth = _documentation(_git_show(checkout, revision, f"{base}/doc_fragments/auth.py"))
    described = subprocess.run(
        ["git", "-C", str(checkout), "describe", "--tags", revision],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    modules = {}
    for module in MODULES:
        doc = _documentation(_git_show(checkout, revision, f"{base}/modules/{module}.py"))
        options = {**doc.get("options", {})}
        if "awx.awx.auth" in str(doc.get("extends_documentation_fragment", "")):
            options.update(auth["options"])
        modules[module] = _options(options)
    return {"source": f"ansible/awx {described or revision} awx_collection", "modules": modules}


def main() -> int:
    checkout = Path(sys.argv[1])
    revision = sys.argv[2] if len(sys.argv) > 2 else "HEAD"
    text = json.dumps(extract(checkout, revision), indent=1, sort_keys=True)
    OUT.write_text(text + "\n", encoding="utf-8")
    print(OUT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
