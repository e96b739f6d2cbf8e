"""`sop run` and `sop report`: carry out a request, write its documents."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sop_runner.cli.options import As, Lang, choose_language, command, operator_name, out
from sop_runner.context import Context
from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.requests import get_request


def register(app: typer.Typer) -> None:
    """Given the app, add the run and report commands to it."""
    command(app, run)
    command(app, report)


def _confirmations(pairs: list[str], path: Path | None) -> dict[int, str]:
    result: dict[int, str] = {}
    entries = list(pairs)
    if path is not None:
        if not path.exists():
            raise SopError(_("--confirm-file: {path} not found").format(path=path))
        entries += [line for line in path.read_text().splitlines() if line.strip()]
    for entry in entries:
        number, sep, note = entry.partition("=")
        if not sep or not number.strip().isdigit() or not note.strip():
            raise SopError(
                _("--confirm: {entry!r} is not STEP=NOTE (a step number and a note)").format(
                    entry=entry
                )
            )
        result[int(number)] = note.strip()
    return result


def run(
    request_id: int,
    confirm: Annotated[list[str] | None, typer.Option(help=_("STEP=NOTE, repeatable"))] = None,
    confirm_file: Annotated[Path | None, typer.Option(help=_("file of STEP=NOTE lines"))] = None,
    choose: Annotated[
        list[str] | None,
        typer.Option(help=_("STEP=KEY: the branch of the document a step takes (repeatable)")),
    ] = None,
    time: Annotated[
        list[str] | None,
        typer.Option(help=_("STEP=START/END (ISO 8601 with offset) or STEP=DURATION (e.g. 40m)")),
    ] = None,
    person: Annotated[
        list[str] | None,
        typer.Option(help=_("[STEP=]NAME: the vendor or guest who did the step (repeatable)")),
    ] = None,
    lang: Lang = None,
    as_: As = None,
) -> None:
    """Carry out an approved request, step by step (resumes a stopped run)."""
    from sop_runner.answers import Answers, pairs, persons
    from sop_runner.execution import run_request
    from sop_runner.ui import TerminalUI

    ctx = Context()
    language = choose_language(ctx.settings, lang)
    named, default_person = persons(person or [])
    answers = Answers(
        notes=_confirmations(confirm or [], confirm_file),
        choices=pairs(choose or [], "--choose", "KEY"),
        times=pairs(time or [], "--time", "START/END or DURATION"),
        persons=named,
        person=default_person,
    )
    with ctx.session() as session:
        procedure = ctx.catalog.get(get_request(session, request_id).procedure_id)
    with TerminalUI(procedure, language, interactive=True) as ui:
        outcome = run_request(ctx, request_id, operator_name(as_), ui=ui, answers=answers)
    out.print(
        _("run {id}: {status} ({steps} steps)").format(
            id=outcome.run_id, status=_(outcome.status), steps=outcome.steps_done
        ),
        markup=False,
    )


def report(
    request_id: int,
    lang: Lang = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help=_("directory"))] = None,
    format_: Annotated[
        str, typer.Option("--format", help=_("pdf, html, md (comma-separated)"))
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
