"""Approval gates: what a request needs, signed approvals, and their checks.

An approval is valid only when its ed25519 signature verifies with the key
the signed operators registry held for the signer when they signed, the
signer still holds the gate's role in the registry in force (revocation), is
not the requester (by name or key), it has not expired, it lasts no longer
than its procedure allows and is not dated in the future, and the request
still hashes to what was signed.  Every field of the row is inside the signed
payload, so a row edited or copied in the database does not verify.

The gates a request needs are fixed when it is made (``fixed_impact``, inside
the request's hash): the gate recomputes them from the trusted inventory and
refuses a difference, so a service catalog moved afterwards removes no gate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sop_runner import audit, durations, gate_order, keys
from sop_runner.catalog import Procedure, model
from sop_runner.errors import AwaitingApproval, GateRefused, SopError
from sop_runner.i18n import N_, _
from sop_runner.impact import Impact
from sop_runner.operators import Acting
from sop_runner.requests import request_hash, request_problems
from sop_runner.store_reads import approvals_of
from sop_runner.trust.registry import Registry

if TYPE_CHECKING:  # the ORM where it is used: `sop status` runs without it (store_reads.py)
    from sqlalchemy.orm import Session

    from sop_runner.store.models import Approval, Request
    from sop_runner.store_reads import StoreReader

# A signer's clock may run a little fast; an approval dated further ahead is refused.
CLOCK_SKEW = timedelta(minutes=5)

ROLE_NAMES = model.ROLE_NAMES  # the roles as people read them, by language


@dataclass(frozen=True)
class GateRequirement:
    step_number: int
    role: str
    when: str
    required: bool
    why: str
    # The earlier steps this gate decides on (catalog gate.after): approved only after them.
    after: tuple[int, ...] = ()


@dataclass
class GateState:
    requirement: GateRequirement
    approvals: list[tuple[Approval, list[str]]] = field(default_factory=list)
    # Those of requirement.after not yet recorded done: nobody can approve it yet.
    not_yet: list[int] = field(default_factory=list)

    @property
    def satisfied(self) -> bool:
        return not self.requirement.required or (
            not self.rejected
            and any(a.decision == "approve" and not problems for a, problems in self.approvals)
        )

    @property
    def rejected(self) -> bool:
        return any(a.decision == "reject" and not problems for a, problems in self.approvals)


def requirements(
    procedure: Procedure, impact: Impact, params: dict[str, Any] | None = None
) -> list[GateRequirement]:
    """Given a procedure, the impact and the parameters of a request, return its gates.

    A conditional gate is required when its condition holds; a gate on a branch
    the request's parameters rule out (2.1: a vendor who coordinated needs no
    permission) is not; a project rule (``rule: project``) only while the site
    keeps them.  Where the document gives the Pimpinan a part (1.4, 3.1, 4.x,
    5.1) and a critical service is hit, a Pimpinan approval is required at the
    first required gate; elsewhere (a backup, monitoring, a visit) never.
    """
    from sop_runner.catalog.branches import applies

    params = params or {}
    result: list[GateRequirement] = []
    for step in procedure.gates:
        assert step.gate_role is not None
        when = step.gate_when or "always"
        if not step.applies(params):
            # A step that does not apply to this request is never run: nothing to approve.
            required, why = False, "tidak berlaku (not applicable to this request)"
        elif not applies(step, params, {}):
            assert step.applies_when is not None
            required, why = False, f"tidak berlaku ({step.applies_when.describe()})"
        elif step.gate_rule == "project" and not impact.project_gates:
            required, why = False, "project rule switched off (site.yml project_gates)"
        elif when == "always":
            required, why = True, "always"
        elif when == "overwrite":
            required = params.get("overwrite") is True
            why = "restore over live data (overwrite=true)" if required else "no overwrite"
        elif when == "services_affected":
            # The petugas' impact analysis (SOP 3.1 step 1, signed with the request) says
            # whether the change stops the services the catalog puts on the targets.
            declared = params.get("stops_services", True) is not False
            required = impact.services_affected and declared
            why = (
                "services affected: " + ", ".join(s.name for s in impact.services)
                if required
                else "services not stopped, by the requester's impact analysis "
                "(stops_services=false)"
                if impact.services_affected
                else "no service affected"
            )
        else:
            required = bool(impact.critical)
            why = (
                "critical services: " + ", ".join(s.name for s in impact.critical)
                if required
                else "no critical service affected"
            )
        if step.gate_rule == "project" and required:
            why += " (project rule)"
        result.append(
            GateRequirement(step.number, step.gate_role, when, required, why, step.gate_after)
        )
    required_gates = [g for g in result if g.required]
    if (
        procedure.names_pimpinan
        and required_gates
        and impact.critical
        and not any(g.role == "pimpinan" for g in required_gates)
    ):
        first = required_gates[0].step_number
        result.append(
            GateRequirement(
                first,
                "pimpinan",
                "critical_services",
                True,
                "critical services: " + ", ".join(s.name for s in impact.critical),
            )
        )
    return result


# Why a gate applies or not (GateRequirement.why, in English in the records and the JSON),
# before the names it lists ("critical services: simpeg"), as people read it.
REASONS = {
    "always": N_("always required"),
    "restore over live data (overwrite=true)": N_("restore over live data (overwrite=true)"),
    "no overwrite": N_("no overwrite"),
    "services affected": N_("services affected"),
    "services not stopped, by the requester's impact analysis (stops_services=false)": N_(
        "services not stopped, by the requester's impact analysis (stops_services=false)"
    ),
    "no service affected": N_("no service affected"),
    "critical services": N_("critical services"),
    "no critical service affected": N_("no critical service affected"),
    "project rule switched off (site.yml project_gates)": N_(
        "project rule switched off (site.yml project_gates)"
    ),
}
PROJECT_RULE = N_(" (project rule)")


def reason(requirement: GateRequirement) -> str:
    """Given a gate requirement, return why it applies (or not) in the language of the process.

    A branch ruled out ("tidak berlaku (…)") is said in its own words already.
    """
    why = requirement.why.removesuffix(PROJECT_RULE)
    head, sep, names = why.partition(": ")
    if head not in REASONS:
        return requirement.why
    rule = _(PROJECT_RULE) if requirement.why.endswith(PROJECT_RULE) else ""
    return _(REASONS[head]) + sep + names + rule


def fixed_impact(
    procedure: Procedure, impact: Impact, params: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Given a procedure, the impact on a request's targets and its parameters, return
    what the request fixes: the services hit, the critical ones, and the gates needed."""
    return {
        "services": [
            {"name": s.name, "opd": s.opd, "criticality": s.criticality}
            for s in sorted(impact.services, key=lambda s: s.name)
        ],
        "critical": sorted(s.name for s in impact.critical),
        "circular": impact.circular,
        "gates": [
            {"step": g.step_number, "role": g.role, "when": g.when, "required": g.required}
            for g in requirements(procedure, impact, params)
        ],
    }


