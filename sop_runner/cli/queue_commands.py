"""`sop requests`: the work orders, and what each waits for, and for whom."""

from __future__ import annotations

from typing import Annotated

import typer

from sop_runner.cli import views
from sop_runner.cli.options import As, Json, Lang, choose_language, command, operator_name, out
from sop_runner.cli.request_commands import waiting_line
from sop_runner.context import Context
from sop_runner.errors import SopError
from sop_runner.i18n import _

STATES = ("open", "done", "rejected", "cancelled", "expired")


def register(app: typer.Typer) -> None:
    """Given the app, add `sop requests` to it."""
    command(app, requests)


def requests(
    mine: Annotated[
        bool, typer.Option("--mine", help=_("only the requests I made (--as or $SOP_OPERATOR)"))
    ] = False,
    pending_for: Annotated[
        str | None,
        typer.Option("--pending-for", help=_("only those waiting for an approval NAME may give")),
    ] = None,
    state: Annotated[
        str | None,
        typer.Option(
            "--state", help=_("only those in this state: {states}").format(states=", ".join(STATES))
        ),
    ] = None,
    lang: Lang = None,
    as_json: Json = False,
    as_: As = None,
) -> None:
    """List the requests and what each waits for: an approval by whom, or a run."""
    ctx = Context()
    language = choose_language(ctx.settings, lang)
    if state is not None and state not in STATES:
        raise SopError(
            _("--state: {state!r} is not allowed; allowed: {states}").format(
                state=state, states=", ".join(STATES)
            )
        )
    me = None
    if mine:
        me = operator_name(as_) or _unix_operator(ctx)
    view = views.request_rows(ctx, mine=me, pending_for=pending_for, state=state, lang=language)
    if as_json:
        out.print(views.dumps(view), markup=False, highlight=False)
        return
    if not view["requests"]:
        out.print(_("no requests"), markup=False)
    for row in view["requests"]:
        out.print(
            f"{row['id']:>5}  {row['procedure']:<4} {_(row['status']):<10} "
            f"{row['requested_by']:<10} {', '.join(row['targets'])}  {row['created_at'][:16]}",
            markup=False,
        )
        for wait in row["waiting_for"]:
            out.print("       " + waiting_line(wait, row["id"]), markup=False)


def _unix_operator(ctx: Context) -> str:
    """Return the operator the Unix user maps to in the registry; raise SopError if none."""
    from sop_runner.trust.registry import current_unix_user

    user = current_unix_user()
    found = ctx.registry.by_unix_user(user)
    if found is None:
        raise SopError(
            _("--mine: Unix user {user!r} is no operator of the registry; give --as NAME").format(
                user=user
            )
        )
    return found.name
