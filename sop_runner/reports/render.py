"""Render a request's companion documents as Markdown, HTML and (if possible) PDF."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
)
from markupsafe import Markup
from sqlalchemy import select

from sop_runner import durations, gates, impact, yamlio
from sop_runner.catalog import Procedure, Step
from sop_runner.context import Context
from sop_runner.escaping import md, visible
from sop_runner.requests import get_request, request_hash
from sop_runner.store.models import Run, StepRecord
from sop_runner.store.queries import rows_of_run


@cache
def labels(lang: str) -> dict[str, str]:
    """Given a language (id or en), return the words of the reports."""
    data = yamlio.load((Path(__file__).parent / "labels.yaml").read_text())
    return dict(data[lang])


def _filesize(value: int) -> str:
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


def _dt(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


@cache
def template_environment(extra_dirs: tuple[Path, ...] = ()) -> Environment:
    """Given features' template folders, return the Jinja2 environment of the reports.

    The core's templates come first; a feature's folder adds its own templates
    (report sections, documents) without the core knowing their names.
    """
    loaders: list[BaseLoader] = [PackageLoader("sop_runner.reports", "templates")]
    loaders += [FileSystemLoader(str(folder)) for folder in extra_dirs]
    env = Environment(
        loader=ChoiceLoader(loaders),
        undefined=StrictUndefined,
        autoescape=lambda name: bool(name and name.endswith(".html.j2")),
        trim_blocks=False,
        finalize=_shown,
    )
    env.filters["filesize"] = _filesize
    env.filters["dt"] = _dt
    # The one filter of every Markdown template: a value from a person or a host
    # stays in its cell (tests/unit/test_escaping.py holds every template to it).
    env.filters["md"] = md
    return env


def _shown(value: Any) -> Any:
    """Given a template value, return it with hidden characters written visibly.

    Markup a template marked safe (our own SVG chart) is left as it is.
    """
    if isinstance(value, str) and not isinstance(value, Markup):
        return visible(value)
    return value


def duration_text(seconds: float | None, lang: str) -> str:
    """Given seconds, return a short human duration (e.g. '2 menit 5 detik')."""
    return durations.words(seconds, lang)


def _actual(record: StepRecord | None, lang: str) -> str:
    """Given a step's record, return its real time; "—" when it is not known (never 0)."""
    if record is None:
        return ""
    if record.duration_seconds is None:
        return labels(lang)["unknown_time"]
    if record.duration_seconds < 1:
        return "< " + duration_text(1, lang)
    return duration_text(record.duration_seconds, lang)


def _record_note(step: Step, record: StepRecord | None, lang: str) -> str:
    if record is None:
        return ""
    words = labels(lang)
    data = record.data or {}
    parts = []
    if "choice" in data:
        choice = step.choice(str(data["choice"]))
        said = f" ({choice.text.get(lang)})" if choice else ""
        parts.append(f"{words['choice']}: {data['choice']}{said}")
    if "person" in data:
        parts.append(f"{words['person']}: {data['person']}")
    if record.note:
        parts.append(record.note)
    who = record.confirmed_by or ""
    return f"{who}: {'; '.join(parts)}" if parts else who


def status_word(status: str, lang: str) -> str:
    """Given a step's or a run's status, return it in the report's words."""
    return labels(lang).get(f"status_{status}", status)


def step_rows(procedure: Procedure, records: list[StepRecord], lang: str) -> list[dict[str, Any]]:
    last: dict[int, StepRecord] = {}
    for record in records:
        last[record.step_number] = record
    rows = []
    for step in procedure.steps:
        record = last.get(step.number)
        rows.append(
            {
                "number": step.number,
                "doc_number": step.doc_number,
                "activity": step.activity.get(lang),
                "actor": gates.ROLE_NAMES[lang].get(step.actor, step.actor),
                "prerequisite": step.prerequisite.get(lang) if step.prerequisite else "",
                "remarks": step.notes.get(lang) if step.notes else "",
                "standard": step.standard_time.text(lang) if step.standard_time else "",
                "actual": _actual(record, lang),
                "over": bool(record and record.over_standard),
                "status": status_word(record.status, lang) if record else labels(lang)["not_run"],
                "note": _record_note(step, record, lang),
            }
        )
    return rows


