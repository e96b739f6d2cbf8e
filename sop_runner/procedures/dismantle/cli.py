"""`sop dismantle report` and `sop dismantle sign`: the SOP 5.1 documents and certificates."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sop_runner.cli.options import As, Lang, choose_language, operator_name, out, subcommand
from sop_runner.context import Context
from sop_runner.i18n import N_, _
from sop_runner.procedures.dismantle import HELP
from sop_runner.procedures.dismantle.bootdisk import record_boot_disk
from sop_runner.procedures.dismantle.certificate import Signed, sign_certificates
from sop_runner.procedures.dismantle.documents import write_documents

cli = typer.Typer(help=_(HELP))
# The roles a certificate is signed as (dismantle/policy.py), shown in the person's language.
ROLES = {"performer": N_("performer"), "validator": N_("validator")}


def signed_line(signed: Signed) -> str:
    """Given a certificate signed, return its line for the person."""
    role = _(ROLES[signed.role]) if signed.role in ROLES else signed.role
    return _("signed {host}:{device} ({role})").format(
        host=signed.host, device=signed.device, role=role
    )


def boot_disk_line(host: str, device: str, tool: str, verified: bool, wipe_id: int) -> str:
    """Given a boot disk's erasure as recorded, return its line for the person."""
    state = _("verified") if verified else _("NOT verified")
    return _("recorded {host}:{device} ({tool}, {state}) as wipe {id}").format(
        host=host, device=device, tool=tool, state=state, id=wipe_id
    )


@subcommand(cli, "report")
def report_command(
    request_id: int,
    lang: Lang = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help=_("directory"))] = None,
) -> None:
    """Write the feasibility analysis and the dismantle report with its certificates."""
    ctx = Context()
    for path in write_documents(ctx, request_id, choose_language(ctx.settings, lang), out_dir):
        out.print(str(path))


@subcommand(cli, "sign")
def sign_command(request_id: int, as_: As = None) -> None:
    """Sign the certificates: the performer, then a second person validates."""
    for signed in sign_certificates(Context(), request_id, operator_name(as_)):
        out.print(signed_line(signed), markup=False)


@subcommand(cli, "boot-disk")
def boot_disk_command(
    request_id: int,
    host: Annotated[str, typer.Option("--host", help=_("the halted device (a request target)"))],
    device: Annotated[str, typer.Option("--device", help=_("its boot disk, e.g. /dev/sda"))],
    log: Annotated[Path, typer.Option("--log", help=_("the erasing tool's own log (nwipe)"))],
    method: Annotated[str, typer.Option("--method", help=_("clear or purge"))] = "clear",
    as_: As = None,
) -> None:
    """Record the boot disk's erasure by an external tool once step 5 halted the device."""
    row = record_boot_disk(Context(), request_id, operator_name(as_), host, device, log, method)
    line = boot_disk_line(row.host, row.device, row.tool, bool(row.verified), row.id)
    out.print(line, markup=False)
