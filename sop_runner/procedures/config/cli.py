"""The commands of SOP 3.1: `sop config docs|log|recover` and `sop plan` (typer only)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from sop_runner.cli.options import Json, Lang, choose_language, subcommand
from sop_runner.context import Context
from sop_runner.i18n import _
from sop_runner.procedures.config import CONFIG_HELP, PLAN_HELP, documents, plan, recover

config_app = typer.Typer(help=_(CONFIG_HELP), no_args_is_help=True)
plan_app = typer.Typer(help=_(PLAN_HELP))


@subcommand(config_app, "docs")
def docs_command(
    request_id: int,
    lang: Lang = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help=_("directory"))] = None,
) -> None:
    """Write the configuration documentation and result report of a 3.1 request."""
    ctx = Context()
    language = choose_language(ctx.settings, lang)
    for path in documents.write_documents(ctx, request_id, language, out_dir):
        typer.echo(str(path))


@subcommand(config_app, "log")
def log_command(
    device: Annotated[str | None, typer.Option(help=_("only this device"))] = None,
    last: Annotated[int, typer.Option(help=_("how many of the newest"))] = 20,
    as_json: Json = False,
) -> None:
    """Show the configuration log (only changes that passed their test)."""
    if as_json:
        entries = documents.log_entries(Context(), device, last)
        typer.echo(json.dumps({"schema": "sop.config-log/1", "entries": entries}, indent=2))
        return
    for line in documents.log_lines(Context(), device, last):
        typer.echo(line)


@subcommand(config_app, "recover")
def recover_command(lang: Lang = None) -> None:
    """Roll back network changes left behind by a dead revert watchdog (netmiko devices)."""
    ctx = Context()
    if not recover.recover_now(ctx, choose_language(ctx.settings, lang), typer.echo):
        raise typer.Exit(1)


@plan_app.callback(invoke_without_command=True)
def plan_command(
    target: Annotated[
        list[str] | None, typer.Option("--target", help=_("host or group (repeatable)"))
    ] = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", help=_("write the Markdown here"))
    ] = None,
    lang: Lang = None,
) -> None:
    """Render, per device, exactly what a 3.1 run would change; exit 1 on render errors."""
    ctx = Context()
    result = plan.preview(ctx, target or ["all"], choose_language(ctx.settings, lang))
    if out_file is not None:
        out_file.write_text(result.text)
    sys.stdout.write(result.text)
    if not result.ok:
        raise typer.Exit(1)
