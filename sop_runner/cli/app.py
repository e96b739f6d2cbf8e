"""The `sop` command: assembles the command groups; the work is in the core modules."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer
from typer._click.exceptions import ClickException as TyperClickException
from typer._click.exceptions import UsageError as TyperUsageError

from sop_runner import errors
from sop_runner.cli import (
    admin_commands,
    catalog_commands,
    document_commands,
    operators_commands,
    queue_commands,
    request_commands,
    run_commands,
)
from sop_runner.cli.usage import one_line
from sop_runner.errors import SopError, StepFailed
from sop_runner.features import Registry, installed
from sop_runner.i18n import LANGUAGES, _, set_language
from sop_runner.terminal import SafeConsole


def _help_words() -> None:
    """Give typer's help panels the words of our language (typer reads these at display)."""
    from typer import rich_utils

    rich_utils.ARGUMENTS_PANEL_TITLE = _("Arguments")
    rich_utils.OPTIONS_PANEL_TITLE = _("Options")
    rich_utils.COMMANDS_PANEL_TITLE = _("Commands")
    rich_utils.REQUIRED_LONG_STRING = _("[required]")
    rich_utils.DEFAULT_STRING = _("[default: {}]")


_help_words()
app = typer.Typer(
    help=_("SOP of the Pusat Data of Kabupaten Tegal: procedures that can be run."),
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"sop {version('sop-pusatdata')}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help=_("print the version and exit")
        ),
    ] = False,
    lang: Annotated[
        str | None, typer.Option("--lang", help=_("id (Indonesian, default) or en"))
    ] = None,
) -> None:
    """SOP of the Pusat Data of Kabupaten Tegal: procedures that can be run."""
    if lang is not None:
        if lang not in LANGUAGES:
            raise SopError(
                _("--lang: {chosen!r} is not allowed; use 'id' or 'en'").format(chosen=lang)
            )
        # As SOP_LANG: the command's settings, and the playbooks it runs, speak it too.
        os.environ["SOP_LANG"] = lang
        set_language(lang)


for module in (
    catalog_commands,
    request_commands,
    queue_commands,
    run_commands,
    admin_commands,
    operators_commands,
    document_commands,
):
    module.register(app)


def _add_feature_commands(registry: Registry, argv: list[str]) -> None:
    """Given the features and the command line, add each feature's command group.

    Only the group being run is loaded; the others are listed by name and help,
    so `sop list` does not import every feature's command code.
    """
    wanted = argv[0] if argv else None
    for name, command in sorted(registry.commands.items()):
        if name == wanted:
            app.add_typer(command.load(), name=name)
        else:
            app.add_typer(typer.Typer(help=command.help), name=name)


def _publish_checkpoint() -> None:
    """Publish one checkpoint of the trail if someone signed in this command (a witness
    that cannot be reached is said on stderr; the action stands)."""
    from sop_runner.store import engine_for
    from sop_runner.trust import trail

    def warn(line: str) -> None:
        SafeConsole(stderr=True, soft_wrap=True).print(f"sop: {line}", markup=False)

    trail.publish_pending(engine_for, warn)


def _say_error(line: str) -> None:
    # "sop: error:" in every language: the tag scripts and log searches look for.
    SafeConsole(stderr=True, soft_wrap=True).print(
        f"sop: error: {line}", markup=False, highlight=False
    )


def main() -> None:
    """Run the command; turn our errors and usage errors into one line and an exit code
    (sop_runner/errors.py, docs/exit-codes.md)."""
    try:
        registry = installed()
        _add_feature_commands(registry, sys.argv[1:])
        for hook in registry.startup_hooks():  # e.g. roll back network changes left behind
            hook(None)
        # Without standalone mode click hands back typer.Exit codes instead of exiting.
        try:
            code = app(standalone_mode=False, prog_name="sop")
        finally:
            _publish_checkpoint()
    except SopError as error:
        _say_error(str(error))
        sys.exit(error.exit_code)
    except StepFailed as failure:
        SafeConsole(stderr=True, soft_wrap=True).print(
            "sop: "
            + _("step failed: {failure}; fix it and run `sop run` again to resume").format(
                failure=failure
            ),
            markup=False,
            highlight=False,
        )
        sys.exit(errors.STEP_FAILED)
    except typer.Abort:
        sys.exit(errors.INTERRUPTED)
    except TyperUsageError as error:
        # typer bundles its own copy of click: its usage errors, as one line.
        _say_error(one_line(error))
        sys.exit(errors.BAD_INPUT)
    except TyperClickException as error:
        _say_error(error.format_message())
        sys.exit(error.exit_code)
    if isinstance(code, int) and code:
        sys.exit(code)
