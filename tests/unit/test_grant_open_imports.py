"""`sop grant open` waits for the port: the grant commands' module loads neither the
remote account log (documents, the naskah dinas layout) nor reconcile (issue 21)."""

from __future__ import annotations

import json
import subprocess
import sys

from sop_runner.config import REPO_ROOT


def test_the_grant_commands_load_no_document_layout_and_no_reconcile() -> None:
    code = (
        "import json, sys; import sop_runner.procedures.grants.cli; "
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO_ROOT
    ).stdout
    loaded = set(json.loads(out))
    for name in (
        "sop_runner.procedures.grants.documents",
        "sop_runner.documents.naskah",
        "sop_runner.procedures.grants.reconcile",
    ):
        assert name not in loaded, name
