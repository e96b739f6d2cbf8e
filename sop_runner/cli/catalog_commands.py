"""`sop list` and `sop show`: the procedures of the catalog."""

from __future__ import annotations

import typer
from rich.table import Table

from sop_runner import gates
from sop_runner.catalog import Step
from sop_runner.cli.options import Lang, choose_language, out
from sop_runner.context import Context
from sop_runner.errors import SopError
from sop_runner.site import DEFAULT_PLACES


def register(app: typer.Typer) -> None:
    """Given the app, add the catalog commands to it."""
    app.command("list")(list_procedures)
    app.command()(show)
    app.command()(errata)


def list_procedures(lang: Lang = None) -> None:
    """List the procedures of the catalog."""
    ctx = Context()
    language = choose_language(ctx.settings, lang)
    table = Table("ID", "SOP", "Langkah" if language == "id" else "Steps")
    for procedure in ctx.catalog.procedures:
        table.add_row(procedure.id, procedure.title.get(language), str(len(procedure.steps)))
    out.print(table)


def show(procedure_id: str, lang: Lang = None) -> None:
    """Show one procedure: scope, goals, actors, documents and steps."""
    ctx = Context()
    language = choose_language(ctx.settings, lang)
    procedure = ctx.catalog.get(procedure_id)
    out.print(f"[bold]{procedure.id} {procedure.title.get(language)}[/bold]")
    out.print(procedure.scope.get(language))
    for goal in procedure.goals:
        out.print(f"  • {goal.get(language)}")
    names = gates.ROLE_NAMES[language]
    out.print(", ".join(names.get(a, a) for a in procedure.actors))
    for document in procedure.companion_documents:
        out.print(f"  📄 {document.get(language)}")
    table = Table(
        "No",
        "Uraian" if language == "id" else "Activity",
        "Pelaksana" if language == "id" else "Actor",
        "Jenis" if language == "id" else "Kind",
        "Prasyarat" if language == "id" else "Prerequisite",
        "Mutu baku" if language == "id" else "Standard time",
        "Output",
        "Keterangan" if language == "id" else "Remarks",
    )
    for step in procedure.steps:
        table.add_row(
            step.doc_number,
            step.activity.get(language) + _branch_text(step, language),
            names.get(step.actor, step.actor),
            _kind_text(step, names),
            step.prerequisite.get(language) if step.prerequisite else "",
            step.standard_time.text(language) if step.standard_time else "",
            step.output.get(language) if step.output else "",
            step.notes.get(language) if step.notes else "",
        )
    out.print(table)
    if procedure.target == "place":
        try:
            site_places = ctx.inventory.site.places
        except SopError:  # no trust root here: the rooms every site of the document has
            site_places = DEFAULT_PLACES
        places = ", ".join(p.name for p in site_places)
        out.print(("sasaran: tempat — " if language == "id" else "targets: places — ") + places)
    for erratum in procedure.errata:
        out.print(f"[yellow]ralat/erratum:[/yellow] {erratum.get(language)}")


def _kind_text(step: Step, names: dict[str, str]) -> str:
    kind = step.kind + (f" ({step.playbook})" if step.playbook else "")
    if step.gate_role:
        kind += f" ⛨ {names[step.gate_role]}"
        if step.gate_rule == "project":
            kind += " [aturan proyek]"
    if step.interrupts_service:
        kind += " ⚡"
    if step.circular:
        kind += " ✉"
    return kind


def _branch_text(step: Step, lang: str) -> str:
    """Given a step, return its branch in words (the choices, when it applies)."""
    parts = [f"  ⑂ {c.key}: {c.text.get(lang)}" for c in step.choices]
    if step.applies_when is not None:
        parts.append(
            ("  ↳ hanya jika " if lang == "id" else "  ↳ only if ")
            + step.applies_when.describe(lang)
        )
    if step.ends_run:
        ended = {"postponed": "ditunda", "cancelled": "dibatalkan"}[step.ends_run]
        parts.append(f"  ■ {ended}")
    return "\n" + "\n".join(parts) if parts else ""


def errata(lang: Lang = None) -> None:
    """List the errata of the SOP document: the document-wide ones, then each procedure's."""
    ctx = Context()
    language = choose_language(ctx.settings, lang)
    out.print("[bold]" + ("Ralat dokumen" if language == "id" else "Document errata") + "[/bold]")
    for erratum in ctx.catalog.errata:
        out.print(f"  • {erratum.get(language)}", markup=False)
    for procedure in ctx.catalog.procedures:
        own = [e for e in procedure.errata if e not in ctx.catalog.errata]
        if own:
            out.print(f"[bold]{procedure.id} {procedure.title.get(language)}[/bold]")
            for erratum in own:
                out.print(f"  • {erratum.get(language)}", markup=False)
