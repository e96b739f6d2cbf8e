"""What 1.3 computes itself: the spec's digest and the method's checks at `sop request`,
and step 3's branch from step 2's analysis at `sop run`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sop_runner.context import Context
from sop_runner.errors import SopError
from sop_runner.features import StepOutcome
from sop_runner.i18n import _
from sop_runner.procedures.software.spec import load_spec

if TYPE_CHECKING:
    from sop_runner.store.models import Request

PROCEDURE = "1.3"


def derive(inventory_dir: Path, targets: list[str], params: dict[str, Any]) -> dict[str, Any]:
    """Given the inventory's folder and a 1.3 request's parameters, return the SHA-256 of its
    software spec (the approval covers exactly that spec; the plays refuse another).

    Raise SopError if the spec is missing or wrong.
    """
    folder = inventory_dir if inventory_dir.is_dir() else inventory_dir.parent
    return {"spec_digest": load_spec(folder, str(params["software"])).digest}


def check(ctx: Context, targets: list[str], params: dict[str, Any]) -> None:
    """Given a 1.3 request, return if its method fits: the petugas installs only software
    whose source code was handed over (narrative step 5), a vendor's remote installation
    has its 2.4 grant (narrative step 6).

    Raise SopError naming the parameter otherwise.
    """
    if params.get("method", "petugas") == "petugas":
        folder = ctx.settings.inventory
        spec = load_spec(folder if folder.is_dir() else folder.parent, str(params["software"]))
        if not spec.source_code_handed_over:
            raise SopError(
                _(
                    "method: petugas installs only software whose source code was handed over "
                    "to Diskominfo ({software}: source_code_handed_over is false); use "
                    "method=vendor_remote"
                ).format(software=spec.name)
            )
        return
    from sop_runner.procedures.grants import api as grants

    with ctx.session() as session:
        missing = [host for host in targets if not grants.open_grants_on(session, host)]
    if missing:
        raise SopError(
            _(
                "method: vendor_remote needs an open remote access grant (SOP 2.4) to "
                "{hosts}; open one with `sop grant open` first"
            ).format(hosts=", ".join(missing))
        )


def branch_of(targets: list[str], analyses: dict[str, list[dict[str, Any]]]) -> StepOutcome:
    """Given a request's targets and {host: results of its analysis}, return step 3's
    branch: tersedia when every target meets the spec, tidak_tersedia (with the unmet
    requirements as its note) otherwise.

    Raise SopError naming the targets that have no analysis.
    """
    missing = sorted(set(targets) - set(analyses))
    if missing:
        raise SopError(
            _(
                "step 3: no environment analysis of {hosts} in this run; "
                "step 2 (software_environment.yml) writes it"
            ).format(hosts=", ".join(missing))
        )
    short = {
        host: [f"{r['check']} (butuh {r['needed']}, ada {r['found']})" for r in rows
               if not r["ok"]]
        for host, rows in sorted(analyses.items())
    }  # fmt: skip
    short = {host: lines for host, lines in short.items() if lines}
    if not short:
        return StepOutcome("tersedia", "environment sesuai spesifikasi pada semua target", {})
    note = "; ".join(f"{host}: {', '.join(lines)}" for host, lines in short.items())
    return StepOutcome("tidak_tersedia", f"tidak terpenuhi — {note}", {"unmet": short})


def environment_branch(
    ctx: Context, request: Request, run_id: int, number: int, operator: str
) -> StepOutcome | None:
    """Given a 1.3 run at step 3, return the branch step 2's analysis decides (branch_of).

    Raise SopError (the run waits) when the run has no analysis of every target.
    """
    from sqlalchemy import select

    from sop_runner.procedures.software.models import SoftwareAnalysis

    with ctx.session() as session:
        rows = session.scalars(
            select(SoftwareAnalysis).where(SoftwareAnalysis.run_id == run_id)
        ).all()
        analyses = {row.host: list(row.results) for row in rows}
    return branch_of(list(request.targets), analyses)
