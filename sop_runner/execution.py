"""`sop run`: walk a procedure's steps for one request, recording each.

Human steps are confirmed (interactively or with --confirm), gates need a
valid approval, automated steps run their playbook through the runner
adapter.  A failed step stops the run; the next `sop run` resumes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from sop_runner import audit, claims, failure_branch, gates, impact, records
from sop_runner.answers import Answers, Timing, given_timing
from sop_runner.catalog import Procedure, Step
from sop_runner.catalog.branches import applies
from sop_runner.context import Context
from sop_runner.errors import SopError, StepFailed, Waiting
from sop_runner.features import StepOutcome
from sop_runner.i18n import _, language
from sop_runner.operators import ROLES, Acting, require_role
from sop_runner.requests import get_request
from sop_runner.run_events import EventSink
from sop_runner.runner import run_playbook
from sop_runner.store.models import Request, Run, StepRecord


class RunUI:
    """What the run loop tells the person at the terminal (quiet by default)."""

    def step_started(self, step: Step) -> None: ...

    def step_ended(self, step: Step, record: StepRecord) -> None: ...

    def event(self, event: dict[str, Any]) -> None: ...

    def ask_confirmation(self, step: Step) -> str | None:
        return None

    def ask_choice(self, step: Step) -> str | None:
        return None

    def ask_person(self, step: Step) -> str | None:
        return None


@dataclass
class RunOutcome:
    run_id: int
    status: str
    steps_done: int


def _current_run(ctx: Context, request: Request, acting: Acting) -> tuple[Run, str]:
    """Given a request, claim its run for this process (sop_runner/claims.py); return the
    run and the token its plays show the gate.  The claim is signed with the start."""
    with ctx.session() as session:
        run, token, how = claims.claim_run(session, request.id, acting.name)
        if how == "started":
            acting.sign(
                session,
                "run.started",
                f"run/{run.id}",
                {"request": request.id, "procedure": request.procedure_id},
            )
        else:
            action = "run.resumed" if how == "resumed" else "run.taken_over"
            acting.sign(session, action, f"run/{run.id}", {"request": request.id})
        return run, token


def _checked_request(ctx: Context, request: Request, procedure: Procedure) -> impact.Impact:
    """Given a request about to run, return its impact, the one it fixed when it was made.

    Raise GateRefused if the request is closed, unsigned or its impact moved.
    """
    claims.assert_not_closed(request)
    gates.assert_request_signed(request, ctx.trusted)
    the_impact = impact.analyse(procedure, ctx.inventory, request.targets, request.params)
    gates.assert_impact_fixed(request, procedure, the_impact)
    return the_impact


def _release(ctx: Context, run: Run, operator: str, error: BaseException) -> None:
    """Given a run its process leaves on an unexpected error, let go of its claim."""
    why = f"interrupted: {error.__class__.__name__}: {str(error)[:300]}"
    with ctx.session() as session:
        if claims.release(session, run.id, why):
            audit.append(session, operator, "run.failed", f"run/{run.id}", {"why": why})


def step_role(step: Step) -> str:
    """Given a step, return the role of the operator who confirms or runs it.

    The step's actor when that is an operator's role (a penanggung jawab's or the
    Pimpinan's step is theirs alone); a vendor's, guest's or user's step is
    confirmed by the petugas who escorts or serves them, naming the person.
    """
    return step.actor if step.actor in ROLES else "petugas"


# The words a record's status is shown with (reports, terminal).
ENDED = {"postponed": "ditunda", "cancelled": "dibatalkan"}


def _finish_step(
    ctx: Context,
    run: Run,
    step: Step,
    started: datetime,
    status: str,
    acting: Acting,
    note: str = "",
    data: dict[str, Any] | None = None,
    ident: str | None = None,
    timing: Timing | None = None,
) -> StepRecord:
    operator = acting.name
    # A machine's step is timed here; a person's step by its Timing (never a made-up 0).
    timing = timing or Timing(started, datetime.now(UTC), "measured")
    duration = timing.seconds
    limit = step.standard_time.max_seconds if step.standard_time else None
    record = StepRecord(
        run_id=run.id,
        step_number=step.number,
        kind=step.kind,
        status=status,
        confirmed_by=operator,
        note=note,
        started_at=timing.started,
        ended_at=timing.ended,
        duration_seconds=duration,
        standard_max_seconds=limit,
        over_standard=limit is not None and duration is not None and duration > limit,
        runner_ident=ident,
        data={**(data or {}), "timing": timing.how},
    )
    with ctx.session() as session:
        session.add(record)
        # A failed step's records count too (e.g. a failed dump's failure record, SOP 7.2):
        # whatever the playbook handed back before it stopped is written.
        if data:
            counts = records.store_artifacts(session, run.id, data, ctx.features.recorders)
            if counts:
                record.data = {**record.data, "records_written": counts}
        session.flush()
        entry = {
            "kind": step.kind,
            "duration_seconds": None if duration is None else round(duration, 3),
            "timing": timing.how,
            "over_standard": record.over_standard,
            "note": note,
            **{k: v for k, v in (data or {}).items() if k in ("choice", "person")},
        }
        subject = f"run/{run.id}/step/{step.number}"
        if step.kind == "human":
            # The confirmation is the person's paraf: signed with their own key (also
            # "tidak berlaku": the person attests the branch left the step out).
            record.signed = acting.sign(session, f"step.{status}", subject, entry)
        else:
            audit.append(session, operator, f"step.{status}", subject, entry)
    return record


def _fail_run(ctx: Context, run: Run, operator: str, status: str, why: str) -> None:
    with ctx.session() as session:
        row = session.get(Run, run.id)
        assert row is not None
        row.status, row.error = status, why
        audit.append(session, operator, f"run.{status}", f"run/{run.id}", {"why": why})


def _attempt(ctx: Context, run: Run, step: Step) -> int:
    with ctx.session() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(StepRecord)
                .where(StepRecord.run_id == run.id, StepRecord.step_number == step.number)
            )
            or 0
        )


def run_request(
    ctx: Context,
    request_id: int,
    operator_name: str | None,
    confirmations: dict[int, str] | None = None,
    ui: RunUI | None = None,
    answers: Answers | None = None,
) -> RunOutcome:
    """Given an approved request, carry out its procedure step by step.

    ``confirmations`` (or ``answers.notes``) are the human steps' notes;
    ``answers`` also carries the branches taken, the steps' real times and the
    persons of a vendor's or guest's party.  Raise GateRefused when a gate lacks
    a valid approval, SopError when a human step lacks its confirmation, choice
    or person, StepFailed when a playbook fails; the run is left resumable in
    each case.  A branch that postpones or cancels ends the run as such.
    """
    ui = ui or RunUI()
    answers = answers or Answers()
    answers.notes = {**answers.notes, **(confirmations or {})}
    acting = ctx.actor(operator_name)
    operator = acting.name
    with ctx.session() as session:
        request = get_request(session, request_id)
    procedure: Procedure = ctx.catalog.get(request.procedure_id)
    unknown = sorted(answers.steps() - {s.number for s in procedure.steps})
    if unknown:
        said = _("--confirm: step {n} is not a step of {procedure} (steps 1–{last})")
        raise SopError(said.format(n=unknown[0], procedure=procedure.id, last=len(procedure.steps)))
    _check_answers(procedure, answers)
    the_impact = _checked_request(ctx, request, procedure)
    longest = gates.longest_approval(procedure, ctx.settings.trust.approval_max)
    run, token = _current_run(ctx, request, acting)
    try:
        return _run_steps(
            ctx, request_id, procedure, the_impact, longest, run, token, acting, ui, answers
        )
    except BaseException as error:
        _release(ctx, run, operator, error)
        raise


def _check_answers(procedure: Procedure, answers: Answers) -> None:
    """Given a run's answers, raise SopError (before anything is claimed or written) for a
    branch a step does not have, or a time that is not one."""
    for number, key in sorted(answers.choices.items()):
        step = procedure.step(number)
        if step.choice(key) is None:
            allowed = ", ".join(c.key for c in step.choices) or _("none (it is not a branch)")
            raise SopError(
                _("--choose {n}: {key!r} is not allowed; allowed: {allowed}").format(
                    n=number, key=key, allowed=allowed
                )
            )
    now = datetime.now(UTC)
    for number, text in sorted(answers.times.items()):
        given_timing(text, number, now)


def _waiting(ctx: Context, run: Run, acting: Acting, why: str) -> Waiting:
    """Given why a run cannot go on, mark it waiting and return the error to raise."""
    _fail_run(ctx, run, acting.name, "waiting", why)
    return Waiting(why)


def _human(
    ctx: Context,
    run: Run,
    step: Step,
    acting: Acting,
    ui: RunUI,
    answers: Answers,
    shown: datetime,
    computed: StepOutcome | None = None,  # what a feature computed (issue 18)
) -> StepRecord:
    """Given a human step, take its confirmation (a note; a branch and its reason; the
    person of a vendor's or guest's party; the real times) and record it, signed.

    Raise SopError (the run left waiting) when any of them is missing or wrong.
    """
    lang = language()
    data: dict[str, Any] = dict(computed.data) if computed else {}
    choice = None
    given = answers.choices.get(step.number)
    given = computed.decide(given, step.number) if computed else given
    if step.choices:
        key = given or ui.ask_choice(step)
        allowed = ", ".join(c.key for c in step.choices)
        if key is None:
            raise _waiting(
                ctx,
                run,
                acting,
                _(
                    "step {n} ({activity}) is a branch of the document: choose one with "
                    "--choose {n}=KEY (allowed: {allowed}) and give the reason with "
                    "--confirm {n}=NOTE"
                ).format(n=step.number, activity=step.activity.get(lang), allowed=allowed),
            )
        choice = step.choice(key)
        if choice is None:
            raise SopError(
                _("--choose {n}: {key!r} is not allowed; allowed: {allowed}").format(
                    n=step.number, key=key, allowed=allowed
                )
            )
        data["choice"] = key
    if step.actor not in ROLES:
        person = answers.persons.get(step.number) or answers.person or ui.ask_person(step)
        if not person:
            raise _waiting(
                ctx,
                run,
                acting,
                _(
                    "step {n} ({activity}) is done by the {actor}: the escorting petugas names "
                    "the person with --person {n}=NAME (or --person NAME)"
                ).format(n=step.number, activity=step.activity.get(lang), actor=step.actor),
            )
        data["person"] = person
    default = computed.note if computed else None  # what a feature computed (issue 18)
    asked = step.number not in answers.notes and not default
    note = answers.notes.get(step.number) or default or ui.ask_confirmation(step)
    if note is None:
        raise _waiting(
            ctx,
            run,
            acting,
            _(
                "step {n} ({activity}) needs a confirmation: give --confirm {n}=NOTE or run "
                "interactively"
            ).format(n=step.number, activity=step.activity.get(lang)),
        )
    now = datetime.now(UTC)
    if step.number in answers.times:
        timing = given_timing(answers.times[step.number], step.number, now)
    else:
        # Shown → confirmed is the step's time only when the person answered the prompt.
        timing = Timing(shown, now, "measured" if asked else "unknown")
    status = "not_applicable" if choice is not None and not choice.step_applies else "done"
    return _finish_step(ctx, run, step, shown, status, acting, note, data, timing=timing)


def _not_applicable(
    ctx: Context, run: Run, step: Step, acting: Acting, why: str, status: str = "not_applicable"
) -> StepRecord:
    """Given a step the branch taken rules out, record it as "tidak berlaku" (no time)."""
    now = datetime.now(UTC)
    return _finish_step(
        ctx, run, step, now, status, acting, why, timing=Timing(now, now, "unknown")
    )


def _end_early(
    ctx: Context,
    run: Run,
    request_id: int,
    procedure: Procedure,
    step: Step,
    ending: str,
    acting: Acting,
    because: str = "",
) -> None:
    """Given the step after which the document ends the run ("ditunda", "dibatalkan"),
    record the steps left as "tidak berlaku" and close the run and its request, signed
    (``because``: what made it end, e.g. the failure of a test)."""
    ended = f"{ENDED[ending]} pada langkah {step.doc_number}"
    why = ended + (f": {because}" if because else "")
    for later in procedure.steps[step.number :]:  # the reason once, on the run, not on each
        _not_applicable(ctx, run, later, acting, f"tidak berlaku: {ended}")
    with ctx.session() as session:
        row = session.get(Run, run.id)
        req = session.get(Request, request_id)
        assert row is not None and req is not None
        row.status, row.ended_at, row.error = ending, datetime.now(UTC), why
        signed = acting.sign(
            session,
            f"run.{ending}",
            f"run/{run.id}",
            {"request": request_id, "step": step.number, "why": why},
        )
        req.status = ending
        req.closed = {
            "status": ending,
            "by": acting.name,
            "at": signed.get("time") or datetime.now(UTC).isoformat(timespec="seconds"),
            "reason": why,
        }


def _decided(ctx: Context, run: Run) -> tuple[set[int], dict[int, str]]:
    """Given a run, return the steps it has settled and the choices taken so far."""
    with ctx.session() as session:
        rows = session.scalars(
            select(StepRecord).where(
                StepRecord.run_id == run.id,
                StepRecord.status.in_(("done", "skipped", "not_applicable")),
            )
        ).all()
    choices = {r.step_number: r.data["choice"] for r in rows if "choice" in (r.data or {})}
    return {r.step_number for r in rows}, choices


def _run_steps(
    ctx: Context,
    request_id: int,
    procedure: Procedure,
    the_impact: impact.Impact,
    longest: timedelta,
    run: Run,
    token: str,
    acting: Acting,
    ui: RunUI,
    answers: Answers,
) -> RunOutcome:
    operator, trusted = acting.name, ctx.trusted
    done, decided = _decided(ctx, run)
    steps_done = 0
    for step in procedure.steps:
        if step.number in done:
            continue
        ui.step_started(step)
        started = datetime.now(UTC)
        try:
            with ctx.session() as session:
                request = get_request(session, request_id)
                claims.assert_not_closed(request)  # cancelled while it waited or ran
                states = gates.gate_states(
                    session, request, procedure, the_impact, trusted, longest=longest
                )
            gates.assert_open(states, request, step.number)
        except SopError as refusal:
            _fail_run(ctx, run, operator, "waiting", str(refusal))
            raise
        if not step.applies(request.params):
            # Catalog `applies`: this request is not the one that carries the step out.
            why = step.not_applicable.get(ctx.settings.lang) if step.not_applicable else ""
            note = f"tidak berlaku: {why}".rstrip(": ")
            ui.step_ended(step, _not_applicable(ctx, run, step, acting, note, "skipped"))
            continue
        if not applies(step, request.params, decided):
            # The branch taken (or the request's parameter) rules the step out (issue 16).
            assert step.applies_when is not None
            why = f"tidak berlaku: {step.applies_when.describe()}"
            ui.step_ended(step, _not_applicable(ctx, run, step, acting, why))
            continue
        if step.kind != "gate" and step_role(step) not in acting.roles:
            why = _(
                "step {n} ({activity}) is for the {role}; {operator} (roles {roles}) cannot "
                "confirm or run it: one who holds that role runs `sop run {id}`"
            ).format(
                n=step.number,
                activity=step.activity.get(language()),
                role=step_role(step),
                operator=operator,
                roles=", ".join(acting.roles),
                id=request_id,
            )
            _fail_run(ctx, run, operator, "waiting", why)
            raise Waiting(why)
        if step.kind == "gate":
            mine = [s for s in states if s.requirement.step_number == step.number]
            note = "; ".join(
                f"{s.requirement.role}: "
                + (
                    ", ".join(
                        f"approved by {a.signer} ({a.signed_at})"
                        for a, p in s.approvals
                        if not p and a.decision == "approve"
                    )
                    if s.requirement.required
                    else f"not required ({s.requirement.why})"
                )
                for s in mine
            )
            status = "done" if any(s.requirement.required for s in mine) else "skipped"
            # Checking a gate takes no time; how long the approver took is not measured.
            now = datetime.now(UTC)
            record = _finish_step(
                ctx, run, step, started, status, acting, note, timing=Timing(now, now, "unknown")
            )
        elif step.kind == "human":
            computed = ctx.features.step_outcome(ctx, request, run.id, step.number, operator)
            record = _human(ctx, run, step, acting, ui, answers, started, computed)
        else:
            try:
                record = _run_automated(ctx, run, step, request, acting, ui, started, token)
            except StepFailed as failure:
                if step.when_failed is None:
                    raise
                # "Jika gagal … dibatalkan": the document's branch, not a resumable stop.
                ending = failure_branch.take(
                    ctx, run, request_id, procedure, step, str(failure), acting
                )
                raise StepFailed(f"{failure} — {ENDED[ending]}") from None
        ui.step_ended(step, record)
        steps_done += 1
        choice = step.choice(record.data.get("choice", "")) if step.choices else None
        if "choice" in record.data:
            decided[step.number] = record.data["choice"]
        ending = (choice.ends_run if choice else None) or (
            step.ends_run if record.status == "done" else None
        )
        if ending:
            _end_early(ctx, run, request_id, procedure, step, ending, acting)
            return RunOutcome(run.id, ending, steps_done)
    with ctx.session() as session:
        row = session.get(Run, run.id)
        req = session.get(Request, request_id)
        assert row is not None and req is not None
        row.status, row.ended_at = "succeeded", datetime.now(UTC)
        req.status = "done"
        audit.append(
            session,
            operator,
            "run.succeeded",
            f"run/{run.id}",
            {"request": request_id, "steps": steps_done},
        )
    return RunOutcome(run.id, "succeeded", steps_done)


def run_step(
    ctx: Context, request_id: int, step_number: int, operator_name: str | None
) -> StepRecord:
    """Given a request and one automated step of it, run that step alone and record it.

    For features whose command stands for the procedure's human steps (e.g.
    `sop grant open` is the petugas' SOP 2.4 work): the step runs through the
    same path as in `sop run` (gates up to the step, the runner adapter, events,
    a Run and its StepRecord, recorders), and the run ends with it.  Raise
    GateRefused when a gate up to the step lacks an approval, StepFailed when
    the playbook fails (recorded, the run marked failed).
    """
    acting, trusted = ctx.actor(operator_name), ctx.trusted
    operator = acting.name
    with ctx.session() as session:
        request = get_request(session, request_id)
        session.expunge(request)
    procedure: Procedure = ctx.catalog.get(request.procedure_id)
    step = next((s for s in procedure.steps if s.number == step_number), None)
    if step is None or step.kind != "automated":
        said = _("step: {n} is not an automated step of {procedure}")
        raise SopError(said.format(n=step_number, procedure=procedure.id))
    the_impact = _checked_request(ctx, request, procedure)
    what = _("step {n} of {procedure}").format(n=step.number, procedure=procedure.id)
    require_role(acting.operator, step_role(step), what)
    run, token = _current_run(ctx, request, acting)
    started = datetime.now(UTC)
    try:
        with ctx.session() as session:
            states = gates.gate_states(session, request, procedure, the_impact, trusted)
        gates.assert_open(states, request, step.number)
    except SopError as refusal:
        _fail_run(ctx, run, operator, "waiting", str(refusal))
        raise
    try:
        record = _run_automated(ctx, run, step, request, acting, RunUI(), started, token)
    except BaseException as error:
        _release(ctx, run, operator, error)
        raise
    with ctx.session() as session:
        row = session.get(Run, run.id)
        assert row is not None
        row.status, row.ended_at = "succeeded", datetime.now(UTC)
        audit.append(
            session,
            operator,
            "run.succeeded",
            f"run/{run.id}",
            {"request": request.id, "steps": [step.number]},
        )
    return record


def _run_automated(
    ctx: Context,
    run: Run,
    step: Step,
    request: Request,
    acting: Acting,
    ui: RunUI,
    started: datetime,
    token: str,
) -> StepRecord:
    operator = acting.name
    playbook = step.playbook_for(request.params)
    assert playbook is not None
    ident = f"r{run.id}-s{step.number}-a{_attempt(ctx, run, step) + 1}"
    sink = EventSink(ctx, run.id, step.number, ui)
    # The play's only extra vars: the parameters as data (written to a private file,
    # tagged unsafe: sop_runner/extravars.py), the request, and this run's claim.
    extravars = {
        "sop_request": str(request.id),
        "sop_params": request.params,
        "sop_run": {"id": run.id, "token": token},
    }
    try:
        result = run_playbook(
            ctx.settings,
            playbook,
            request.targets,
            extravars,
            ident,
            on_event=sink,
            operator=operator,
            run_id=run.id,
        )
    finally:
        sink.flush()
    data = {
        "playbook": playbook,
        "rc": result.rc,
        "status": result.status,
        "stats": {k: v for k, v in result.stats.items() if isinstance(v, dict)},
        **result.artifact_data,
    }
    if not result.ok:
        why = f"step {step.number} ({playbook}) failed: {result.error or result.status}"
        _finish_step(ctx, run, step, started, "failed", acting, why, data, ident)
        if step.when_failed is None:  # otherwise the run takes the document's branch
            _fail_run(ctx, run, operator, "failed", why)
        raise StepFailed(why)
    return _finish_step(ctx, run, step, started, "done", acting, "", data, ident)
