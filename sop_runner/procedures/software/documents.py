"""The Daftar perangkat lunak Pusat Data as a naskah dinas, and 1.3's analysis in its reports."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from sop_runner.context import Context
from sop_runner.procedures.software import service
from sop_runner.procedures.software.models import SoftwareAnalysis
from sop_runner.procedures.software.words import WORDS
from sop_runner.store.models import Request, Run
from sop_runner.store.queries import rows_of_run

TEMPLATES = Path(__file__).parent / "templates"


def _facts_line(facts: dict[str, Any]) -> str:
    """Given a host's facts, return them in one line (OS, CPU, RAM, disk, packages, ports)."""
    disk = ", ".join(
        f"{path} {mb} MiB" for path, mb in sorted(facts.get("disk_free_mb", {}).items())
    )
    ports = ", ".join(str(p) for p in facts.get("listening_ports", []))
    return (
        f"{facts.get('os_name') or facts.get('os_id', '')}; CPU {facts.get('cpu_cores')}; "
        f"RAM {facts.get('ram_mb')} MiB; disk {disk or '-'}; "
        f"{facts.get('package_count', 0)} paket; port {ports or '-'}"
    )


def section_data(session: Session, request: Request, run: Run | None, lang: str) -> dict[str, Any]:
    """Given a 1.3 request and its latest run, return the analysis its reports show."""
    analyses = [
        {
            "host": row.host,
            "software": row.software,
            "met": row.met,
            "results": row.results,
            "facts_line": _facts_line(row.facts),
        }
        for row in rows_of_run(session, SoftwareAnalysis, run, SoftwareAnalysis.id)
    ]
    return {"W": WORDS[lang], "analyses": analyses}


def register_rows(session: Session, lang: str, host: str | None = None) -> list[dict[str, Any]]:
    """Given a language (and a host), return the register's active entries as shown."""
    words = WORDS[lang]
    return [
        {
            "id": e.id,
            "name": e.name,
            "version": e.version,
            "host": e.host,
            "owner": e.owner,
            "licence": e.licence,
            "installed_by": e.installed_by,
            "installed_on": e.installed_on.isoformat(),
            "source_code": words["yes"] if e.source_code_handed_over else words["no_"],
            "vendor_remote": words["yes"] if e.vendor_remote else words["no_"],
        }
        for e in service.entries(session, host)
    ]


def write_register(
    ctx: Context, lang: str, formats: tuple[str, ...], out_dir: Path | None = None
) -> list[Path]:
    """Given a language and formats, issue the Daftar perangkat lunak Pusat Data (naskah
    dinas of the core's document layer: number, WIB date, QR, `sop verify`); return the
    paths, Markdown first."""
    from sop_runner.documents.publish import issue_markdown
    from sop_runner.reports.render import template_environment

    with ctx.session() as session:
        rows = register_rows(session, lang)
    env = template_environment((TEMPLATES,))
    markdown = env.get_template("software_register.md.j2").render(L=WORDS[lang], rows=rows)
    out = out_dir or ctx.settings.reports_dir / "software"
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return issue_markdown(
        ctx,
        markdown,
        subject=f"software-register/{stamp}",
        file_stem=f"daftar-perangkat-lunak-{stamp}-{lang}",
        lang=lang,
        out=out,
        formats=formats,
    )
