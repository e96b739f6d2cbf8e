"""`sop plan`: what the desired configuration would change, per device (SOP 3.1).

Runs ``config_apply.yml`` through the core runner in check mode with diff (the
gate lets a check-mode run without a request through; nothing changes) and
renders, per device, the diff as Markdown fit for a pull-request comment.
Exits 1 when the plan cannot be rendered (a template error, an unreachable
device), so CI can fail the pull request.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from sop_runner.context import Context
from sop_runner.errors import SopError
from sop_runner.procedures.config import change_diff, changed_lines

PLAYBOOK = "config_apply.yml"

WORDS = {
    "id": {
        "title": "Rencana konfigurasi (SOP 3.1)",
        "intro": "Hasil mode periksa (check mode + diff): belum ada yang diubah.",
        "device": "Perangkat",
        "kind": "Jenis",
        "changes": "Perubahan",
        "will_change": "akan berubah",
        "no_change": "tidak berubah",
        "failed": "GAGAL dirender",
        "commands": "Perintah pada perangkat",
        "error": "Kesalahan",
    },
    "en": {
        "title": "Configuration plan (SOP 3.1)",
        "intro": "Check mode with diff: nothing has been changed.",
        "device": "Device",
        "kind": "Kind",
        "changes": "Changes",
        "will_change": "will change",
        "no_change": "no change",
        "failed": "FAILED to render",
        "commands": "Commands on the device",
        "error": "Error",
    },
}


def render_plan(
    plan: dict[str, Any], failures: dict[str, str], targets: list[str], lang: str
) -> str:
    """Given the check-mode results (by host or host/role), return the plan as Markdown.

    A host with several configurations (nginx, sysctl) is one row, its diffs one after
    the other.
    """
    from sop_runner.reports.render import template_environment

    by_device: dict[str, list[dict[str, Any]]] = {}
    for key, change in sorted(plan.items()):  # host, or host/role with a device field
        if isinstance(change, dict):
            by_device.setdefault(str(change.get("device", key)), []).append(change)
    devices = []
    for host in sorted(set(targets) | set(by_device) | set(failures)):
        changes = by_device.get(host, [])
        changed = [c for c in changes if c.get("changed")]
        diffs = [change_diff(host, c) for c in changed]
        diff = "".join(d if d.endswith("\n") else d + "\n" for d in diffs if d)
        devices.append(
            {
                "count": changed_lines(diff),
                "host": host,
                "kind": ", ".join(dict.fromkeys(str(c.get("kind", "-")) for c in changes)) or "-",
                "changed": bool(changed),
                "diff": diff,
                "commands": [command for c in changed for command in c.get("commands") or []],
                "error": failures.get(host, ""),
                "managed": bool(changes) or host in failures,
            }
        )
    template = template_environment().get_template("config_plan.md.j2")
    return template.render(devices=devices, W=WORDS[lang])


def _failures(events: list[dict[str, Any]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for event in events:
        if event.get("event") in ("runner_on_failed", "runner_on_unreachable"):
            data = event.get("event_data", {}) or {}
            res = data.get("res", {}) or {}
            message = res.get("msg") or res.get("stderr") or "failed"
            found.setdefault(str(data.get("host")), f"{data.get('task')}: {str(message)[:600]}")
    return found


cli = typer.Typer(help="Show what the desired configuration would change (check mode + diff).")
cli_name = "plan"


@cli.callback(invoke_without_command=True)
def plan(
    target: Annotated[
        list[str] | None, typer.Option("--target", help="host or group (repeatable)")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="write the Markdown here")] = None,
    lang: Annotated[str | None, typer.Option(help="id | en")] = None,
) -> None:
    """Render, per device, exactly what a 3.1 run would change; exit 1 on render errors."""
    from sop_runner.runner import run_playbook

    ctx = Context()
    language = lang or ctx.settings.lang
    if language not in WORDS:
        raise SopError(f"--lang: {language!r} is not allowed; use id or en")
    targets = ctx.inventory.resolve_targets(target or ["all"])
    events: list[dict[str, Any]] = []
    result = run_playbook(
        ctx.settings,
        PLAYBOOK,
        targets,
        {},
        f"plan-{__import__('uuid').uuid4().hex[:12]}",
        on_event=events.append,
        check=True,
    )
    failures = _failures(events)
    if not result.ok and not failures:
        failures = {"-": result.error or result.status}
    text = render_plan(
        result.artifact_data.get("config_plan", {}) or {}, failures, targets, language
    )
    if out is not None:
        out.write_text(text)
    sys.stdout.write(text)
    if failures or not result.ok:
        raise typer.Exit(1)
