"""`sop request`, `approve`, `reject`, `cancel`, `status`, `impact`: work orders and their gates."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from sop_runner import durations, extravars, gates, impact
from sop_runner.cli.options import As, Lang, choose_language, operator_name, out
from sop_runner.context import Context
from sop_runner.errors import GateRefused, SopError
from sop_runner.requests import (
    cancel_request,
    get_request,
    new_request,
    parse_params,
    request_hash,
)
from sop_runner.store.models import Request


def register(app: typer.Typer) -> None:
    """Given the app, add the request and approval commands to it."""
    app.command()(request)
    app.command()(approve)
    app.command()(reject)
    app.command()(cancel)
    app.command("params")(params_command)
    app.command()(status)
    app.command("impact")(impact_command)


def request(
    procedure_id: str,
    target: Annotated[list[str], typer.Option("--target", help="host or group (repeatable)")],
    reason: Annotated[str, typer.Option("--reason", help="why the work is needed")],
    param: Annotated[list[str] | None, typer.Option("--param", help="KEY=VALUE")] = None,
    as_: As = None,
) -> None:
    """Make a request (work order) for a procedure on targets, with parameters."""
    req = new_request(
        Context(), procedure_id, target, parse_params(param or []), reason, operator_name(as_)
    )
    out.print(f"request {req.id} · {req.procedure_id} · {', '.join(req.targets)}")
    out.print(f"hash {request_hash(req)}")
    _show_content(req)


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _show_content(req: Request) -> None:
    """Print what a request fixes and its hash covers: parameters and impact."""
    out.print("params:" + ("" if req.params else " none"), markup=False)
    for name, value in sorted(req.params.items()):
        out.print(f"  {name} = {_shown(value)}", markup=False, highlight=False)
    fixed = req.impact or {}
    services = ", ".join(f"{s['name']} ({s['criticality']})" for s in fixed.get("services", []))
    needed = ", ".join(
        f"step {g['step']} {g['role']}" for g in fixed.get("gates", []) if g["required"]
    )
    out.print(f"impact: services {services or 'none'}; gates {needed or 'none'}", markup=False)


def _decide(
    request_id: int,
    decision: str,
    step: int | None,
    expires: str | None,
    reason: str,
    as_: str | None,
) -> None:
    if expires is not None:
        durations.parse(expires, "--expires")  # its form first, before anything is looked up
    ctx = Context()
    acting, trusted = ctx.actor(operator_name(as_)), ctx.trusted
    with ctx.session() as session:
        req = get_request(session, request_id)
        procedure = ctx.catalog.get(req.procedure_id)
        # The procedure bounds an approval's lifetime (catalog approval_max, at most 30
        # days, lowered by the trust file); a rejection lasts as long as that bound.
        longest = gates.longest_approval(procedure, ctx.settings.trust.approval_max)
        if expires is not None:
            lifetime = gates.lifetime(expires, procedure, ctx.settings.trust.approval_max)
        else:
            lifetime = min(timedelta(hours=24), longest) if decision == "approve" else longest
        the_impact = impact.analyse(procedure, ctx.inventory, req.targets)
        gates.assert_request_signed(req, trusted)
        row = gates.decide(
            session, req, procedure, the_impact, trusted, acting, decision, step, reason, lifetime
        )
        verb = "approved" if decision == "approve" else "rejected"
        out.print(
            f"request {request_id} step {row.step_number} ({row.role}) {verb} by {row.signer}"
            f", valid until {row.expires_at}"
        )
        out.print(f"signed hash {row.request_hash}, which covers:", markup=False)
        _show_content(req)


def approve(
    request_id: int,
    step: Annotated[int | None, typer.Option(help="the gate step (default: first pending)")] = None,
    expires: Annotated[
        str | None,
        typer.Option(help="validity, e.g. 8h, 2d (default 24h; at most the procedure's bound)"),
    ] = None,
    reason: Annotated[str, typer.Option(help="a note")] = "",
    as_: As = None,
) -> None:
    """Sign an approval of a request's gate with your key."""
    _decide(request_id, "approve", step, expires, reason, as_)


