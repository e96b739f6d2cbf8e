"""`sop upgrade report`: the SOP 4.1/4.2 documents of a request."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sop_runner.cli.options import Lang, choose_language, out, subcommand
from sop_runner.context import Context
from sop_runner.i18n import _
from sop_runner.procedures.upgrade import HELP
from sop_runner.procedures.upgrade.documents import write_documents

cli = typer.Typer(help=_(HELP))


@subcommand(cli, "report")
def report_command(
    request_id: int,
    lang: Lang = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help=_("directory for the documents"))
    ] = None,
) -> None:
    """Write the analysis report, the upgrade report and the configuration documentation."""
    ctx = Context()
    for path in write_documents(ctx, request_id, choose_language(ctx.settings, lang), out_dir):
        out.print(str(path), markup=False, highlight=False)