def _impact_text(fixed: dict[str, Any]) -> str:
    services = ", ".join(
        f"{s['name']}" + (" (critical)" if s["criticality"] == "critical" else "")
        for s in fixed.get("services", [])
    )
    needed = ", ".join(
        f"step {g['step']} {g['role']}" for g in fixed.get("gates", []) if g["required"]
    )
    return f"services {services or 'none'}; gates {needed or 'none'}"


def assert_impact_fixed(request: Request, procedure: Procedure, impact: Impact) -> None:
    """Given a request and the impact computed now from the trusted inventory, raise
    GateRefused unless it is the impact the request fixed when it was made."""
    if request.impact is None:
        raise GateRefused(
            _("request {id}: it fixes no impact (made before issue 15); make a new request").format(
                id=request.id
            )
        )
    now = fixed_impact(procedure, impact, request.params)
    if audit.canonical(now) != audit.canonical(request.impact):
        raise GateRefused(
            _(
                "request {id}: its impact changed since it was signed (fixed: {fixed}; now: "
                "{now}); the inventory or its service catalog moved: make a new request"
            ).format(id=request.id, fixed=_impact_text(request.impact), now=_impact_text(now))
        )


def longest_approval(procedure: Procedure, cap: timedelta | None) -> timedelta:
    """Given a procedure and the trust file's approval_max (or None), return the longest
    an approval of it may last: the catalog's bound, lowered by the cap."""
    return min(procedure.approval_max, cap) if cap is not None else procedure.approval_max


