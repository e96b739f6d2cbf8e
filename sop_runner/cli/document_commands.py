"""`sop verify`: check a document file against the store and the audit trail."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sop_runner.cli.options import Lang, choose_language, command, out
from sop_runner.context import Context
from sop_runner.i18n import _


def register(app: typer.Typer) -> None:
    """Given the app, add the document commands to it."""
    command(app, verify, "verify")


def verify(
    file: Annotated[Path, typer.Argument(help=_("a PDF, HTML or Markdown document of sop"))],
    lang: Lang = None,
) -> None:
    """Say whether FILE is a document the records produced and who signed it (exit 0), or why not.

    Exit 5 when it is not.
    """
    from sop_runner.documents.verify import verify_file

    ctx = Context()
    language = choose_language(ctx.settings, lang)
    out.print(verify_file(ctx, file, language).line(language), markup=False, highlight=False)
