"""`sop plan`: what the desired configuration would change, per device (SOP 3.1).

Runs ``config_apply.yml`` in check mode with diff (the gate lets a check-mode
run without a request through; nothing changes) and renders, per device, the
diff as Markdown fit for a pull-request comment.  The plan is not a step of a
request: it writes no Run, no StepRecord and no audit entry, so it calls the
runner adapter directly (read-only, check mode) instead of going through
``execution.run_step``, which exists for steps that change something.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sop_runner.context import Context
from sop_runner.procedures.config.documents import render_plan

PLAYBOOK = "config_apply.yml"


@dataclass(frozen=True)
class Plan:
    """The rendered plan, and whether every device could be rendered."""

    text: str
    ok: bool


def failures(events: list[dict[str, Any]]) -> dict[str, str]:
    """Given ansible-runner's events, return the first failure of each host (task: message)."""
    found: dict[str, str] = {}
    for event in events:
        if event.get("event") in ("runner_on_failed", "runner_on_unreachable"):
            data = event.get("event_data", {}) or {}
            res = data.get("res", {}) or {}
            message = res.get("msg") or res.get("stderr") or "failed"
            found.setdefault(str(data.get("host")), f"{data.get('task')}: {str(message)[:600]}")
    return found


def preview(ctx: Context, targets: list[str], lang: str) -> Plan:
    """Given hosts or groups, run config_apply.yml in check mode and return the plan."""
    from sop_runner.runner import run_playbook

    hosts = ctx.inventory.resolve_targets(targets)
    events: list[dict[str, Any]] = []
    # Read-only on purpose: check mode, no request, no records (see the module docstring).
    result = run_playbook(
        ctx.settings,
        PLAYBOOK,
        hosts,
        {},
        f"plan-{uuid.uuid4().hex[:12]}",
        on_event=events.append,
        check=True,
    )
    failed = failures(events)
    if not result.ok and not failed:
        failed = {"-": result.error or result.status}
    text = render_plan(result.artifact_data.get("config_plan", {}) or {}, failed, hosts, lang)
    return Plan(text, ok=result.ok and not failed)