def lifetime(text: str, procedure: Procedure, cap: timedelta | None) -> timedelta:
    """Given an --expires text, return the approval's lifetime.

    Raise SopError (one line) if it is not a duration or is longer than the procedure allows.
    """
    return durations.parse(text, "--expires", maximum=longest_approval(procedure, cap))


def payload(approval: Approval, procedure_id: str) -> str:
    """Given an approval row, return the exact text its signature covers."""
    return audit.canonical(
        {
            "request_id": approval.request_id,
            "request_hash": approval.request_hash,
            "procedure": procedure_id,
            "step": approval.step_number,
            "role": approval.role,
            "signer": approval.signer,
            "fingerprint": approval.fingerprint,
            "registry_version": approval.registry_version,
            "decision": approval.decision,
            "reason": approval.reason,
            "signed_at": approval.signed_at,
            "expires_at": approval.expires_at,
        }
    )


@dataclass(frozen=True)
class Trusted:
    """The registry in force and every version before it: who may sign, and who did."""

    current: Registry
    history: tuple[Registry, ...]

    def at(self, version: int | None) -> Registry | None:
        """Given a registry version, return it (None when unknown)."""
        return next((r for r in self.history if r.version == version), None)


def problems_of(
    approval: Approval,
    request: Request,
    trusted: Trusted,
    now: datetime,
    longest: timedelta | None = None,
) -> list[str]:
    """Given an approval and its request, return why it is not valid (empty when valid).

    The signature is checked with the key the registry held for the signer
    when they signed; the role with the registry in force now, so a revoked
    role or operator stops their approvals.  Separation of duties compares
    keys and registry identities, never bare names.  ``longest`` is the longest
    it may last (default: its procedure's approval_max of the catalog).
    """
    then = trusted.at(approval.registry_version)
    signed_by = then.get(approval.signer) if then else None
    if signed_by is None:
        return [
            _("signer {signer!r} is not in registry version {version} it claims").format(
                signer=approval.signer, version=approval.registry_version
            )
        ]
    problems = []
    if approval.fingerprint != signed_by.fingerprint or not signed_by.verify(
        approval.signature, payload(approval, request.procedure_id)
    ):
        problems.append(_("signature does not verify (approval forged or edited)"))
    holder = trusted.current.by_key(signed_by.public_key)
    if holder is None:
        problems.append(
            _(
                "signer {signer!r} ({fingerprint}) is no operator of registry version "
                "{version} (revoked)"
            ).format(
                signer=approval.signer,
                fingerprint=signed_by.short_fingerprint,
                version=trusted.current.version,
            )
        )
    elif approval.role not in holder.roles:
        problems.append(
            _(
                "signer {signer!r} does not hold the role {role} in registry version {version}"
            ).format(signer=approval.signer, role=approval.role, version=trusted.current.version)
        )
    requester_key = (request.signed or {}).get("fingerprint")
    if approval.signer == request.requested_by or approval.fingerprint == requester_key:
        problems.append(_("signed by the requester, who cannot approve their own request"))
    if approval.request_hash != request_hash(request):
        problems.append(_("the request changed after it was signed"))
    signed_at = datetime.fromisoformat(approval.signed_at)
    expires_at = datetime.fromisoformat(approval.expires_at)
    if expires_at <= now:
        problems.append(_("expired at {moment}").format(moment=approval.expires_at))
    if signed_at > now + CLOCK_SKEW:
        problems.append(
            _("signed at {moment}, in the future (a clock set ahead, or forged)").format(
                moment=approval.signed_at
            )
        )
    if longest is None:
        from sop_runner.catalog import load_catalog

        longest = load_catalog().get(request.procedure_id).approval_max
    if expires_at - signed_at > longest:
        problems.append(
            _(
                "valid for {length}, longer than the {longest} an approval of procedure "
                "{procedure} may last"
            ).format(
                length=durations.compact(expires_at - signed_at),
                longest=durations.compact(longest),
                procedure=request.procedure_id,
            )
        )
    return problems


