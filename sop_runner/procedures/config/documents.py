"""The documents of SOP 3.1: the configuration documentation and result report (step 7
and 8), the configuration log as `sop config log` lists it, and the plan as Markdown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment
from sqlalchemy import select

from sop_runner.context import Context
from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.procedures.config.diffs import change_diff, changed_lines
from sop_runner.procedures.config.models import ConfigDocument, ConfigLogEntry
from sop_runner.procedures.config.words import WORDS
from sop_runner.store.queries import rows_of_run

TEMPLATES = Path(__file__).parent / "templates"


def _templates() -> Environment:
    from sop_runner.reports.render import template_environment

    return template_environment((TEMPLATES,))


def document_data(ctx: Context, request_id: int, lang: str) -> dict[str, Any]:
    """Given a request, return the core report's data plus its run's documentation and log."""
    from sop_runner.reports.render import build

    data = build(ctx, request_id, lang)
    run = data["run"]
    with ctx.session() as session:
        docs = rows_of_run(session, ConfigDocument, run, ConfigDocument.device)
        log = rows_of_run(session, ConfigLogEntry, run, ConfigLogEntry.device)
        session.expunge_all()
    rows = [
        {
            "logged_at": e.logged_at,
            "device": e.device,
            "notes": e.notes,
            "substance": e.substance,
            "count": changed_lines(e.substance),
        }
        for e in log
    ]
    return {**data, "docs": docs, "log": rows}


def write_documents(
    ctx: Context, request_id: int, lang: str, out_dir: Path | None = None
) -> list[Path]:
    """Given a 3.1 request, write its configuration documentation and result report
    (PDF, HTML, Markdown through the document layer).

    Return the paths written, the Markdown files first.  Raise SopError if the request is
    not for 3.1.
    """
    from sop_runner.reports.render import request_report_dir

    data = document_data(ctx, request_id, lang)
    if data["procedure"].id != "3.1":
        raise SopError(
            _("request {id}: is for procedure {procedure}, not 3.1").format(
                id=request_id, procedure=data["procedure"].id
            )
        )
    from sop_runner.documents.publish import issue_request_markdown

    out = request_report_dir(ctx, request_id, out_dir)
    env = _templates()
    slug = f"3.1-{request_id}-{lang}"
    documents = (
        (env.get_template(template).render(**data, words=WORDS[lang]), name, f"{name}-{slug}", kind)
        for name, template, kind in (
            ("dokumentasi-konfigurasi", "config_doc.md.j2", "dokumen"),
            ("laporan-konfigurasi", "config_report.md.j2", "laporan"),
        )
    )
    return issue_request_markdown(ctx, request_id, documents, lang=lang, out=out)


def log_entries(ctx: Context, device: str | None, last: int) -> list[dict[str, Any]]:
    """Given a device (or None for all) and a count, return the newest log entries, newest
    first, as `sop config log --json` prints them (the diff's size, not the diff)."""
    with ctx.session() as session:
        query = select(ConfigLogEntry).order_by(ConfigLogEntry.id.desc()).limit(last)
        if device:
            query = query.where(ConfigLogEntry.device == device)
        return [
            {
                "id": entry.id,
                "run_id": entry.run_id,
                "logged_at": entry.logged_at.isoformat(timespec="seconds"),
                "device": entry.device,
                "diff_lines": len(entry.substance.splitlines()),
                "notes": entry.notes,
            }
            for entry in session.scalars(query).all()
        ]


def log_lines(ctx: Context, device: str | None, last: int) -> list[str]:
    """Given a device (or None for all) and a count, return the newest log entries as lines."""
    return [
        f"{e['id']}\t{e['logged_at'][:19].replace('T', ' ')}\t{e['device']}\t"
        f"{e['diff_lines']} diff lines\t{e['notes']}"
        for e in log_entries(ctx, device, last)
    ]


def render_plan(
    plan: dict[str, Any], failures: dict[str, str], targets: list[str], lang: str
) -> str:
    """Given the check-mode results (by host or host/role), return the plan as Markdown.

    A host with several configurations (nginx, sysctl) is one row, its diffs one after
    the other.
    """
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
    return _templates().get_template("config_plan.md.j2").render(devices=devices, W=WORDS[lang])
