"""`sop request`, `approve`, `reject`, `status`, `impact`: work orders and their gates."""

from __future__ import annotations

from typing import Annotated

import typer

from sop_runner import gates, impact
from sop_runner.cli.options import As, Lang, choose_language, duration, operator_name, out
from sop_runner.context import Context
from sop_runner.requests import get_request, new_request, parse_params, request_hash


def register(app: typer.Typer) -> None:
    """Given the app, add the request and approval commands to it."""
    app.command()(request)
    app.command()(approve)
    app.command()(reject)
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


def _decide(
    request_id: int, decision: str, step: int | None, expires: str, reason: str, as_: str | None
) -> None:
    ctx = Context()
    lifetime = duration(expires, "--expires")
    acting, trusted = ctx.actor(operator_name(as_)), ctx.trusted
    with ctx.session() as session:
        req = get_request(session, request_id)
        procedure = ctx.catalog.get(req.procedure_id)
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


def approve(
    request_id: int,
    step: Annotated[int | None, typer.Option(help="the gate step (default: first pending)")] = None,
    expires: Annotated[str, typer.Option(help="validity, e.g. 8h, 2d")] = "24h",
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
    _decide(request_id, "reject", step, "30d", reason, as_)


def status(request_id: int, lang: Lang = None) -> None:
    """Show a request: each gate, who signed, what is pending, and its runs."""
    ctx = Context()
    language = choose_language(ctx.settings, lang)
    trusted = ctx.trusted
    with ctx.session() as session:
        req = get_request(session, request_id)
        procedure = ctx.catalog.get(req.procedure_id)
        the_impact = impact.analyse(procedure, ctx.inventory, req.targets)
        states = gates.gate_states(session, req, procedure, the_impact, trusted)
        out.print(
            f"request {req.id} · {procedure.id} {procedure.title.get(language)} · "
            f"{', '.join(req.targets)} · {req.status}"
        )
        out.print(f"hash {request_hash(req)}")
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
        from sop_runner.reports.render import write_reports

        paths = write_reports(ctx, request_id, language)
        circular = [p for p in paths if p.name.startswith("surat-edaran")]
        out.print(f"{data['L']['circular_required']}: {circular[0]}")
