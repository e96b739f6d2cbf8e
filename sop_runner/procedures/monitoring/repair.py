"""SOP 6.1's repair as a request of its own, made after the analysis.

A monitoring request (steps 1–4, 6) fixes no repair: what to repair is known only
once the petugas has analysed the records and reported the problem with a
recommendation (step 4).  The repair (step 5) is then requested on its own, with
its parameters, following that monitoring request (``follows``), signed by its
requester and approved by the penanggung jawab like any request: nothing of an
approved request changes afterwards.  A monitoring request whose analysis found
no problem has no repair request, and its step 5 stays "tidak berlaku".

Routine maintenance known before any analysis (a scheduled clean-up of a log or
temporary folder) may fix the repair's parameters in the monitoring request itself
(the form requests had before issue 16); it is approved before its run like any
request, and step 5 then applies to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.store.models import Request, Run, StepRecord

if TYPE_CHECKING:
    from sop_runner.context import Context

REPAIR_PARAMS = ("cleanup_path", "max_age_days")
PROBLEM_STEP = 4


def problem_report(ctx: Context, request_id: int) -> str:
    """Given a 6.1 monitoring request, return its problem report's text (step 4's note).

    Raise SopError if there is no such monitoring request or its step 4 (the problem
    report with a recommended repair) was not confirmed done.
    """
    with ctx.session() as session:
        followed = session.get(Request, request_id)
        if followed is None or followed.procedure_id != "6.1":
            raise SopError(
                _("--param follows: {id} is no 6.1 monitoring request").format(id=request_id)
            )
        if "follows" in (followed.params or {}):
            raise SopError(
                _(
                    "--param follows: request {id} is a repair request itself; "
                    "give the monitoring request whose problem report recommends the repair"
                ).format(id=request_id)
            )
        note = session.scalar(
            select(StepRecord.note)
            .join(Run, Run.id == StepRecord.run_id)
            .where(
                Run.request_id == request_id,
                StepRecord.step_number == PROBLEM_STEP,
                StepRecord.status == "done",
            )
            .order_by(StepRecord.id.desc())
        )
    if note is None:
        raise SopError(
            _(
                "--param follows: monitoring request {id} has no problem report yet "
                "(step {step} not confirmed); a repair is requested after the analysis"
            ).format(id=request_id, step=PROBLEM_STEP)
        )
    return note


def check_repair_request(ctx: Context, hosts: list[str], params: dict[str, Any]) -> None:
    """Given a 6.1 request's targets and checked parameters, return if it is well formed.

    A monitoring request carries none of the repair's parameters, or (routine
    maintenance) all of them; a repair request carries ``follows`` and all of them,
    on hosts of the monitoring request it follows, whose problem report exists.
    Raise SopError (one line naming the parameter) otherwise.
    """
    given = [name for name in REPAIR_PARAMS if name in params]
    missing = [name for name in REPAIR_PARAMS if name not in params]
    if "follows" not in params:
        if given and missing:
            raise SopError(
                _(
                    "--param {name}: the repair's parameters {first} and {second} "
                    "go together; a monitoring request needs neither (the repair is requested "
                    "after the analysis: --param follows=ID with both)"
                ).format(name=missing[0], first=REPAIR_PARAMS[0], second=REPAIR_PARAMS[1])
            )
        return
    if missing:
        raise SopError(
            _(
                "--param {name}: a repair request (follows={follows}) needs "
                "{first} and {second}: the repair's parameters are fixed when it is requested"
            ).format(
                name=missing[0],
                follows=params["follows"],
                first=REPAIR_PARAMS[0],
                second=REPAIR_PARAMS[1],
            )
        )
    problem_report(ctx, int(params["follows"]))
    with ctx.session() as session:
        followed = session.get(Request, int(params["follows"]))
        monitored = set(followed.targets if followed else [])
    outside = sorted(set(hosts) - monitored)
    if outside:
        raise SopError(
            _(
                "--target {host}: not monitored by request {id} "
                "(its targets: {targets}); a repair follows its analysis"
            ).format(host=outside[0], id=params["follows"], targets=", ".join(sorted(monitored)))
        )
