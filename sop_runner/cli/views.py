"""What the listing and status commands show, as plain data: printed for people, JSON for scripts.

Each builder returns one JSON-able dict whose shape is fixed by a schema in
``sop_runner/schemas/<name>.schema.json`` (``"schema": "sop.<name>/1"`` names it;
a change that breaks a reader gets a new number).  The human display is made from
the same dict, so what a script reads is what a person sees.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, NoReturn

# The store's views import the store, the gates and the inventory inside their
# functions: `sop list` and `sop show` use this module without them.
if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from sop_runner.catalog import Catalog, Procedure
    from sop_runner.context import Context
    from sop_runner.gates import Trusted
    from sop_runner.store.models import Request
    from sop_runner.store_reads import StoreReader

SCHEMA_VERSION = 1


def dumps(data: dict[str, Any]) -> str:
    """Given a view, return it as the JSON text `--json` prints."""
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False)


def catalog_list(catalog: Catalog, lang: str) -> dict[str, Any]:
    """Given the catalog and a language, return the `sop list` view."""
    return {
        "schema": f"sop.list/{SCHEMA_VERSION}",
        "lang": lang,
        "procedures": [
            {"id": p.id, "title": p.title.get(lang), "steps": len(p.steps)}
            for p in catalog.procedures
        ],
    }


def procedure_view(procedure: Procedure, lang: str) -> dict[str, Any]:
    """Given a procedure and a language, return the `sop show` view."""
    from sop_runner.catalog.model import ROLE_NAMES

    names = ROLE_NAMES[lang]
    return {
        "schema": f"sop.show/{SCHEMA_VERSION}",
        "lang": lang,
        "id": procedure.id,
        "title": procedure.title.get(lang),
        "scope": procedure.scope.get(lang),
        "goals": [g.get(lang) for g in procedure.goals],
        "actors": [names.get(a, a) for a in procedure.actors],
        "documents": [d.get(lang) for d in procedure.companion_documents],
        "steps": [
            {
                "number": s.number,
                "doc_number": s.doc_number,
                "activity": s.activity.get(lang),
                "actor": names.get(s.actor, s.actor),
                "kind": s.kind,
                "playbook": s.playbook,
                "gate_role": s.gate_role,
                "standard_time": s.standard_time.text(lang) if s.standard_time else None,
                "output": s.output.get(lang) if s.output else None,
                # The table's Prasyarat and Keterangan cells, and the document's branches
                # (issue 16): what a step needs, its remarks, the choices it decides,
                # when it applies, how it ends the run, whether it interrupts service.
                "prerequisite": s.prerequisite.get(lang) if s.prerequisite else None,
                "remarks": s.notes.get(lang) if s.notes else None,
                "gate_rule": s.gate_rule if s.gate_role else None,
                "gate_after": list(s.gate_after),
                "interrupts_service": s.interrupts_service,
                "circular": s.circular,
                "choices": [
                    {"key": c.key, "text": c.text.get(lang), "ends_run": c.ends_run}
                    for c in s.choices
                ],
                "applies_when": s.applies_when.describe(lang) if s.applies_when else None,
                "ends_run": s.ends_run,
                "when_failed": s.when_failed.describe(lang) if s.when_failed else None,
            }
            for s in procedure.steps
        ],
        "target": procedure.target,
        "errata": [e.get(lang) for e in procedure.errata],
    }


def errata_view(catalog: Catalog, lang: str) -> dict[str, Any]:
    """Given the catalog and a language, return the `sop errata` view: the document-wide
    errata, then each procedure's own."""
    return {
        "schema": f"sop.errata/{SCHEMA_VERSION}",
        "lang": lang,
        "document": [e.get(lang) for e in catalog.errata],
        "procedures": [
            {
                "id": p.id,
                "title": p.title.get(lang),
                "errata": [e.get(lang) for e in p.errata if e not in catalog.errata],
            }
            for p in catalog.procedures
            if any(e not in catalog.errata for e in p.errata)
        ],
    }


def request_content(req: Request) -> dict[str, Any]:
    fixed = req.impact or {}
    return {
        "params": dict(req.params),
        "services": [
            {"name": s["name"], "criticality": s["criticality"]} for s in fixed.get("services", [])
        ],
        "gates": [
            {"step": g["step"], "role": g["role"], "required": g["required"]}
            for g in fixed.get("gates", [])
        ],
    }


