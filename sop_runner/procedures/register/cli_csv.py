"""`sop register export|import|discover`: the register out and in (NetBox CSV, Ansible facts)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sop_runner.cli.options import As, command
from sop_runner.context import Context
from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.procedures.register import csvio
from sop_runner.procedures.register.cli import change, say


def attach(cli: typer.Typer) -> None:
    """Given the `sop register` app, add export and import."""
    command(cli, export_command, "export")
    command(cli, import_command, "import")
    command(cli, discover_command, "discover")
    command(cli, upgrade_store_command, "upgrade-store")


def export_command(
    folder: Annotated[Path, typer.Argument(help=_("folder to write the CSV files into"))],
) -> None:
    """Write the register as NetBox import CSV files (locations, racks, devices, …)."""
    with Context().session() as session:
        texts = csvio.export(session)
    folder.mkdir(parents=True, exist_ok=True)
    for table in csvio.TABLES:
        (folder / f"{table}.csv").write_text(texts[table], encoding="utf-8")
    say(_("{count} CSV files in {folder}").format(count=len(texts), folder=folder))


def import_command(
    file: Annotated[Path, typer.Argument(help=_("a devices CSV in NetBox's import shape"))],
    as_: As = None,
) -> None:
    """Register the devices of a NetBox-shaped devices CSV (all rows or none)."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SopError(
            _("file: {file}: cannot be read as UTF-8 text ({error})").format(file=file, error=error)
        ) from None
    added = change(as_, lambda s, who: csvio.import_devices(s, text, who))
    say(_("{count} devices registered: {names}").format(count=len(added), names=", ".join(added)))


def discover_command(
    facts: Annotated[
        Path, typer.Argument(help=_("folder of fact files (ansible -m setup --tree)"))
    ],
    as_: As = None,
) -> None:
    """Fill the register from Ansible facts: serial, MAC, addresses, CPU, RAM, disks."""
    from sop_runner.procedures.register.discovery import discover, load_facts

    found = load_facts(facts)
    ctx = Context()
    inventory = ctx.inventory
    groups = {
        host: [g for g, members in inventory.groups.items() if host in members] for host in found
    }
    changed = change(as_, lambda s, who: discover(s, found, who, groups))
    for host, what in changed.items():
        say(f"{host}: {', '.join(what) or _('unchanged')}")


def upgrade_store_command() -> None:
    """Add the register columns a store made before issue 18 lacks (once; then nothing)."""
    from sop_runner.procedures.register.upgrade_store import add_columns

    added = add_columns(Context().engine)
    say(
        _("added: {columns}").format(columns=", ".join(added))
        if added
        else _("the store is up to date")
    )
