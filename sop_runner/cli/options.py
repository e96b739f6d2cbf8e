"""What every `sop` command shares: its options, the language, the operator, durations.

Commands take these from here rather than each reading the settings, the
environment or a duration in their own way.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any

import typer

from sop_runner import durations
from sop_runner.config import Settings
from sop_runner.errors import SopError
from sop_runner.i18n import _, set_language
from sop_runner.lazy_console import LazyConsole

LANGUAGES = ("id", "en")

# Hidden characters of what people and hosts typed are shown (<U+202E>), never obeyed.
# Made at its first use; what scripts read is printed without rich (lazy_console.py).
out = LazyConsole(soft_wrap=True)

Lang = Annotated[str | None, typer.Option("--lang", help=_("id (Indonesian, default) or en"))]
As = Annotated[
    str | None,
    typer.Option("--as", help=_("operator name (default: $SOP_OPERATOR)"), show_default=False),
]
Json = Annotated[bool, typer.Option("--json", help=_("print JSON (schema: docs/json.md)"))]


def command(app: typer.Typer, function: Callable[..., Any], name: str | None = None) -> None:
    """Given an app and a command function, add it with its docstring as help, translated.

    The docstring is the English text (the msgid); the catalog gives the Indonesian.
    """
    app.command(name, help=_(inspect.getdoc(function) or ""))(function)


def subcommand(app: typer.Typer, name: str | None = None) -> Callable[[Any], Any]:
    """Given an app and a name, return a decorator adding a command as ``command`` does
    (help: the function's docstring, translated): ``@subcommand(cli, "report")``."""

    def add(function: Callable[..., Any]) -> Callable[..., Any]:
        command(app, function, name)
        return function

    return add


def choose_language(settings: Settings, lang: str | None) -> str:
    """Given the settings and a --lang option, return the language to speak.

    Raise SopError if it is neither 'id' nor 'en'.
    """
    chosen = lang or settings.lang
    if chosen not in LANGUAGES:
        raise SopError(
            _("--lang: {chosen!r} is not allowed; use 'id' or 'en'").format(chosen=chosen)
        )
    set_language(chosen)
    return chosen


def operator_name(as_: str | None) -> str | None:
    """Given an --as option, return the operator's name (or $SOP_OPERATOR, or None)."""
    return as_ or os.environ.get("SOP_OPERATOR")


def duration(text: str, option: str, maximum: timedelta | None = None) -> timedelta:
    """Given an option's duration text, return it read by the one grammar of `sop`."""
    return durations.parse(text, option, maximum=maximum)
