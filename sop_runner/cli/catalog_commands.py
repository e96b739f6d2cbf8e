"""`sop list`, `sop show` and `sop errata`: the procedures of the catalog, its errata."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from sop_runner.cli import view_cache, views
from sop_runner.cli.options import Json, Lang, choose_language, command, out
from sop_runner.context import Context
from sop_runner.i18n import _


def register(app: typer.Typer) -> None:
    """Given the app, add the catalog commands to it."""
    command(app, list_procedures, "list")
    command(app, show)
    command(app, errata)


def list_procedures(lang: Lang = None, as_json: Json = False) -> None:
    """List the procedures of the catalog."""
    ctx = Context()
    language = choose_language(ctx.settings, lang)
    view = view_cache.kept(("list",), language, lambda: views.catalog_list(ctx.catalog, language))
    if as_json:
        out.print(views.dumps(view), markup=False, highlight=False)
        return
    from rich.table import Table  # here: JSON is printed without rich (lazy_console.py)

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
    ctx = Context()
    language = choose_language(ctx.settings, lang)

    def made() -> dict[str, Any]:
        from sop_runner.catalog.model import ROLE_NAMES

        shown = views.procedure_view(ctx.catalog.get(procedure_id), language)
        return {"view": shown, "roles": dict(ROLE_NAMES[language])}

    kept = view_cache.kept(("show", procedure_id), language, made)
    view = kept["view"]
    if as_json:
        out.print(views.dumps(view), markup=False, highlight=False)
        return
    from rich.table import Table

    out.print(f"[bold]{view['id']} {view['title']}[/bold]")
    out.print(view["scope"], markup=False)
    for goal in view["goals"]:
        out.print(f"  • {goal}", markup=False)
    out.print(", ".join(view["actors"]), markup=False)
    for document in view["documents"]:
        out.print(f"  📄 {document}", markup=False)
    table = Table(
        "No",
        _("Activity"),
        _("Actor"),
        _("Kind"),
        _("Prerequisite"),
        _("Standard time"),
        "Output",
        _("Remarks"),
    )
    names = kept["roles"]
    for step in view["steps"]:
        table.add_row(
            step["doc_number"],
            step["activity"] + _branch_text(step),
            step["actor"],
            _kind_text(step, names),
            step["prerequisite"] or "",
            step["standard_time"] or "",
            step["output"] or "",
            step["remarks"] or "",
        )
    out.print(table)
    if view["target"] == "place":
        from sop_runner.errors import SopError
        from sop_runner.site import DEFAULT_PLACES

        try:
            site_places = ctx.inventory.site.places
        except SopError:  # no trust root here: the rooms every site of the document has
            site_places = DEFAULT_PLACES
        out.print(
            _("targets: places — {places}").format(places=", ".join(p.name for p in site_places)),
            markup=False,
        )
    for erratum in view["errata"]:
        out.print(f"[yellow]{_('erratum')}:[/yellow] {erratum}")


def _kind_text(step: dict[str, Any], names: dict[str, str]) -> str:
    kind = step["kind"] + (f" ({step['playbook']})" if step["playbook"] else "")
    if step["gate_role"]:
        kind += f" ⛨ {names[step['gate_role']]}"
        if step["gate_rule"] == "project":
            kind += " [" + _("project rule") + "]"
        if step["gate_after"]:
            steps = ", ".join(str(n) for n in step["gate_after"])
            kind += " (" + _("after steps {steps}").format(steps=steps) + ")"
    if step["interrupts_service"]:
        kind += " ⚡"
    if step["circular"]:
        kind += " ✉"
    return kind


def _branch_text(step: dict[str, Any]) -> str:
    """Given a step of the view, return its branch in words (choices, when it applies)."""
    parts = [f"  ⑂ {c['key']}: {c['text']}" for c in step["choices"]]
    if step["applies_when"]:
        parts.append("  ↳ " + _("only if {condition}").format(condition=step["applies_when"]))
    if step["ends_run"]:
        parts.append("  ■ " + _(step["ends_run"]))
    if step["when_failed"]:
        parts.append("  ✗ " + _("if it fails: {branch}").format(branch=step["when_failed"]))
    return "\n" + "\n".join(parts) if parts else ""


def errata(lang: Lang = None, as_json: Json = False) -> None:
    """List the errata of the SOP document: the document-wide ones, then each procedure's."""
    ctx = Context()
    view = views.errata_view(ctx.catalog, choose_language(ctx.settings, lang))
    if as_json:
        out.print(views.dumps(view), markup=False, highlight=False)
        return
    out.print(f"[bold]{_('Document errata')}[/bold]")
    for erratum in view["document"]:
        out.print(f"  • {erratum}", markup=False)
    for procedure in view["procedures"]:
        out.print(f"[bold]{procedure['id']} {procedure['title']}[/bold]")
        for erratum in procedure["errata"]:
            out.print(f"  • {erratum}", markup=False)
