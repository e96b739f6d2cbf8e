"""`sop list` and `sop show`: the procedures of the catalog."""

from __future__ import annotations

from typing import Annotated

import typer

from sop_runner.cli import views
from sop_runner.cli.options import Json, Lang, choose_language, command, out
from sop_runner.context import Context
from sop_runner.i18n import _


def register(app: typer.Typer) -> None:
    """Given the app, add the catalog commands to it."""
    command(app, list_procedures, "list")
    command(app, show)


def list_procedures(lang: Lang = None, as_json: Json = False) -> None:
    """List the procedures of the catalog."""
    from rich.table import Table

    ctx = Context()
    view = views.catalog_list(ctx.catalog, choose_language(ctx.settings, lang))
    if as_json:
        out.print(views.dumps(view), markup=False, highlight=False)
        return
    table = Table("ID", "SOP", _("Steps"))
    for procedure in view["procedures"]:
        table.add_row(procedure["id"], procedure["title"], str(procedure["steps"]))
    out.print(table)


def show(
    procedure_id: Annotated[str, typer.Argument(help=_("procedure id, e.g. 3.1"))],
    lang: Lang = None,
    as_json: Json = False,
) -> None:
    """Show one procedure: scope, goals, actors, documents and steps."""
    from rich.table import Table

    from sop_runner.catalog.model import ROLE_NAMES

    ctx = Context()
    language = choose_language(ctx.settings, lang)
    procedure = ctx.catalog.get(procedure_id)
    view = views.procedure_view(procedure, language)
    if as_json:
        out.print(views.dumps(view), markup=False, highlight=False)
        return
    out.print(f"[bold]{view['id']} {view['title']}[/bold]")
    out.print(view["scope"], markup=False)
    for goal in view["goals"]:
        out.print(f"  • {goal}", markup=False)
    out.print(", ".join(view["actors"]), markup=False)
    for document in view["documents"]:
        out.print(f"  📄 {document}", markup=False)
    table = Table("No", _("Activity"), _("Actor"), _("Kind"), _("Standard time"), "Output")
    names = ROLE_NAMES[language]
    for step in view["steps"]:
        kind = step["kind"] + (f" ({step['playbook']})" if step["playbook"] else "")
        if step["gate_role"]:
            kind += f" ⛨ {names[step['gate_role']]}"
        table.add_row(
            step["doc_number"],
            step["activity"],
            step["actor"],
            kind,
            step["standard_time"] or "",
            step["output"] or "",
        )
    out.print(table)
    for erratum in view["errata"]:
        out.print(f"[yellow]{_('erratum')}:[/yellow] {erratum}")