def outage_text(the_impact: impact.Impact, lang: str) -> str:
    """Given an impact, return its outage: the interrupting steps' standard times only."""
    if not the_impact.interrupting_steps:
        return labels(lang)["no_interruption"]
    low = duration_text(the_impact.outage_min_seconds, lang)
    high = duration_text(the_impact.outage_max_seconds, lang)
    steps = ", ".join(str(n) for n in the_impact.interrupting_steps)
    span = low if low == high else f"{low} – {high}"
    return f"{span} ({labels(lang)['interrupting_steps'].lower()}: {steps})"


def build(ctx: Context, request_id: int, lang: str) -> dict[str, Any]:
    """Given a request, return everything its documents show."""
    trusted = ctx.trusted
    with ctx.session() as session:
        request = get_request(session, request_id)
        procedure = ctx.catalog.get(request.procedure_id)
        the_impact = impact.analyse(procedure, ctx.inventory, request.targets, request.params)
        states = gates.gate_states(session, request, procedure, the_impact, trusted)
        run = session.scalars(
            select(Run).where(Run.request_id == request.id).order_by(Run.id.desc())
        ).first()
        records = rows_of_run(session, StepRecord, run, StepRecord.id)
        words = labels(lang)
        report_name = procedure.report.get(lang) if procedure.report else procedure.title.get(lang)
        outage = outage_text(the_impact, lang)
        window = request.params.get(procedure.window_param) if procedure.window_param else None
        return {
            "lang": lang,
            "L": words,
            "title": report_name,
            "procedure": procedure,
            "request": request,
            "request_hash": request_hash(request),
            "run": run,
            "gates": [gates.describe(s, lang) for s in states],
            "steps": step_rows(procedure, records, lang),
            "impact": the_impact,
            "outage": outage,
            "window": window,
            "run_status": status_word(run.status, lang) if run else "",
            "interrupting": [
                r
                for r in step_rows(procedure, [], lang)
                if r["number"] in the_impact.interrupting_steps
            ],
            "contacts": sorted({s.contact for s in the_impact.services if s.contact}),
            # What features add for this procedure (e.g. 6.1's load records and chart).
            "sections": [
                {
                    "markdown": section.markdown,
                    "html": section.html,
                    "data": section.data(session, request, run, lang),
                }
                for section in ctx.features.report_sections(procedure.id)
            ],
            "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        }


def _pdf(html: str, path: Path) -> bool:
    try:
        from weasyprint import HTML  # type: ignore[import-not-found]
    except ImportError:
        return False
    HTML(string=html).write_pdf(str(path))
    return True


def request_report_dir(ctx: Context, request_id: int, out_dir: Path | None = None) -> Path:
    """Given a request, return (and create) the folder its documents are written to."""
    out = out_dir or ctx.settings.reports_dir / f"request-{request_id}"
    out.mkdir(parents=True, exist_ok=True)
    return out


def write_reports(
    ctx: Context, request_id: int, lang: str, out_dir: Path | None = None
) -> list[Path]:
    """Given a request, write its report (and work order, circular) and return the paths.

    PDF is written where weasyprint is installed; Markdown and HTML always.
    """
    data = build(ctx, request_id, lang)
    out = request_report_dir(ctx, request_id, out_dir)
    env = template_environment(tuple(ctx.features.template_dirs()))
    slug = f"{data['procedure'].id}-{request_id}-{lang}"
    written = []
    md = out / f"laporan-{slug}.md"
    md.write_text(env.get_template("report.md.j2").render(**data))
    html_text = env.get_template("report.html.j2").render(**data)
    html = out / f"laporan-{slug}.html"
    html.write_text(html_text)
    written += [md, html]
    pdf = out / f"laporan-{slug}.pdf"
    if _pdf(html_text, pdf):
        written.append(pdf)
    order = out / f"surat-perintah-tugas-{slug}.md"
    order.write_text(env.get_template("work_order.md.j2").render(**data))
    written.append(order)
    if data["impact"].circular_required:
        circular = out / f"surat-edaran-{slug}.md"
        circular.write_text(env.get_template("circular.md.j2").render(**data))
        written.append(circular)
    if data["run"] is not None and data["run"].status in ("postponed", "cancelled"):
        # The document's report to the penanggung jawab when the work is postponed.
        stopped = out / f"laporan-penundaan-{slug}.md"
        stopped.write_text(env.get_template("postponement.md.j2").render(**data))
        written.append(stopped)
    for write_documents in ctx.features.documents(data["procedure"].id):
        written += write_documents(ctx, request_id, lang, out)
    return written