def reject(
    request_id: int,
    reason: Annotated[str, typer.Option(help="why (required)")],
    step: Annotated[int | None, typer.Option(help="the gate step")] = None,
    as_: As = None,
) -> None:
    """Sign a rejection of a request's gate."""
    _decide(request_id, "reject", step, None, reason, as_)


def cancel(
    request_id: int,
    reason: Annotated[str, typer.Option(help="why (required)")],
    as_: As = None,
) -> None:
    """Cancel a request with your signature: no gate lets it run again."""
    req = cancel_request(Context(), request_id, reason, operator_name(as_))
    closed = req.closed or {}
    out.print(
        f"request {req.id} cancelled by {closed.get('by')} at {closed.get('at')}", markup=False
    )


def params_command(
    request_id: int,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="write a new file (mode 0600) instead of stdout")
    ] = None,
) -> None:
    """Print (or write) a request's extra vars for a plain ansible-playbook -e @FILE."""
    ctx = Context()
    with ctx.session() as session:
        req = get_request(session, request_id)
    extra = {"sop_request": req.id, "sop_params": req.params}
    if out_file is None:
        out.print(extravars.document(extra), markup=False, highlight=False, end="")
        return
    try:
        extravars.write(out_file, extra)
    except OSError as error:
        raise SopError(f"--out: {out_file}: {error.strerror}; give a new file's path") from None
    out.print(f"{out_file}: ansible-playbook playbooks/PLAYBOOK -l HOSTS -e @{out_file}")


def status(request_id: int, lang: Lang = None) -> None:
    """Show a request: each gate, who signed, what is pending, and its runs."""
    ctx = Context()
    language = choose_language(ctx.settings, lang)
    trusted = ctx.trusted
    with ctx.session() as session:
        req = get_request(session, request_id)
        procedure = ctx.catalog.get(req.procedure_id)
        the_impact = impact.analyse(procedure, ctx.inventory, req.targets)
        longest = gates.longest_approval(procedure, ctx.settings.trust.approval_max)
        states = gates.gate_states(session, req, procedure, the_impact, trusted, longest=longest)
        out.print(
            f"request {req.id} · {procedure.id} {procedure.title.get(language)} · "
            f"{', '.join(req.targets)} · {req.status}"
        )
        out.print(f"hash {request_hash(req)}")
        _show_content(req)
        if req.closed:
            closed = req.closed
            out.print(
                f"{closed.get('status')} by {closed.get('by')} at {closed.get('at')}: "
                f"{closed.get('reason')}",
                markup=False,
            )
        try:
            gates.assert_impact_fixed(req, procedure, the_impact)
        except GateRefused as changed:
            out.print(f"IMPACT CHANGED — the gates refuse it: {changed}", markup=False)
        for state in states:
            info = gates.describe(state, language)
            verdict = "rejected" if info["rejected"] else "ok" if info["satisfied"] else "pending"
            required = "required" if info["required"] else f"not required ({info['why']})"
            out.print(
                f"gate step {info['step']} · {info['role']} · {required} · {verdict}", markup=False
            )
            for a in info["approvals"]:
                validity = "valid" if a["valid"] else "INVALID: " + "; ".join(a["problems"])
                out.print(
                    f"  approval {a['id']} by {a['signer']}: {a['decision']}, "
                    f"until {a['expires_at']} — {validity}",
                    markup=False,
                )


def impact_command(request_id: int, lang: Lang = None) -> None:
    """List the services a request affects, the outage estimate, and draft a circular."""
    ctx = Context()
    language = choose_language(ctx.settings, lang)
    from sop_runner.reports.render import build

    data = build(ctx, request_id, language)
    the_impact = data["impact"]
    if not the_impact.services:
        out.print(data["L"]["no_services"])
    for service in the_impact.services:
        out.print(f"{service.name} ({service.title}) · {service.opd} · {service.criticality}")
    out.print(f"{data['L']['outage']}: {data['outage']}")
    if the_impact.circular_required:
        from sop_runner.reports import write_reports

        paths = write_reports(ctx, request_id, language)
        circular = [p for p in paths if p.name.startswith("surat-edaran")]
        out.print(f"{data['L']['circular_required']}: {circular[0]}")
