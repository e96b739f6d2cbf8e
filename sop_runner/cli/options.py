"""What every `sop` command shares: its options, the language, the operator, durations.

Commands take these from here rather than each reading the settings, the
environment or a duration in their own way.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Annotated

import typer

from sop_runner import durations
from sop_runner.config import Settings
from sop_runner.errors import SopError
from sop_runner.terminal import SafeConsole

LANGUAGES = ("id", "en")

# Hidden characters of what people and hosts typed are shown (<U+202E>), never obeyed.
out = SafeConsole(soft_wrap=True)

Lang = Annotated[str | None, typer.Option("--lang", help="id (Indonesian, default) or en")]
As = Annotated[
    str | None,
    typer.Option("--as", help="operator name (default: $SOP_OPERATOR)", show_default=False),
]


def choose_language(settings: Settings, lang: str | None) -> str:
    """Given the settings and a --lang option, return the language to speak.

    Raise SopError if it is neither 'id' nor 'en'.
    """
    chosen = lang or settings.lang
    if chosen not in LANGUAGES:
        raise SopError(f"--lang: {chosen!r} is not allowed; use 'id' or 'en'")
    return chosen


def operator_name(as_: str | None) -> str | None:
    """Given an --as option, return the operator's name (or $SOP_OPERATOR, or None)."""
    return as_ or os.environ.get("SOP_OPERATOR")


def duration(text: str, option: str, maximum: timedelta | None = None) -> timedelta:
    """Given an option's duration text, return it read by the one grammar of `sop`."""
    return durations.parse(text, option, maximum=maximum)
