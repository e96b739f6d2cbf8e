"""2.1–2.3 requests and runs with the log book: a request names its visit, its report shows it.

A 2.1–2.3 request may carry ``visit`` (the log book entry); `sop request` checks that
the entry exists, is of the procedure's kind, that its rooms are the request's places
and (2.1) that ``coordinated`` says how the vendor was authorised.  A check-in may name
its request (``sop access checkin --request N``).  Either way the run's report (``sop
report``) shows the visit: who, authorised how, escorted by whom, the deposit, time in
and out against the Mutu Baku, the door locked and the paraf.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from sop_runner.context import Context
from sop_runner.errors import SopError
from sop_runner.features import ParamCheck
from sop_runner.i18n import _
from sop_runner.procedures.access import documents, policy
from sop_runner.procedures.access.models import AccessEntry
from sop_runner.procedures.access.words import WORDS
from sop_runner.store.models import Request, Run

KIND_OF = {procedure: kind for kind, procedure in policy.PROCEDURE_OF.items()}


def check_visit(ctx: Context, procedure: str, targets: list[str], params: dict[str, Any]) -> None:
    """Given a 2.1–2.3 request's procedure, places and parameters, raise SopError (naming the
    parameter) when its ``visit`` is no entry of the log book that fits it."""
    visit = params.get("visit")
    if visit is None:
        return
    with ctx.session() as session:
        entry = session.get(AccessEntry, int(visit))
        if entry is None:
            raise SopError(_("--param visit: no log book entry {id}").format(id=visit))
        if entry.kind != KIND_OF[procedure]:
            raise SopError(
                _("--param visit: entry {id} is a {kind}'s visit").format(id=visit, kind=entry.kind)
            )
        missing = sorted(set(entry.rooms) - set(targets))
        if missing:
            raise SopError(
                _(
                    "--param visit: entry {id} is in {places}; name those places as --target too"
                ).format(id=visit, places=", ".join(missing))
            )
        if "coordinated" in params and entry.kind == "vendor":
            coordinated = entry.authorisation == "coordination"
            if bool(params["coordinated"]) != coordinated:
                said = (
                    _("--param coordinated: entry {id} came after coordination: use true")
                    if coordinated
                    else _(
                        "--param coordinated: entry {id} came with the PJ's permission: use false"
                    )
                )
                raise SopError(said.format(id=visit))


def checker(procedure: str) -> ParamCheck:
    """Given a procedure id, return its parameter check (the kind of visitor it expects)."""

    def check(ctx: Context, targets: list[str], params: dict[str, Any]) -> None:
        check_visit(ctx, procedure, targets, params)

    return check


def check_request(ctx: Context, request_id: int, kind: str) -> None:
    """Given a check-in's --request, raise SopError unless it is a request of the kind's
    procedure (vendor 2.1, petugas 2.2, tamu 2.3)."""
    with ctx.session() as session:
        request = session.get(Request, request_id)
        expected = policy.PROCEDURE_OF[kind]
        if request is None:
            raise SopError(_("--request: no request {id}").format(id=request_id))
        if request.procedure_id != expected:
            raise SopError(
                _(
                    "--request: {id} is a {procedure} request; a {kind}'s "
                    "visit belongs to a {expected} request"
                ).format(
                    id=request_id, procedure=request.procedure_id, kind=kind, expected=expected
                )
            )


def section_data(session: Session, request: Request, run: Run | None, lang: str) -> dict[str, Any]:
    """Given a 2.1–2.3 request, return the visits of the log book its report shows."""
    visit = (request.params or {}).get("visit")
    condition = AccessEntry.request_id == request.id
    if visit is not None:
        condition = or_(condition, AccessEntry.id == int(visit))
    rows = session.scalars(select(AccessEntry).where(condition).order_by(AccessEntry.id)).all()
    return {"W": WORDS[lang], "rows": [documents.visit_row(session, r, lang) for r in rows]}