def gate_states(
    session: Session | StoreReader,
    request: Request,
    procedure: Procedure,
    impact: Impact,
    trusted: Trusted,
    now: datetime | None = None,
    longest: timedelta | None = None,
) -> list[GateState]:
    """Given a request, return each of its gates with its approvals and their problems.

    ``longest`` is the longest an approval may last (default: the procedure's bound).
    """
    now = now or datetime.now(UTC)
    longest = longest or procedure.approval_max
    rows = approvals_of(session, request.id)
    states = []
    for requirement in requirements(procedure, impact, request.params):
        state = GateState(requirement)
        after = requirement.after
        settled = gate_order.settled_at(session, request.id, after) if after else None
        if after:
            state.not_yet = gate_order.missing(session, request.id, after)
        for row in rows:
            if row.step_number == requirement.step_number and row.role == requirement.role:
                problems = problems_of(row, request, trusted, now, longest)
                signed = datetime.fromisoformat(row.signed_at)
                # Decided before the analysis it decides on was there to read (a step's
                # given end may lie up to CLOCK_SKEW ahead of when it was recorded).
                if after and (settled is None or signed < settled - CLOCK_SKEW):
                    problems.append(
                        f"signed before steps {gate_order.numbers(after)} were done and recorded"
                    )
                state.approvals.append((row, problems))
        states.append(state)
    return states


def assert_request_signed(request: Request, trusted: Trusted) -> None:
    """Given a request, raise GateRefused unless its requester's own key signed it."""
    problems = request_problems(request, trusted.history)
    if problems:
        raise GateRefused(
            _(
                "request {id}: its requester's signature does not hold ({problems}); a request "
                "must be made by its requester with their key"
            ).format(id=request.id, problems="; ".join(problems))
        )


def assert_open(states: list[GateState], request: Request, up_to_step: int) -> None:
    """Given gate states, raise GateRefused unless every gate up to a step holds."""
    for state in states:
        req = state.requirement
        if req.step_number > up_to_step or state.satisfied:
            continue
        if state.rejected:
            raise GateRefused(
                _("gate at step {step} ({role}): request {id} was rejected").format(
                    step=req.step_number, role=req.role, id=request.id
                )
            )
        found = "; ".join(
            _("approval {id} by {signer}: {problems}").format(
                id=a.id, signer=a.signer, problems=", ".join(p)
            )
            for a, p in state.approvals
            if p
        )
        if state.not_yet:
            raise AwaitingApproval(
                _(
                    "gate at step {step}: request {id} needs the {role}'s approval, given only "
                    "after steps {after} are done and recorded (not yet: {missing}); run "
                    "`sop run {id}` up to step {step} first"
                ).format(
                    step=req.step_number,
                    id=request.id,
                    role=req.role,
                    after=gate_order.numbers(req.after),
                    missing=gate_order.numbers(state.not_yet),
                )
            )
        raise AwaitingApproval(
            _("gate at step {step}: request {id} needs a valid approval by {role} ({why})").format(
                step=req.step_number, id=request.id, role=req.role, why=reason(req)
            )
            + (f" — {found}" if found else "")
            + _("; ask a {role} other than the requester to run `sop approve {id}`").format(
                role=req.role, id=request.id
            )
        )


def sign_approval(
    request: Request,
    step_number: int,
    role: str,
    acting: Acting,
    decision: str = "approve",
    reason: str = "",
    expires_in: timedelta = timedelta(hours=24),
    now: datetime | None = None,
) -> Approval:
    """Given what is decided and who decides, return a signed approval row (not stored)."""
    from sop_runner.store.models import Approval

    now = now or datetime.now(UTC)
    row = Approval(
        request_id=request.id,
        request_hash=request_hash(request),
        step_number=step_number,
        role=role,
        signer=acting.name,
        fingerprint=acting.operator.fingerprint,
        registry_version=acting.registry_version,
        decision=decision,
        reason=reason,
        signed_at=now.isoformat(timespec="seconds"),
        expires_at=(now + expires_in).isoformat(timespec="seconds"),
        signature="",
    )
    row.signature = keys.sign(acting.key_dir, acting.name, payload(row, request.procedure_id))
    return row


