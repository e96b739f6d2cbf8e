"""`sop request`, `approve`, `reject`, `cancel`, `status`, `impact`: work orders and their gates."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sop_runner import durations, extravars, gates, impact
from sop_runner.cli import views
from sop_runner.cli.options import As, Json, Lang, choose_language, command, operator_name, out
from sop_runner.context import Context
from sop_runner.errors import SopError
from sop_runner.i18n import _, language
from sop_runner.requests import (
    cancel_request,
    get_request,
    new_request,
    parse_params,
    request_hash,
)

# The ORM's model names a type only: `sop status` runs without SQLAlchemy (issue 17).
if TYPE_CHECKING:
    from sop_runner.store.models import Request


def register(app: typer.Typer) -> None:
    """Given the app, add the request and approval commands to it."""
    command(app, request)
    command(app, approve)
    command(app, reject)
    command(app, cancel)
    command(app, status)
    command(app, params_command, "params")
    command(app, impact_command, "impact")


def request(
    procedure_id: Annotated[str, typer.Argument(help=_("procedure id, e.g. 3.1"))],
    target: Annotated[list[str], typer.Option("--target", help=_("host or group (repeatable)"))],
    reason: Annotated[str, typer.Option("--reason", help=_("why the work is needed"))],
    param: Annotated[list[str] | None, typer.Option("--param", help="KEY=VALUE")] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help=_("print only the request id (for scripts)"))
    ] = False,
    as_: As = None,
    lang: Lang = None,
) -> None:
    """Make a request (work order) for a procedure on targets, with parameters."""
    ctx = Context()
    choose_language(ctx.settings, lang)
    req = new_request(
        ctx, procedure_id, target, parse_params(param or []), reason, operator_name(as_)
    )
    if quiet:
        out.print(str(req.id), markup=False, highlight=False)
        return
    out.print(
        f"{_('request')} {req.id} · {req.procedure_id} · {', '.join(req.targets)}", markup=False
    )
    out.print(f"hash {request_hash(req)}", markup=False)
    _show_content(req)


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _show_content(req: Request) -> None:
    """Print what a request fixes and its hash covers: parameters and impact."""
    _print_content(views.request_content(req))


def _print_content(content: dict[str, Any]) -> None:
    params = content["params"]
    out.print(_("parameters:") + ("" if params else " " + _("none")), markup=False)
    for name, value in sorted(params.items()):
        out.print(f"  {name} = {_shown(value)}", markup=False, highlight=False)
    services = ", ".join(f"{s['name']} ({s['criticality']})" for s in content["services"])
    needed = ", ".join(
        _("step {step} {role}").format(step=g["step"], role=g["role"])
        for g in content["gates"]
        if g["required"]
    )
    out.print(
        _("impact: services {services}; gates {gates}").format(
            services=services or _("none"), gates=needed or _("none")
        ),
        markup=False,
    )


def print_decided_on(gate: dict[str, Any]) -> None:
    """Given a gate row of the status view, print the results of the steps it decides on."""
    if not gate["after"]:
        return
    out.print(
        "  "
        + _("decided on the results of steps {steps}:").format(
            steps=", ".join(str(n) for n in gate["after"])
        ),
        markup=False,
    )
    for found in gate["decides_on"]:
        said = [_(found["status"])]
        if found.get("by"):
            said.append(f"{found['by']} {found['at']}")
        said += [found[k] for k in ("choice", "note") if found.get(k)]
        out.print(f"    {found['step']}. {found['activity']}: " + " — ".join(said), markup=False)


def _decide(
    request_id: int,
    decision: str,
    step: int | None,
    expires: str | None,
    reason: str,
    as_: str | None,
    lang: str | None,
) -> None:
    if expires is not None:
        durations.parse(expires, "--expires")  # its form first, before anything is looked up
    ctx = Context()
    choose_language(ctx.settings, lang)
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
        the_impact = impact.analyse(procedure, ctx.inventory, req.targets, req.params)
        gates.assert_request_signed(req, trusted)
        row = gates.decide(
            session, req, procedure, the_impact, trusted, acting, decision, step, reason, lifetime
        )
        said = (
            _("request {id} step {step} ({role}) approved by {signer}, valid until {until}")
            if decision == "approve"
            else _("request {id} step {step} ({role}) rejected by {signer}, valid until {until}")
        )
        out.print(
            said.format(
                id=request_id,
                step=row.step_number,
                role=row.role,
                signer=row.signer,
                until=row.expires_at,
            ),
            markup=False,
        )
        out.print(
            _("signed hash {hash}, which covers:").format(hash=row.request_hash), markup=False
        )
        _show_content(req)
        step_number, role = row.step_number, row.role
    # What the approver decided on (a gate after the analysis, 4.2), once it is stored.
    for gate in views.status_view(ctx, request_id, language())["gates"]:
        if gate["step"] == step_number and gate["role_id"] == role:
            print_decided_on(gate)


def approve(
    request_id: int,
    step: Annotated[
        int | None, typer.Option(help=_("the gate step (default: first pending)"))
    ] = None,
    expires: Annotated[
        str | None,
        typer.Option(
            help=_("validity, e.g. 8h, 1h30m, 2d (default 24h; at most the procedure's bound)")
        ),
    ] = None,
    reason: Annotated[str, typer.Option(help=_("a note"))] = "",
    as_: As = None,
    lang: Lang = None,
) -> None:
    """Sign an approval of a request's gate with your key."""
    _decide(request_id, "approve", step, expires, reason, as_, lang)


