"""`sop run` and `sop report`: carry out a request, write its documents."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sop_runner.cli.options import As, Lang, choose_language, operator_name, out
from sop_runner.context import Context
from sop_runner.errors import SopError
from sop_runner.requests import get_request


def register(app: typer.Typer) -> None:
    """Given the app, add the run and report commands to it."""
    app.command()(run)
    app.command()(report)


def _confirmations(pairs: list[str], path: Path | None) -> dict[int, str]:
    result: dict[int, str] = {}
    entries = list(pairs)
    if path is not None:
        if not path.exists():
            raise SopError(f"--confirm-file: {path} not found")
        entries += [line for line in path.read_text().splitlines() if line.strip()]
    for entry in entries:
        number, sep, note = entry.partition("=")
        if not sep or not number.strip().isdigit() or not note.strip():
            raise SopError(f"--confirm: {entry!r} is not STEP=NOTE (a step number and a note)")
        result[int(number)] = note.strip()
    return result


def run(
    request_id: int,
    confirm: Annotated[list[str] | None, typer.Option(help="STEP=NOTE, repeatable")] = None,
    confirm_file: Annotated[Path | None, typer.Option(help="file of STEP=NOTE lines")] = None,
    lang: Lang = None,
    as_: As = None,
) -> None:
    """Carry out an approved request, step by step (resumes a stopped run)."""
    from sop_runner.execution import run_request
    from sop_runner.ui import TerminalUI

    ctx = Context()
    language = choose_language(ctx.settings, lang)
    confirmations = _confirmations(confirm or [], confirm_file)
    with ctx.session() as session:
        procedure = ctx.catalog.get(get_request(session, request_id).procedure_id)
    with TerminalUI(procedure, language, interactive=True) as ui:
        outcome = run_request(ctx, request_id, operator_name(as_), confirmations, ui)
    out.print(f"run {outcome.run_id}: {outcome.status} ({outcome.steps_done} steps)")


def report(
    request_id: int,
    lang: Lang = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="directory")] = None,
    format_: Annotated[
        str, typer.Option("--format", help="pdf, html, md (comma-separated)")
    ] = "pdf,html,md",
) -> None:
    """Write a request's report, work order and circular (PDF, HTML and Markdown)."""
    from sop_runner.documents.publish import formats_from
    from sop_runner.reports import write_reports

    ctx = Context()
    formats = formats_from(format_)
    language = choose_language(ctx.settings, lang)
    for path in write_reports(ctx, request_id, language, out_dir, formats):
        out.print(str(path))
