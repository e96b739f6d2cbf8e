"""`sop keys init`, `sop audit verify|show|checkpoint`, `sop store harden`, `sop lab`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from sop_runner import keys
from sop_runner.cli import views
from sop_runner.cli.options import As, Json, command, operator_name, out
from sop_runner.context import Context
from sop_runner.errors import SopError
from sop_runner.i18n import _

keys_app = typer.Typer(help=_("Operator keys (ed25519), kept in the operator's home."))
audit_app = typer.Typer(help=_("The append-only audit trail."))
store_app = typer.Typer(help=_("The store: its guards and privileges."))


def register(app: typer.Typer) -> None:
    """Given the app, add the keys, audit and lab commands to it."""
    app.add_typer(keys_app, name="keys")
    app.add_typer(audit_app, name="audit")
    app.add_typer(store_app, name="store")
    command(keys_app, keys_init, "init")
    command(audit_app, audit_verify, "verify")
    command(audit_app, audit_checkpoint, "checkpoint")
    command(audit_app, audit_show, "show")
    command(store_app, store_harden, "harden")
    command(app, lab)


def keys_init(
    as_: As = None,
    force: Annotated[bool, typer.Option(help=_("replace an existing key"))] = False,
    roles: Annotated[str, typer.Option(help=_("comma-separated roles for the entry"))] = "petugas",
) -> None:
    """Create your private key (0600, in your home) and print your registry entry.

    The entry goes to the pimpinan, who adds it to the next signed registry
    version (`sop operators propose` / `sop operators sign`).
    """
    from sop_runner.config import load_settings
    from sop_runner.trust.names import check_name
    from sop_runner.trust.registry import current_unix_user

    name = check_name(operator_name(as_), "--as")
    settings = load_settings()
    public = keys.init_key(settings.key_dir, name, force)
    out.print("# for the next registry version (sop operators propose):", markup=False)
    out.print(
        f"  - name: {name}\n    unix_user: {current_unix_user()}\n    roles: [{roles}]\n"
        f"    public_key: {public}",
        markup=False,
    )


def audit_verify() -> None:
    """Check the audit chain, its signatures, its rows and (with a trust file) its witness.

    Exit 1 when something was found, 3 when the witness could not be read.
    """
    from sop_runner.trust import anchor

    ctx = Context()
    verdict = anchor.verify_with_trust(ctx.engine, ctx.settings.trust)
    for line in verdict.lines():
        out.print(line, markup=False, highlight=False)
    if not verdict.intact:
        raise typer.Exit(1 if verdict.findings else 3)


def audit_checkpoint(as_: As = None) -> None:
    """Sign a checkpoint of the chain as it is now and hand it to the witness."""
    from sop_runner.store import engine_for
    from sop_runner.trust import registry, trail, trustfile

    ctx = Context()
    trust = trustfile.load_trust()
    operator = registry.current(trust).operator(operator_name(as_))
    private_key = keys.load_key(ctx.settings.key_dir, operator.name)
    if keys.public_key_b64(private_key) != operator.public_key:
        raise SopError(
            _("--as: the key in {key_dir} is not {name}'s key").format(
                key_dir=ctx.settings.key_dir, name=operator.name
            )
        )
    checkpoint = trail.publish_head(engine_for(trust.store), trust, operator.name, private_key)
    out.print(
        _("checkpoint published: {size} entries, head {head}…, signed by {signer}").format(
            size=checkpoint.size, head=checkpoint.head_hash[:16], signer=checkpoint.signer
        ),
        markup=False,
    )


def store_harden(
    admin_url: Annotated[
        str, typer.Option(help=_("postgresql://OWNER@HOST/DB, no password (use ~/.pgpass)"))
    ],
    app_role: Annotated[
        str | None, typer.Option(help=_("the role sop connects as (default: the store URL's user)"))
    ] = None,
    check: Annotated[bool, typer.Option(help=_("only list the grants"))] = False,
) -> None:
    """Create the schema as the owner, guard the audit table, grant the application role."""
    from sqlalchemy.engine import make_url

    from sop_runner.store import hardening

    # The administrator may harden a store before a trust file names it: with
    # --app-role the store URL is not needed.
    store_url = "" if app_role else Context().settings.db_url
    role = app_role or (make_url(store_url).username if "://" in store_url else None)
    if not role:
        raise SopError(_("--app-role: required; the store URL names no user"))
    statements = hardening.harden_store(admin_url, role, check=check)
    heading = (
        _("store harden (would run) for application role {role}:")
        if check
        else _("store harden (ran) for application role {role}:")
    )
    out.print(heading.format(role=role), markup=False)
    for statement in statements:
        out.print(f"  {statement};", markup=False, highlight=False)
    if not check:
        out.print(_("audit_entries: UPDATE, DELETE and TRUNCATE refused by trigger"), markup=False)


def audit_show(
    last: Annotated[int, typer.Option(help=_("how many of the newest"))] = 20,
    as_json: Json = False,
) -> None:
    """Show the newest audit entries."""
    if last < 1:
        raise SopError(
            _("--last: {last} is not allowed; allowed: a whole number from 1").format(last=last)
        )
    view = views.audit_entries(Context(), last)
    if as_json:
        out.print(views.dumps(view), markup=False, highlight=False)
        return
    for entry in view["entries"]:
        out.print(
            f"{entry['seq']:>6} {entry['time'][:19]} {entry['actor']:<12} "
            f"{entry['action']:<18} {entry['subject']}",
            markup=False,
        )


def lab(action: Annotated[str, typer.Argument(help="up | down | status")]) -> None:
    """Bring the lab (real hosts in namespaces) up or down."""
    if action not in ("up", "down", "status"):
        raise SopError(
            _("lab: {action!r} is not allowed; use up, down or status").format(action=action)
        )
    import subprocess

    raise typer.Exit(subprocess.call([sys.executable, "-m", "sop_runner.lab", action]))
