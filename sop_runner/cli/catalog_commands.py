"""`sop list` and `sop show`: the procedures of the catalog."""

from __future__ import annotations

import typer
from rich.table import Table

from sop_runner import gates
from sop_runner.cli.options import Lang, choose_language, out
from sop_runner.context import Context


def register(app: typer.Typer) -> None:
    """Given the app, add the catalog commands to it."""
    app.command("list")(list_procedures)
    app.command()(show)


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
        "Mutu baku" if language == "id" else "Standard time",
        "Output",
    )
    for step in procedure.steps:
        kind = step.kind + (f" ({step.playbook})" if step.playbook else "")
        if step.gate_role:
            kind += f" ⛨ {names[step.gate_role]}"
        table.add_row(
            step.doc_number,
            step.activity.get(language),
            names.get(step.actor, step.actor),
            kind,
            step.standard_time.text(language) if step.standard_time else "",
            step.output.get(language) if step.output else "",
        )
    out.print(table)
    for erratum in procedure.errata:
        out.print(f"[yellow]ralat/erratum:[/yellow] {erratum.get(language)}")