def reject(
    request_id: int,
    reason: Annotated[str, typer.Option(help=_("why (required)"))],
    step: Annotated[int | None, typer.Option(help=_("the gate step"))] = None,
    as_: As = None,
    lang: Lang = None,
) -> None:
    """Sign a rejection of a request's gate."""
    _decide(request_id, "reject", step, None, reason, as_, lang)


def cancel(
    request_id: int,
    reason: Annotated[str, typer.Option(help=_("why (required)"))],
    as_: As = None,
    lang: Lang = None,
) -> None:
    """Cancel a request with your signature: no gate lets it run again."""
    ctx = Context()
    choose_language(ctx.settings, lang)
    req = cancel_request(ctx, request_id, reason, operator_name(as_))
    closed = req.closed or {}
    out.print(
        _("request {id} cancelled by {by} at {at}").format(
            id=req.id, by=closed.get("by"), at=closed.get("at")
        ),
        markup=False,
    )


def params_command(
    request_id: int,
    out_file: Annotated[
        Path | None,
        typer.Option("--out", help=_("write a new file (mode 0600) instead of stdout")),
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
        raise SopError(
            _("--out: {path}: {reason}; give a new file's path").format(
                path=out_file, reason=error.strerror
            )
        ) from None
    out.print(f"{out_file}: ansible-playbook playbooks/PLAYBOOK -l HOSTS -e @{out_file}")


def status(request_id: int, lang: Lang = None, as_json: Json = False) -> None:
    """Show a request: its parameters, each gate, who signed, what is pending, and its runs."""
    ctx = Context()
    language = choose_language(ctx.settings, lang)
    view = views.status_view(ctx, request_id, language)
    if as_json:
        out.print(views.dumps(view), markup=False, highlight=False)
        return
    show_status(view)


def show_status(view: dict[str, Any]) -> None:
    """Given the `sop status` view, print it for a person."""
    req = view["request"]
    out.print(
        f"{_('request')} {req['id']} · {req['procedure']} {req['title']} · "
        f"{', '.join(req['targets'])} · {_(req['status'])}",
        markup=False,
    )
    out.print(
        _("requested by {by} at {at}: {reason}").format(
            by=req["requested_by"], at=req["created_at"], reason=req["reason"]
        ),
        markup=False,
    )
    out.print(f"hash {req['hash']}", markup=False)
    _print_content(req)
    if req["closed"]:
        closed = req["closed"]
        out.print(
            _("{status} by {by} at {at}: {reason}").format(
                status=_(str(closed.get("status"))),
                by=closed.get("by"),
                at=closed.get("at"),
                reason=closed.get("reason"),
            ),
            markup=False,
        )
    if view["impact_changed"]:
        out.print(
            _("IMPACT CHANGED — the gates refuse it: {why}").format(why=view["impact_changed"]),
            markup=False,
        )
    for gate in view["gates"]:
        required = (
            _("required") if gate["required"] else _("not required ({why})").format(why=gate["why"])
        )
        out.print(
            _("gate step {step} · {role} · {required} · {verdict}").format(
                step=gate["step"], role=gate["role"], required=required, verdict=_(gate["verdict"])
            ),
            markup=False,
        )
        for a in gate["approvals"]:
            validity = _("valid") if a["valid"] else _("INVALID: ") + "; ".join(a["problems"])
            out.print(
                "  "
                + _("approval {id} by {signer}: {decision}, until {until} — {validity}").format(
                    id=a["id"],
                    signer=a["signer"],
                    decision=_(a["decision"]),
                    until=a["expires_at"],
                    validity=validity,
                ),
                markup=False,
            )
        print_decided_on(gate)
    for run in view["runs"]:
        done = sum(1 for s in run["steps"] if s["status"] in ("done", "skipped"))
        out.print(
            _("run {id} by {operator}: {status}, {done} steps recorded, from {start}").format(
                id=run["id"],
                operator=run["operator"],
                status=_(run["status"]),
                done=done,
                start=run["started_at"],
            )
            + (f" — {run['error']}" if run["error"] else ""),
            markup=False,
        )
    for wait in view["waiting_for"]:
        out.print(waiting_line(wait, req["id"]), markup=False)


def waiting_line(wait: dict[str, Any], request_id: int) -> str:
    """Given one entry of `waiting_for`, return the line saying who must act."""
    if wait["what"] == "approval":
        return _(
            "waiting for: an approval by a {role} other than {requester} (step {step}): "
            "`sop approve {id}`"
        ).format(
            role=gates.ROLE_NAMES[language()][wait["role"]],
            requester=wait["not"],
            step=wait["step"],
            id=request_id,
        )
    return _("waiting for: a petugas to run it: `sop run {id}`").format(id=request_id)


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
    if data["window"]:
        out.print(f"{data['L']['window']}: {data['window']}")
    if the_impact.circular_required:
        from sop_runner.reports import write_reports

        paths = write_reports(ctx, request_id, language)
        circular = [p for p in paths if p.name.startswith("surat-edaran")]
        out.print(f"{data['L']['circular_required']}: {circular[0]}")
