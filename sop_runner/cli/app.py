"""The `sop` command: assembles the command groups; the work is in the core modules.

A command's module is imported only when that command runs (``SopGroup``): `sop
list` loads the catalog's commands, not the store, the gates or any feature.
"""

from __future__ import annotations

import os
import sys
from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer._click.exceptions import ClickException as TyperClickException
from typer._click.exceptions import UsageError as TyperUsageError
from typer.core import TyperGroup

from sop_runner import errors
from sop_runner.cli.coercion import without_pydantic
from sop_runner.cli.usage import one_line
from sop_runner.errors import SopError, StepFailed
from sop_runner.features import startup
from sop_runner.i18n import LANGUAGES, N_, _, set_language
from sop_runner.lazy_console import LazyConsole

if TYPE_CHECKING:
    from typer import _click

# Each core command, in the order `sop --help` lists them, and the module of
# sop_runner/cli whose register() adds it (tests/unit/test_cli_lazy.py holds the
# two together).  Feature groups follow, by name (sop_runner/features.py).
CORE_COMMANDS = {
    "list": "catalog_commands",
    "show": "catalog_commands",
    "request": "request_commands",
    "approve": "request_commands",
    "reject": "request_commands",
    "cancel": "request_commands",
    "status": "request_commands",
    "params": "request_commands",
    "impact": "request_commands",
    "requests": "queue_commands",
    "run": "run_commands",
    "report": "run_commands",
    "verify": "document_commands",
    "errata": "catalog_commands",
    "lab": "admin_commands",
    "keys": "admin_commands",
    "audit": "admin_commands",
    "store": "admin_commands",
    "operators": "operators_commands",
}


# Plain values (text, flags, whole numbers) are coerced without pydantic (cli/coercion.py).
without_pydantic()


@cache
def _registered(module: str) -> tuple[tuple[str, Any, bool], ...]:
    """Given a module of sop_runner/cli, return what its register() adds: (name, typer's
    info, whether it is a group) for each command and command group."""
    holder = typer.Typer()
    import_module(f"sop_runner.cli.{module}").register(holder)
    named = typer.main.get_command_name
    commands = holder.registered_commands
    found = [(c.name or named(c.callback.__name__), c, False) for c in commands]
    return (*found, *((g.name, g, True) for g in holder.registered_groups))


def _built(registered: list[tuple[str, Any, bool]]) -> dict[str, _click.Command]:
    holder = typer.Typer()
    holder.registered_commands = [info for _name, info, group in registered if not group]
    holder.registered_groups = [info for _name, info, group in registered if group]
    return dict(typer.main.get_group(holder).commands)


def core_commands(module: str) -> dict[str, _click.Command]:
    """Given a module of sop_runner/cli, return the commands its register() adds."""
    return _built(list(_registered(module)))


@cache
def core_command(name: str) -> _click.Command | None:
    """Given a core command's name, return it, built alone: typer turns each function's
    parameters into options at some cost, and `sop status` needs none of its neighbours'."""
    return _built([r for r in _registered(CORE_COMMANDS[name]) if r[0] == name]).get(name)


@cache
def _feature_command(name: str, loaded: bool) -> _click.Command:
    """Given a feature's command name, return its group: loaded, or only its name and help."""
    command = startup().commands[name]
    holder = typer.Typer()
    holder.add_typer(command.load() if loaded else typer.Typer(help=_(command.help)), name=name)
    return typer.main.get_group(holder).commands[name]


class SopGroup(TyperGroup):
    """The top `sop` group: each command is imported when it runs or is listed.

    A feature's group is listed (help, completion) by its name and help alone and
    loaded only when it is the command being run.
    """

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self._running: set[str] = set()  # the feature group being run, once resolved

    def list_commands(self, ctx: _click.Context) -> list[str]:
        return [*CORE_COMMANDS, *sorted(startup().commands)]

    def get_command(self, ctx: _click.Context, cmd_name: str) -> _click.Command | None:
        if cmd_name in CORE_COMMANDS:
            return core_command(cmd_name)
        if cmd_name in startup().commands:
            return _feature_command(cmd_name, cmd_name in self._running)
        return None

    def format_help(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        _help_words()
        super().format_help(ctx, formatter)

    def resolve_command(self, ctx: _click.Context, args: list[str]) -> Any:
        if args and args[0] in startup().commands:
            self._running.add(args[0])
        return super().resolve_command(ctx, args)


# typer's own words in a help page (its --help and completion options), for the catalog.
TYPER_WORDS = (
    N_("Show this message and exit."),
    N_("Install completion for the current shell."),
    N_("Show completion for the current shell, to copy it or customize the installation."),
)


def _help_words() -> None:
    """Give typer's help pages the words of our language (typer reads these at display).

    Only when help is shown: typer's rich_utils (Markdown, tracebacks) is slow to import.
    typer writes "Usage:" and its options' help in English; both go through the
    catalog as they are printed (an option whose help is ours is translated already,
    and gettext hands back a text it does not know unchanged).
    """
    from typer import rich_utils
    from typer._click import formatting

    rich_utils.ARGUMENTS_PANEL_TITLE = _("Arguments")
    rich_utils.OPTIONS_PANEL_TITLE = _("Options")
    rich_utils.COMMANDS_PANEL_TITLE = _("Commands")
    rich_utils.REQUIRED_LONG_STRING = _("[required]")
    rich_utils.DEFAULT_STRING = _("[default: {}]")
    if getattr(rich_utils, "_sop_translated", False):
        return
    parameter_help = rich_utils._get_parameter_help
    write_usage = formatting.HelpFormatter.write_usage

    def translated_parameter_help(*, param: Any, **kwargs: Any) -> Any:
        if getattr(param, "help", None) in TYPER_WORDS:
            param.help = _(param.help)
        return parameter_help(param=param, **kwargs)

    def translated_usage(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
        write_usage(self, prog, args, _("Usage: ") if prefix is None else prefix)

    rich_utils._get_parameter_help = translated_parameter_help
    formatting.HelpFormatter.write_usage = translated_usage  # type: ignore[method-assign]
    rich_utils._sop_translated = True  # type: ignore[attr-defined]


app = typer.Typer(
    cls=SopGroup,
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


def _publish_checkpoint() -> None:
    """Publish one checkpoint of the trail if someone signed in this command (a witness
    that cannot be reached is said on stderr; the action stands)."""
    trail = sys.modules.get("sop_runner.trust.trail")
    if trail is None:  # nobody signed: the trail was not even imported
        return
    from sop_runner.store import engine_for

    def warn(line: str) -> None:
        LazyConsole(stderr=True, soft_wrap=True).print(f"sop: {line}", markup=False)

    trail.publish_pending(engine_for, warn)


def _say_error(line: str) -> None:
    # "sop: error:" in every language: the tag scripts and log searches look for.
    LazyConsole(stderr=True, soft_wrap=True).print(
        f"sop: error: {line}", markup=False, highlight=False
    )


def main() -> None:
    """Run the command; turn our errors and usage errors into one line and an exit code
    (sop_runner/errors.py, docs/exit-codes.md)."""
    if "--help" in sys.argv[1:]:  # a subcommand's help is typer's, not SopGroup's
        _help_words()
    try:
        for hook in startup().hooks:  # e.g. roll back network changes left behind
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
        LazyConsole(stderr=True, soft_wrap=True).print(
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
