"""Single use and one at a time: who holds a request's run, claimed atomically.

`sop run` claims the request's run before its first step: the request row is
locked (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite every writer begins
with ``BEGIN IMMEDIATE``, which already serialises them), and a second claim
while the first holds is refused "already running (run N by X since T)".  The
claim keeps the digest of a token that only the claiming process has; its plays
show the token to the gate (extra var ``sop_run``), so a plain ansible-playbook
started meanwhile is refused too.

A plain ansible-playbook (or AWX) passing the gate of a step that changes
something claims that step itself: a Run of status ``outside``.  Each gated step
of a request runs once that way; done, rejected, cancelled and expired requests
do not run at all.  A claim whose process died on this host is taken over.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_runner.errors import GateRefused, SopError
from sop_runner.i18n import _
from sop_runner.store.models import Request, Run, StepRecord

CLOSED = ("done", "rejected", "cancelled", "expired", "postponed")
OUTSIDE = "outside"


class AlreadyRunning(GateRefused):
    """Another run holds the request now: try again later (EX_TEMPFAIL)."""

    exit_code = 75


def assert_not_closed(request: Request) -> None:
    """Given a request, raise GateRefused if it is done, rejected, cancelled or expired."""
    if request.status not in CLOSED:
        return
    closed = request.closed or {}
    why = (
        _(" by {by} at {at}: {reason}").format(
            by=closed.get("by"), at=closed.get("at"), reason=closed.get("reason")
        )
        if closed.get("reason")
        else ""
    )
    raise GateRefused(
        _(
            "request {id} is {status}{why}; a {status} request does not run again: make a "
            "new request"
        ).format(id=request.id, status=_(request.status), why=why)
    )


def lock_request(session: Session, request_id: int) -> Request:
    """Given an open session, return the request with its row locked until the commit.

    Raise SopError if there is no such request.
    """
    request = session.scalars(
        select(Request).where(Request.id == request_id).with_for_update()
    ).one_or_none()
    if request is None:
        raise SopError(_("request: no request with id {id}").format(id=request_id))
    return request


def holder(run: Run) -> str:
    """Given a claimed run, return 'run N by X since T'."""
    claim = run.claim or {}
    since = claim.get("since") or run.started_at.isoformat(timespec="seconds")
    return f"run {run.id} by {claim.get('operator') or run.operator} since {since}"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _start_ticks(pid: int) -> str | None:
    """Given a process id, return its start time in clock ticks (None if it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _own_claim(operator: str, token: str) -> dict[str, Any]:
    pid = os.getpid()
    return {
        "operator": operator,
        "since": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": socket.gethostname(),
        "pid": pid,
        "pid_start": _start_ticks(pid),
        "token_sha256": _digest(token),
    }


def holds(run: Run) -> bool:
    """Given a running run, return whether its claimant still lives.

    A claim made on another host is taken to hold (its process cannot be seen).
    """
    claim = run.claim or {}
    if claim.get("host") != socket.gethostname() or "pid" not in claim:
        return True
    return _start_ticks(int(claim["pid"])) == claim.get("pid_start")


def _runs(session: Session, request_id: int) -> list[Run]:
    return list(
        session.scalars(select(Run).where(Run.request_id == request_id).order_by(Run.id)).all()
    )


def claim_run(session: Session, request_id: int, operator: str) -> tuple[Run, str, str]:
    """Given a session and who runs a request, claim its run; return the run, the token
    its plays show the gate, and what happened ('started', 'resumed', 'taken over').

    The request row stays locked until the caller commits (the caller signs the
    start or resumption in the same transaction).  Raise GateRefused if the request
    is closed or was run outside `sop run`, AlreadyRunning if a live run holds it,
    SopError if it was carried out already.
    """
    request = lock_request(session, request_id)
    assert_not_closed(request)
    runs = _runs(session, request_id)
    outside = next((r for r in runs if r.status == OUTSIDE), None)
    if outside is not None:
        raise GateRefused(
            _(
                "request {id}: step {step} ran outside `sop run` ({holder}); a request's gated "
                "steps run once: make a new request"
            ).format(id=request_id, step=(outside.claim or {}).get("step"), holder=holder(outside))
        )
    last = runs[-1] if runs else None
    if last is not None and last.status == "succeeded":
        raise SopError(
            _("request {id}: already carried out in run {run}").format(id=request_id, run=last.id)
        )
    token = secrets.token_urlsafe(32)
    if last is not None and last.status == "running" and holds(last):
        raise AlreadyRunning(
            _(
                "request {id}: already running ({holder}); let it finish, then `sop status {id}`"
            ).format(id=request_id, holder=holder(last))
        )
    if last is not None:
        how = "taken over" if last.status == "running" else "resumed"
        last.status, last.error, last.claim = "running", None, _own_claim(operator, token)
        return last, token, how
    run = Run(
        request_id=request_id,
        operator=operator,
        status="running",
        started_at=datetime.now(UTC),
        claim=_own_claim(operator, token),
    )
    session.add(run)
    session.flush()
    return run, token, "started"


def release(session: Session, run_id: int, why: str) -> bool:
    """Given a run its process is leaving while it still holds it, mark it failed
    (resumable); return whether it was still held."""
    run = session.get(Run, run_id)
    if run is None or run.status != "running":
        return False
    run.status, run.error = "failed", why
    return True


def gated_step(
    session: Session,
    request_id: int,
    step: int,
    sop_run: Mapping[str, Any] | None,
    who: str,
    playbook: str,
    origin: Mapping[str, Any] | None = None,
) -> int:
    """Given the gate of a step that changes something, return the run it belongs to.

    Inside `sop run` the play shows its claim (``sop_run``: the run's id and token).
    A plain ansible-playbook claims the step itself (a Run of status ``outside``),
    once per request and step; ``origin`` (AWX's job id and user) goes into its
    claim.  Raise GateRefused if the request is closed, the claim
    shown is not the running run's, another run holds the request, or the step ran
    already.
    """
    request = lock_request(session, request_id)
    assert_not_closed(request)
    runs = _runs(session, request_id)
    running = next((r for r in runs if r.status == "running"), None)
    if sop_run is not None:
        shown = _shown_claim(sop_run)
        if (
            running is None
            or shown is None
            or shown[0] != running.id
            or _digest(shown[1]) != (running.claim or {}).get("token_sha256")
        ):
            raise GateRefused(
                _(
                    "sop_run: not the claim of a running run of request {id}; "
                    "only `sop run` passes it"
                ).format(id=request_id)
            )
        return running.id
    if running is not None:
        raise AlreadyRunning(
            _("request {id}: already running ({holder})").format(
                id=request_id, holder=holder(running)
            )
        )
    # An outside run's own step record (plugins/callback/sop_records.py) is named as such.
    earlier = next(
        (r for r in runs if r.status == OUTSIDE and (r.claim or {}).get("step") == step), None
    )
    if earlier is not None:
        raise GateRefused(
            _(
                "step {step} of request {id} already ran through ansible-playbook "
                "({holder}); a request's gated step runs once: make a new request"
            ).format(step=step, id=request_id, holder=holder(earlier))
        )
    done = session.scalars(
        select(StepRecord).where(
            StepRecord.run_id.in_([r.id for r in runs]),
            StepRecord.step_number == step,
            StepRecord.status == "done",
        )
    ).first()
    if done is not None:
        raise GateRefused(
            _(
                "step {step} of request {id} already ran in run {run}; "
                "a request's gated step runs once: make a new request"
            ).format(step=step, id=request_id, run=done.run_id)
        )
    now = datetime.now(UTC)
    run = Run(
        request_id=request_id,
        operator=who,
        status=OUTSIDE,
        started_at=now,
        ended_at=now,
        claim={
            "operator": who,
            "since": now.isoformat(timespec="seconds"),
            "step": step,
            "playbook": playbook,
            "host": socket.gethostname(),
            "pid": os.getppid(),
            **(origin or {}),
        },
    )
    session.add(run)
    session.flush()
    return run.id


def _shown_claim(value: Mapping[str, Any]) -> tuple[int, str] | None:
    try:
        return int(value["id"]), str(value["token"])
    except (KeyError, TypeError, ValueError):
        return None
