"""What `sop` reads from the playbooks themselves: the parameters their gate fixes."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from sop_runner import yamlio
from sop_runner.config import REPO_ROOT

GATE_ACTIONS = ("sop_gate", "sop.pusatdata.sop_gate")


@cache
def gated_params(playbook: str, root: Path = REPO_ROOT) -> frozenset[str]:
    """Given a playbook file name, return the parameter names its gate task checks.

    Those must all be fixed by the request, since the gate compares them.
    """
    plays = yamlio.load((root / "playbooks" / playbook).read_text()) or []
    names: set[str] = set()
    for play in plays:
        for task in play.get("tasks", []) or []:
            for action in GATE_ACTIONS:
                if action in task:
                    names |= set((task[action] or {}).get("params", {}) or {})
    return frozenset(names)
