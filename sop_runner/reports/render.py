"""What a request's documents show (build), in the document's words and time zone, and the
Jinja2 environment of the core's and the features' templates (official.py lays them out)."""

from __future__ import annotations

from collections.abc import Callable
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
    pass_context,
)
from markupsafe import Markup
from sqlalchemy import select

from sop_runner import durations, gates, impact, yamlio
from sop_runner.catalog import Procedure, Step
from sop_runner.context import Context
from sop_runner.documents import dates
from sop_runner.documents.naskah import load_naskah
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


def _dt(value: datetime | str | None, lang: str = "id") -> str:
    """Given a moment (UTC), return it as documents write it: '30 November 2026 14.05 WIB'."""
    naskah = load_naskah()
    return dates.date_time(value or None, naskah.time_zone, naskah.zone_name, lang)


@pass_context
def _dt_filter(context: Any, value: datetime | str | None, lang: str | None = None) -> str:
    """The template filter ``dt``: without a language, the template's own (``lang``), so an
    English document gets English months whether or not its template says ``dt(lang)``."""
    return _dt(value, lang or context.get("lang") or "id")


def word(lang: str, group: str, value: str) -> str:
    """Given a state, criticality or reason code, return it in the document's words."""
    return labels(lang).get(f"{group}_{value}", value)


def gate_reason(requirement: gates.GateRequirement, lang: str) -> str:
    """Given a gate requirement, return why it applies, in the document's words."""
    if requirement.why.startswith(("tidak berlaku", "project rule switched off")):
        return requirement.why  # a branch the request ruled out, or a rule switched off
    rule = f" ({labels(lang)['project_rule']})" if "(project rule)" in requirement.why else ""
    key = {
        ("always", True): "always",
        ("overwrite", True): "overwrite",
        ("overwrite", False): "no_overwrite",
        ("services_affected", True): "services",
        ("services_affected", False): "no_services",
    }.get((requirement.when, requirement.required))
    if key is None:
        key = "critical" if requirement.required else "no_critical"
    why = requirement.why.removesuffix(" (project rule)")
    names = why.split(": ", 1)[1] if ": " in why else ""
    return word(lang, "why", key) + (f": {names}" if names else "") + rule


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
    env.filters["dt"] = _dt_filter
    # A run's or step's state in the document's words ("succeeded" → "berhasil").
    env.filters["status"] = lambda value, lang="id": word(lang, "status", str(value))
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


def _record_note(
    step: Step, record: StepRecord | None, lang: str, person: Callable[[str], str] = str
) -> str:
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
    who = person(record.confirmed_by or "")
    return f"{who}: {'; '.join(parts)}" if parts else who


def step_rows(
    procedure: Procedure,
    records: list[StepRecord],
    lang: str,
    person: Callable[[str], str] = str,
) -> list[dict[str, Any]]:
    """Given a procedure and its run's step records, return one row per step of the
    document; ``person`` turns who confirmed a step into the name documents show."""
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
                "status": word(lang, "status", record.status)
                if record
                else labels(lang)["not_run"],
                "note": _record_note(step, record, lang, person),
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

        def person(name: str | None) -> str:
            # Documents name people as the registry does (full name), not by login.
            operator = ctx.registry.get(name) if name else None
            return operator.full_name if operator else (name or "")

        gate_rows = []
        for state in states:
            row = gates.describe(state, lang)
            row["why"] = gate_reason(state.requirement, lang)
            for approval in row["approvals"]:
                approval["signer"] = person(approval["signer"])
                approval["signed_at"] = _dt(approval["signed_at"], lang)
                approval["expires_at"] = _dt(approval["expires_at"], lang)
            gate_rows.append(row)
        return {
            "lang": lang,
            "L": words,
            "title": report_name,
            "procedure": procedure,
            "request": request,
            "request_hash": request_hash(request),
            "run": run,
            "gates": gate_rows,
            "created": _dt(request.created_at, lang),
            "requester": person(request.requested_by),
            "operator": person(run.operator) if run else "",
            "run_status": word(lang, "status", run.status) if run else "",
            "services": [
                {
                    "name": svc.name,
                    "title": svc.title,
                    "opd": svc.opd,
                    "criticality": word(lang, "criticality", svc.criticality),
                }
                for svc in the_impact.services
            ],
            "steps": step_rows(procedure, records, lang, person),
            "impact": the_impact,
            "outage": outage,
            "window": window,
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
            "generated": _dt(datetime.now(UTC), lang),
        }


def request_report_dir(ctx: Context, request_id: int, out_dir: Path | None = None) -> Path:
    """Given a request, return (and create) the folder its documents are written to."""
    out = out_dir or ctx.settings.reports_dir / f"request-{request_id}"
    out.mkdir(parents=True, exist_ok=True)
    return out