def decide(
    session: Session,
    request: Request,
    procedure: Procedure,
    impact: Impact,
    trusted: Trusted,
    acting: Acting,
    decision: str,
    step: int | None = None,
    reason: str = "",
    expires_in: timedelta = timedelta(hours=24),
) -> Approval:
    """Given an operator's decision on a request, sign it and store it.

    Raise SopError (nothing written) when the operator is the requester (by
    name or by key), holds no role the gate needs, there is no pending gate, the
    request is closed, or its impact is no longer the one it fixed.
    """
    from sop_runner.claims import assert_not_closed

    assert_not_closed(request)
    assert_impact_fixed(request, procedure, impact)
    requester_key = (request.signed or {}).get("fingerprint")
    if acting.name == request.requested_by or acting.operator.fingerprint == requester_key:
        raise GateRefused(
            _(
                "approve: {name!r} made request {id} and cannot decide on it; another operator "
                "with the gate's role must"
            ).format(name=acting.name, id=request.id)
        )
    if decision == "reject" and not reason.strip():
        raise SopError(_("--reason: required when rejecting"))
    states = gate_states(session, request, procedure, impact, trusted)
    candidates = [
        s
        for s in states
        if s.requirement.required
        and s.requirement.role in acting.roles
        and (step is None or s.requirement.step_number == step)
    ]
    if step is not None and not any(s.requirement.step_number == step for s in states):
        gate_steps = ", ".join(str(s.requirement.step_number) for s in states) or "none"
        raise SopError(
            _("--step: {step} is not a gate of {id}; gates at steps: {steps}").format(
                step=step, id=procedure.id, steps=gate_steps
            )
        )
    pending = [s for s in candidates if not s.satisfied] or candidates
    if not pending:
        needed = (
            ", ".join(
                f"step {s.requirement.step_number}: {s.requirement.role}"
                for s in states
                if s.requirement.required
            )
            or "no gate is required"
        )
        raise GateRefused(
            _(
                "approve: {name!r} (roles {roles}) holds no role a gate of request {id} needs "
                "({needed})"
            ).format(name=acting.name, roles=", ".join(acting.roles), id=request.id, needed=needed)
        )
    requirement = pending[0].requirement
    if decision == "approve" and pending[0].not_yet:
        raise GateRefused(
            _(
                "approve: the {role} decides on request {id} at step {step}, after its "
                "analysis; it cannot be approved before steps {after} are done and recorded "
                "(not yet: {missing})"
            ).format(
                role=requirement.role,
                id=request.id,
                step=requirement.step_number,
                after=gate_order.numbers(requirement.after),
                missing=gate_order.numbers(pending[0].not_yet),
            )
        )
    row = sign_approval(
        request, requirement.step_number, requirement.role, acting, decision, reason, expires_in
    )
    session.add(row)
    session.flush()
    if decision == "reject":
        request.status = "rejected"
    acting.sign(
        session,
        f"approval.{decision}",
        f"request/{request.id}",
        {
            "approval": row.id,
            "step": row.step_number,
            "role": row.role,
            "expires_at": row.expires_at,
            "request_hash": row.request_hash,
            # What the approver decided on: the records of the steps before the gate.
            **(
                {"decided_on": gate_order.recorded_ids(session, request.id, requirement.after)}
                if requirement.after
                else {}
            ),
        },
    )
    return row


def describe(state: GateState, lang: str) -> dict[str, Any]:
    """Given a gate state, return a plain summary for status displays and reports."""
    req = state.requirement
    return {
        "step": req.step_number,
        "role": ROLE_NAMES[lang][req.role],
        "required": req.required,
        "why": req.why,
        "satisfied": state.satisfied,
        "rejected": state.rejected,
        "after": list(req.after),
        "not_yet": list(state.not_yet),
        "approvals": [
            {
                "id": a.id,
                "signer": a.signer,
                "decision": a.decision,
                "signed_at": a.signed_at,
                "expires_at": a.expires_at,
                "valid": not p,
                "problems": p,
            }
            for a, p in state.approvals
        ],
    }
