"""Every `sop` command's --help as a person reads it, collected in a fresh process.

Help texts are built when the commands are defined, in the language of the process
(sop_runner/i18n.py), so they are read in a process of their own with the language
asked: ``help_texts("id")``.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator

from sop_runner.config import REPO_ROOT


def _paths() -> Iterator[list[str]]:
    import typer

    from sop_runner.cli.app import app
    from sop_runner.features import startup

    root = typer.main.get_group(app)
    ctx = root.make_context("sop", [], resilient_parsing=True)
    yield []
    for name in root.list_commands(ctx):
        if name in startup().commands:
            group = typer.main.get_group(startup().commands[name].load())
        else:
            group = root.get_command(ctx, name)
        yield from _walk(group, [name])


def _walk(command: object, path: list[str]) -> Iterator[list[str]]:
    yield path
    list_commands = getattr(command, "list_commands", None)
    if list_commands is None:
        return
    ctx = command.make_context(path[-1], [], resilient_parsing=True)  # type: ignore[attr-defined]
    for name in list_commands(ctx):
        yield from _walk(command.get_command(ctx, name), [*path, name])  # type: ignore[attr-defined]


def dump() -> None:
    """Print a JSON object: each command path ('' for `sop`) and its --help text."""
    cli_app = importlib.import_module("sop_runner.cli.app")

    texts: dict[str, str] = {}
    for path in list(_paths()):
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer), contextlib.suppress(SystemExit):
            sys.argv = ["sop", *path, "--help"]
            cli_app._help_words()
            cli_app.app([*path, "--help"], prog_name="sop", standalone_mode=False)
        texts[" ".join(path)] = buffer.getvalue()
    json.dump(texts, sys.stdout, ensure_ascii=False)


def help_texts(lang: str | None) -> dict[str, str]:
    """Given a language (None: nothing asked, so the default), return every command's help."""
    env = {k: v for k, v in os.environ.items() if k not in ("SOP_LANG", "LANG", "LC_ALL")}
    env.update(COLUMNS="200", SOP_CONFIG="/nonexistent/sop.yml", NO_COLOR="1", TERM="dumb")
    if lang is not None:
        env["SOP_LANG"] = lang
    done = subprocess.run(
        [sys.executable, "-c", "from tests.support.helptexts import dump; dump()"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(done.stdout))
