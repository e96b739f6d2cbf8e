"""`sop keys init`, `sop audit verify|show`, `sop lab`: keys, the audit trail, the lab."""

from __future__ import annotations

import json
import re
import sys
from typing import Annotated

import typer

from sop_runner import audit, keys
from sop_runner.cli.options import As, operator_name, out
from sop_runner.context import Context
from sop_runner.errors import SopError

keys_app = typer.Typer(help="Operator keys (ed25519), kept in the operator's home.")
audit_app = typer.Typer(help="The append-only audit trail.")


def register(app: typer.Typer) -> None:
    """Given the app, add the keys, audit and lab commands to it."""
    app.add_typer(keys_app, name="keys")
    app.add_typer(audit_app, name="audit")
    app.command()(lab)


@keys_app.command("init")
def keys_init(
    as_: As = None,
    force: Annotated[bool, typer.Option(help="replace an existing key")] = False,
    roles: Annotated[str, typer.Option(help="comma-separated roles for the entry")] = "petugas",
) -> None:
    """Create your private key (0600, in your home) and print your operators.yml entry."""
    name = operator_name(as_)
    if not name or not re.match(r"^[a-z][a-z0-9_.-]*$", name):
        raise SopError("--as: an operator name of lowercase letters, digits, '.', '_' or '-'")
    ctx = Context()
    public = keys.init_key(ctx.settings.key_dir, name, force)
    out.print(f"# add to {ctx.settings.operators_file}:", markup=False)
    out.print(f"  - name: {name}\n    roles: [{roles}]\n    public_key: {public}", markup=False)


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the whole audit chain; name the first entry that was tampered with."""
    ctx = Context()
    count, finding = audit.verify(ctx.engine)
    if finding is not None:
        out.print(f"audit chain BROKEN at entry {finding.seq}: {finding.kind}: {finding.message}")
        raise typer.Exit(1)
    out.print(f"audit chain intact: {count} entries")


@audit_app.command("show")
def audit_show(last: Annotated[int, typer.Option(help="how many of the newest")] = 20) -> None:
    """Show the newest audit entries."""
    from sqlalchemy import select

    from sop_runner.store.models import AuditEntry

    ctx = Context()
    with ctx.session() as session:
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(last))
        for row in reversed(list(rows)):
            entry = json.loads(row.content)
            out.print(
                f"{row.seq:>6} {entry['time'][:19]} {entry['actor']:<12} "
                f"{entry['action']:<18} {entry['subject']}"
            )


def lab(action: Annotated[str, typer.Argument(help="up | down | status")]) -> None:
    """Bring the lab (real hosts in namespaces) up or down."""
    if action not in ("up", "down", "status"):
        raise SopError(f"lab: {action!r} is not allowed; use up, down or status")
    import subprocess

    raise typer.Exit(subprocess.call([sys.executable, "-m", "sop_runner.lab", action]))