def _runs(session: Session | StoreReader, request_id: int) -> list[dict[str, Any]]:
    from sop_runner.store_reads import runs_of, step_records_of

    shown = []
    for run in runs_of(session, request_id):
        steps = step_records_of(session, run.id)
        shown.append(
            {
                "id": run.id,
                "status": run.status,
                "operator": run.operator,
                "started_at": run.started_at.isoformat(timespec="seconds"),
                "ended_at": run.ended_at.isoformat(timespec="seconds") if run.ended_at else None,
                "error": run.error,
                "steps": [
                    {
                        "number": s.step_number,
                        "kind": s.kind,
                        "status": s.status,
                        "by": s.confirmed_by,
                        "seconds": s.duration_seconds,
                        "over_standard": bool(s.over_standard),
                    }
                    for s in steps
                ],
            }
        )
    return shown


def _waiting_for(
    req: Request, gate_rows: list[dict[str, Any]], runs: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Given a request, its gates and runs, return who must act next, and for what."""
    if req.status != "open":
        return []
    waiting = [
        {"what": "approval", "step": g["step"], "role": g["role_id"], "not": req.requested_by}
        for g in gate_rows
        # A gate after steps not yet done (4.2's Pimpinan) waits for the run first.
        if g["required"] and g["verdict"] == "pending" and not g["not_yet"]
    ]
    if any(g["verdict"] == "rejected" for g in gate_rows):
        return []
    if waiting:  # every gate still pending: each may be approved in any order
        return waiting
    last = runs[-1] if runs else None
    if last is None or last["status"] == "waiting":
        return [{"what": "run", "step": None, "role": "petugas", "not": None}]
    return []


def _gate_rows(
    session: Session | StoreReader,
    ctx: Context,
    req: Request,
    procedure: Procedure,
    lang: str,
    trusted: Trusted | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    from sop_runner import gate_order, gates, impact
    from sop_runner.errors import GateRefused
    from sop_runner.inventory import load_inventory

    # The names of hosts and services are all a view needs: no Ansible (issue 17, start-up).
    inventory = load_inventory(ctx.settings.inventory, variables=False)
    the_impact = impact.analyse(procedure, inventory, req.targets, req.params)
    longest = gates.longest_approval(procedure, ctx.settings.trust.approval_max)
    trusted = trusted or ctx.trusted
    states = gates.gate_states(session, req, procedure, the_impact, trusted, longest=longest)
    changed = None
    try:
        gates.assert_impact_fixed(req, procedure, the_impact)
    except GateRefused as refusal:
        changed = str(refusal)
    rows = []
    for state in states:
        info = gates.describe(state, lang)
        verdict = "rejected" if info["rejected"] else "ok" if info["satisfied"] else "pending"
        rows.append(
            {
                "step": info["step"],
                "role": info["role"],
                "role_id": state.requirement.role,
                "required": info["required"],
                "why": gates.reason(state.requirement),
                "verdict": verdict,
                "after": info["after"],
                "not_yet": info["not_yet"],
                # What the approver decides on (4.2: the analysis' verdict, steps 2–4).
                "decides_on": gate_order.results(
                    session, req.id, procedure, state.requirement.after, lang
                ),
                "approvals": [
                    {k: a[k] for k in ("id", "signer", "decision", "expires_at", "valid")}
                    | {"problems": list(a["problems"])}
                    for a in info["approvals"]
                ],
            }
        )
    return rows, changed


def status_view(ctx: Context, request_id: int, lang: str) -> dict[str, Any]:
    """Given a request id and a language, return the `sop status` view.

    The store is read with its own driver (sop_runner/store_reads.py, no ORM: issue 17's
    start-up) unless it cannot be read that way: then through the ORM.
    Raise SopError if there is no such request.
    """
    from sop_runner.requests import get_request
    from sop_runner.store_reads import reader

    with reader(ctx.settings.db_url) as store:
        if store is not None:
            req = store.request(request_id)
            if req is None:
                get_request_missing(request_id)
            return _status(store, ctx, req, lang, light_trusted(ctx, store))
    with ctx.session() as session:
        return _status(session, ctx, get_request(session, request_id), lang, None)


def get_request_missing(request_id: int) -> NoReturn:
    """Given an id no request has, raise the SopError `get_request` raises."""
    from sop_runner.errors import SopError
    from sop_runner.i18n import _

    raise SopError(_("request: no request with id {id}").format(id=request_id))


def light_trusted(ctx: Context, store: StoreReader) -> Trusted:
    """Given a reader of the store, return the registry in force and its history, verified
    as Context.trusted verifies them (the newest version the store recorded refuses a
    rollback), without opening the store through the ORM."""
    from sop_runner.gates import Trusted
    from sop_runner.trust import registry as registries

    trust = ctx.settings.trust
    current = registries.current(trust, accepted_version=store.newest_registry_version())
    return Trusted(current, tuple(registries.history(trust, accepted_version=current.version)))


def _status(
    session: Session | StoreReader, ctx: Context, req: Request, lang: str, trusted: Trusted | None
) -> dict[str, Any]:
    from sop_runner.requests import request_hash

    procedure = ctx.catalog.get(req.procedure_id)
    gate_rows, changed = _gate_rows(session, ctx, req, procedure, lang, trusted)
    runs = _runs(session, req.id)
    return {
        "schema": f"sop.status/{SCHEMA_VERSION}",
        "lang": lang,
        "request": {
            "id": req.id,
            "procedure": procedure.id,
            "title": procedure.title.get(lang),
            "targets": list(req.targets),
            "status": req.status,
            "reason": req.reason,
            "requested_by": req.requested_by,
            "created_at": req.created_at,
            "hash": request_hash(req),
            "closed": dict(req.closed) if req.closed else None,
            **request_content(req),
        },
        "impact_changed": changed,
        "gates": gate_rows,
        "runs": runs,
        "waiting_for": _waiting_for(req, gate_rows, runs),
    }


def request_rows(
    ctx: Context,
    *,
    mine: str | None = None,
    pending_for: str | None = None,
    state: str | None = None,
    lang: str = "id",
) -> dict[str, Any]:
    """Given the filters of `sop requests`, return its view: each request and who it waits for.

    ``mine`` keeps the requests that operator made; ``pending_for`` those waiting
    for an approval that operator may give (a role they hold, not their own
    request); ``state`` those in that state (open, done, rejected, cancelled, …).
    The store is read with its own driver, as `sop status` reads it (issue 17), unless
    it cannot be read that way: then through the ORM.
    """
    from sop_runner.store_reads import reader

    # Waiting for an approval is only ever an open request.
    status = "open" if pending_for is not None else state
    nothing = pending_for is not None and state not in (None, "open")
    with reader(ctx.settings.db_url) as store:
        if store is not None:
            trusted = light_trusted(ctx, store)
            found = [] if nothing else store.requests(requested_by=mine, status=status)
            rows = _request_rows(store, ctx, found, trusted, pending_for, lang)
            return {"schema": f"sop.requests/{SCHEMA_VERSION}", "lang": lang, "requests": rows}
    from sqlalchemy import select

    from sop_runner.store.models import Request

    with ctx.session() as session:
        query = select(Request).order_by(Request.id)
        if mine is not None:
            query = query.where(Request.requested_by == mine)
        if status is not None:
            query = query.where(Request.status == status)
        found = [] if nothing else list(session.scalars(query))
        rows = _request_rows(session, ctx, found, ctx.trusted, pending_for, lang)
    return {"schema": f"sop.requests/{SCHEMA_VERSION}", "lang": lang, "requests": rows}


def _request_rows(
    session: Session | StoreReader,
    ctx: Context,
    found: list[Any],
    trusted: Trusted,
    pending_for: str | None,
    lang: str,
) -> list[dict[str, Any]]:
    """Given requests read from the store, return the rows `sop requests` shows."""
    roles: tuple[str, ...] = ()
    if pending_for is not None:
        roles = tuple(trusted.current.operator(pending_for).roles)
    rows = []
    for req in found:
        procedure = ctx.catalog.get(req.procedure_id)
        gate_rows, _changed = _gate_rows(session, ctx, req, procedure, lang, trusted)
        waiting = _waiting_for(req, gate_rows, _runs(session, req.id))
        if pending_for is not None and not any(
            w["what"] == "approval" and w["role"] in roles and w["not"] != pending_for
            for w in waiting
        ):
            continue
        rows.append(
            {
                "id": req.id,
                "procedure": req.procedure_id,
                "title": procedure.title.get(lang),
                "targets": list(req.targets),
                "status": req.status,
                "requested_by": req.requested_by,
                "created_at": req.created_at,
                "waiting_for": waiting,
            }
        )
    return rows


def audit_entries(ctx: Context, last: int) -> dict[str, Any]:
    """Given how many, return the `sop audit show` view of the newest audit entries."""
    from sqlalchemy import select

    from sop_runner.store.models import AuditEntry

    with ctx.session() as session:
        rows = list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(last)))
    entries = []
    for row in reversed(rows):
        entry = json.loads(row.content)
        entries.append(
            {
                "seq": row.seq,
                "time": entry["time"],
                "actor": entry["actor"],
                "action": entry["action"],
                "subject": entry["subject"],
            }
        )
    return {"schema": f"sop.audit/{SCHEMA_VERSION}", "entries": entries}
