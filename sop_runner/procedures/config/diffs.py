"""The diff of one changed configuration, as the log, the documents and the plan show it."""

from __future__ import annotations

import difflib
from typing import Any


def change_diff(device: str, change: dict[str, Any]) -> str:
    """Given one device's change as the playbook handed it, return its unified diff."""
    if change.get("diff"):
        return str(change["diff"])
    name = ", ".join(change.get("files") or [device])
    return "".join(
        difflib.unified_diff(
            str(change.get("before") or "").splitlines(True),
            str(change.get("after") or "").splitlines(True),
            fromfile=f"{name} (before)",
            tofile=f"{name} (after)",
        )
    )


def changed_lines(diff: str) -> int:
    """Given a unified diff, return how many lines it adds or removes."""
    return sum(
        1 for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))
    )
