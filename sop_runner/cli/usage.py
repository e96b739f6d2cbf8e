"""Usage errors of the command line (typer's bundled click) as one line: what, and what is allowed.

Click prints a usage block, a hint and an error over three or four lines (and
bare ``sop`` the whole help); a petugas reading a cron mail or an AWX log wants
one line naming the command, the option or argument, and what it accepts.
"""

from __future__ import annotations

import re
from typing import Any

from sop_runner.i18n import N_, _

# pydantic's error types (typer coerces through it) and the words for what is allowed.
_ALLOWED_BY_TYPE = {
    "int_parsing": N_("a whole number, like 12"),
    "int_from_float": N_("a whole number, like 12"),
    "float_parsing": N_("a number, like 1.5"),
    "bool_parsing": N_("yes or no (true, false)"),
}


def command_path(ctx: Any) -> str:
    """Given a click context, return the subcommand as typed ('backup schedule'; '' at the top)."""
    path = ctx.command_path.split()
    root = ctx.find_root().command_path.split()
    return " ".join(path[len(root) :])


def _param_name(param: Any) -> str:
    if param is None:
        return "?"
    if getattr(param, "param_type_name", "") == "option":
        longest = sorted(param.opts, key=len)[-1]
        return str(longest)
    return str(getattr(param, "display_name_raw", None) or param.name).upper()


def _options_of(ctx: Any) -> str:
    names = [sorted(p.opts, key=len)[-1] for p in ctx.command.params if p.opts]
    names = [n for n in names if n.startswith("--")]
    return ", ".join(sorted({*names, "--help"}))


def _commands_of(ctx: Any) -> str:
    list_commands = getattr(ctx.command, "list_commands", None)
    return ", ".join(list_commands(ctx)) if list_commands else ""


def _bad_value(error: Any) -> tuple[Any, str] | None:
    cause = error.__cause__
    errors = getattr(cause, "errors", None)
    if not callable(errors):
        return None
    first = errors()[0]
    kind = _ALLOWED_BY_TYPE.get(first.get("type", ""))
    return (first.get("input"), _(kind)) if kind else (first.get("input"), first.get("msg", ""))


def one_line(error: Any) -> str:
    """Given a click usage error, return one line: the command, what was wrong, what is allowed.

    The line starts with the subcommand ('backup schedule: …'); an error this
    module does not know is given in click's own words, still on one line.
    """
    where = command_path(error.ctx) if error.ctx is not None else ""
    try:
        line = _explain(error, where)
    except Exception:  # a click this module has not seen: its own words, never a traceback
        line = error.format_message()
    return " ".join(f"{where}: {line}".split()) if where else " ".join(line.split())


def _explain(error: Any, where: str) -> str:
    ctx = error.ctx
    kind = type(error).__name__
    message = error.message or ""
    if kind == "NoArgsIsHelpError":
        return _("a command is needed; allowed: {commands} (see `sop {where} --help`)").format(
            where=where, commands=_commands_of(ctx)
        )
    if kind == "UsageError" and message.startswith("Missing command"):
        return _("a command is needed; allowed: {commands} (see `sop {where} --help`)").format(
            where=where, commands=_commands_of(ctx)
        )
    if kind == "NoSuchOption":
        return _("{option}: no such option; allowed: {options}").format(
            where=where, option=error.option_name, options=_options_of(ctx)
        )
    if kind == "MissingParameter":
        param = error.param
        help_text = getattr(param, "help", None) or ""
        return _("{name} is missing; it is required{help}").format(
            where=where, name=_param_name(param), help=f" ({help_text})" if help_text else ""
        )
    if kind == "BadParameter":
        bad = _bad_value(error)
        if bad is not None:
            value, allowed = bad
            return _("{name}: {value!r} is not allowed; allowed: {allowed}").format(
                where=where, name=_param_name(error.param), value=value, allowed=allowed
            )
        return f"{_param_name(error.param)}: {message}"
    if kind == "BadOptionUsage" and "requires an argument" in message:
        return _("{option} needs a value").format(where=where, option=error.option_name)
    unknown = re.match(r"No such command '(.*?)'", message)
    if unknown:
        return _("{name!r} is not a command; allowed: {commands}").format(
            where=where, name=unknown.group(1), commands=_commands_of(ctx)
        )
    extra = re.match(r"Got unexpected extra argument.*? \((.*)\)", message)
    if extra:
        return _("{extra}: unexpected argument; see `sop {where} --help`").format(
            where=where, extra=extra.group(1)
        )
    return str(error.format_message())
