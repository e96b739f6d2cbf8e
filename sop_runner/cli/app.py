"""The `sop` command: assembles the command groups; the work is in the core modules."""

from __future__ import annotations

import sys

import click
import typer
from typer._click.exceptions import ClickException as TyperClickException

from sop_runner.cli import (
    admin_commands,
    catalog_commands,
    document_commands,
    operators_commands,
    request_commands,
    run_commands,
)
from sop_runner.errors import SopError, StepFailed
from sop_runner.features import Registry, installed
from sop_runner.terminal import SafeConsole

app = typer.Typer(
    help="SOP Pusat Data Kabupaten Tegal — prosedur yang dapat dijalankan.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for module in (
    catalog_commands,
    request_commands,
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


def main() -> None:
    """Run the command; turn our errors into one line and an exit code."""
    try:
        registry = installed()
        _add_feature_commands(registry, sys.argv[1:])
        for hook in registry.startup_hooks():  # e.g. roll back network changes left behind
            hook(None)
        # Without standalone mode click hands back typer.Exit codes instead of exiting.
        try:
            code = app(standalone_mode=False)
        finally:
            _publish_checkpoint()
    except SopError as error:
        SafeConsole(stderr=True, soft_wrap=True).print(
            f"sop: error: {error}", markup=False, highlight=False
        )
        sys.exit(error.exit_code)
    except StepFailed as failure:
        SafeConsole(stderr=True, soft_wrap=True).print(
            f"sop: step failed: {failure}; fix it and run `sop run` again to resume",
            markup=False,
            highlight=False,
        )
        sys.exit(1)
    except (click.exceptions.Abort, typer.Abort):
        sys.exit(130)
    except (click.ClickException, TyperClickException) as error:
        # typer bundles its own copy of click: its usage errors are not click's.
        error.show()
        sys.exit(error.exit_code)
    if isinstance(code, int) and code:
        sys.exit(code)
