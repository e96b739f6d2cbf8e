"""The `sop` command: assembles subcommands; the work is in the core modules."""

from __future__ import annotations

import json
import os
import re
import sys
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import click
import typer
from rich.console import Console
from rich.table import Table
from typer._click.exceptions import ClickException as TyperClickException

from sop_runner import audit, gates, impact, keys
from sop_runner.context import Context
from sop_runner.errors import SopError, StepFailed
from sop_runner.features import Registry, installed
from sop_runner.requests import create_request, get_request, parse_params, request_hash

app = typer.Typer(
    help="SOP Pusat Data Kabupaten Tegal — prosedur yang dapat dijalankan.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
keys_app = typer.Typer(help="Operator keys (ed25519), kept in the operator's home.")
audit_app = typer.Typer(help="The append-only audit trail.")
app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")

out = Console(soft_wrap=True)

Lang = Annotated[str | None, typer.Option("--lang", help="id (Indonesian, default) or en")]
As = Annotated[
    str | None,
    typer.Option("--as", help="operator name (default: $SOP_OPERATOR)", show_default=False),
]


def _lang(ctx: Context, lang: str | None) -> str:
    chosen = lang or ctx.settings.lang
    if chosen not in ("id", "en"):
        raise SopError(f"--lang: {chosen!r} is not allowed; use 'id' or 'en'")
    return chosen


def _operator(name: str | None) -> str | None:
    return name or os.environ.get("SOP_OPERATOR")


_DURATION = re.compile(r"^(\d+)([smhd])$")


def _duration(text: str, option: str) -> timedelta:
    match = _DURATION.match(text)
    if not match or int(match.group(1)) == 0:
        raise SopError(f"{option}: {text!r} is not a duration like 30m, 8h or 2d (above zero)")
    unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
    return timedelta(**{unit: int(match.group(1))})


@app.command("list")
def list_procedures(lang: Lang = None) -> None:
    """List the procedures of the catalog."""
    ctx = Context()
    language = _lang(ctx, lang)
    table = Table("ID", "SOP", "Langkah" if language == "id" else "Steps")
    for procedure in ctx.catalog.procedures:
        table.add_row(procedure.id, procedure.title.get(language), str(len(procedure.steps)))
    out.print(table)


@app.command()
def show(procedure_id: str, lang: Lang = None) -> None:
    """Show one procedure: scope, goals, actors, documents and steps."""
    ctx = Context()
    language = _lang(ctx, lang)
    procedure = ctx.catalog.get(procedure_id)
    out.print(f"[bold]{procedure.id} {procedure.title.get(language)}[/bold]")
    out.print(procedure.scope.get(language))
    for goal in procedure.goals:
        out.print(f"  • {goal.get(language)}")
    names = gates.ROLE_NAMES[language]
    out.print(", ".join(names.get(a, a) for a in procedure.actors))
    for document in procedure.companion_documents:
        out.print(f"  📄 {document.get(language)}")
    table = Table(
        "No",
        "Uraian" if language == "id" else "Activity",
        "Pelaksana" if language == "id" else "Actor",
        "Jenis" if language == "id" else "Kind",
        "Mutu baku" if language == "id" else "Standard time",
        "Output",
    )
    for step in procedure.steps:
        kind = step.kind + (f" ({step.playbook})" if step.playbook else "")
        if step.gate_role:
            kind += f" ⛨ {names[step.gate_role]}"
        table.add_row(
            step.doc_number,
            step.activity.get(language),
            names.get(step.actor, step.actor),
            kind,
            step.standard_time.text(language) if step.standard_time else "",
            step.output.get(language) if step.output else "",
        )
    out.print(table)
    for erratum in procedure.errata:
        out.print(f"[yellow]ralat/erratum:[/yellow] {erratum.get(language)}")


@app.command()
def request(
    procedure_id: str,
    target: Annotated[list[str], typer.Option("--target", help="host or group (repeatable)")],
    reason: Annotated[str, typer.Option("--reason", help="why the work is needed")],
    param: Annotated[list[str] | None, typer.Option("--param", help="KEY=VALUE")] = None,
    as_: As = None,
) -> None:
    """Make a request (work order) for a procedure on targets, with parameters."""
    ctx = Context()
    from sop_runner.operators import get_operator
    from sop_runner.params import validate
    from sop_runner.playbooks import gated_params

    operator = get_operator(ctx.operators, _operator(as_))
    procedure = ctx.catalog.get(procedure_id)
    targets = ctx.inventory.resolve_targets(target)
    # Checked against the procedure's parameter schema before anything is written.
    params = validate(procedure, parse_params(param or []), hosts=ctx.inventory.hosts)
    for derive in ctx.features.derivers(procedure.id):
        derived = derive(ctx.settings.inventory, targets, params)
        typed = sorted(set(derived) & set(params))
        if typed:
            raise SopError(
                f"--param {typed[0]}: computed by `sop request {procedure.id}` itself "
                "from the repository; leave it out"
            )
        params.update(derived)
    needed = set().union(*(gated_params(s.playbook) for s in procedure.steps if s.playbook))
    missing = sorted(needed - set(params))
    if missing:
        raise SopError(
            f"--param: procedure {procedure.id} needs {', '.join(missing)} "
            f"(its playbooks are gated on them)"
        )
    with ctx.session() as session:
        req = create_request(session, procedure.id, targets, params, reason, operator.name)
        digest = request_hash(req)
    out.print(f"request {req.id} · {procedure.id} · {', '.join(targets)}")
    out.print(f"hash {digest}")


def _decide(
    request_id: int, decision: str, step: int | None, expires: str, reason: str, as_: str | None
) -> None:
    ctx = Context()
    lifetime = _duration(expires, "--expires")
    with ctx.session() as session:
        req = get_request(session, request_id)
        procedure = ctx.catalog.get(req.procedure_id)
        the_impact = impact.analyse(procedure, ctx.inventory, req.targets)
        row = gates.decide(
            session,
            req,
            procedure,
            the_impact,
            ctx.operators,
            _operator(as_),
            ctx.settings.key_dir,
            decision,
            step,
            reason,
            lifetime,
        )
    verb = "approved" if decision == "approve" else "rejected"
    out.print(
        f"request {request_id} step {row.step_number} ({row.role}) {verb} by {row.signer}"
        f", valid until {row.expires_at}"
    )


@app.command()
def approve(
    request_id: int,
    step: Annotated[int | None, typer.Option(help="the gate step (default: first pending)")] = None,
    expires: Annotated[str, typer.Option(help="validity, e.g. 8h, 2d")] = "24h",
    reason: Annotated[str, typer.Option(help="a note")] = "",
    as_: As = None,
) -> None:
    """Sign an approval of a request's gate with your key."""
    _decide(request_id, "approve", step, expires, reason, as_)


@app.command()
def reject(
    request_id: int,
    reason: Annotated[str, typer.Option(help="why (required)")],
    step: Annotated[int | None, typer.Option(help="the gate step")] = None,
    as_: As = None,
) -> None:
    """Sign a rejection of a request's gate."""
    _decide(request_id, "reject", step, "30d", reason, as_)


@app.command()
def status(request_id: int, lang: Lang = None) -> None:
    """Show a request: each gate, who signed, what is pending, and its runs."""
    ctx = Context()
    language = _lang(ctx, lang)
    with ctx.session() as session:
        req = get_request(session, request_id)
        procedure = ctx.catalog.get(req.procedure_id)
        the_impact = impact.analyse(procedure, ctx.inventory, req.targets)
        states = gates.gate_states(session, req, procedure, the_impact, ctx.operators)
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


@app.command("impact")
def impact_command(request_id: int, lang: Lang = None) -> None:
    """List the services a request affects, the outage estimate, and draft a circular."""
    ctx = Context()
    language = _lang(ctx, lang)
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


def _confirmations(pairs: list[str], path: Path | None) -> dict[int, str]:
    result: dict[int, str] = {}
    entries = list(pairs)
    if path is not None:
        if not path.exists():
            raise SopError(f"--confirm-file: {path} not found")
        entries += [line for line in path.read_text().splitlines() if line.strip()]
    for entry in entries:
        number, sep, note = entry.partition("=")
        if not sep or not number.strip().isdigit() or not note.strip():
            raise SopError(f"--confirm: {entry!r} is not STEP=NOTE (a step number and a note)")
        result[int(number)] = note.strip()
    return result


@app.command()
def run(
    request_id: int,
    confirm: Annotated[list[str] | None, typer.Option(help="STEP=NOTE, repeatable")] = None,
    confirm_file: Annotated[Path | None, typer.Option(help="file of STEP=NOTE lines")] = None,
    lang: Lang = None,
    as_: As = None,
) -> None:
    """Carry out an approved request, step by step (resumes a stopped run)."""
    from sop_runner.execution import run_request
    from sop_runner.ui import TerminalUI

    ctx = Context()
    language = _lang(ctx, lang)
    confirmations = _confirmations(confirm or [], confirm_file)
    with ctx.session() as session:
        procedure = ctx.catalog.get(get_request(session, request_id).procedure_id)
    with TerminalUI(procedure, language, interactive=True) as ui:
        outcome = run_request(ctx, request_id, _operator(as_), confirmations, ui)
    out.print(f"run {outcome.run_id}: {outcome.status} ({outcome.steps_done} steps)")


@app.command()
def report(
    request_id: int,
    lang: Lang = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="directory")] = None,
) -> None:
    """Write a request's report, work order and circular (Markdown, HTML, PDF if possible)."""
    from sop_runner.reports import write_reports

    ctx = Context()
    for path in write_reports(ctx, request_id, _lang(ctx, lang), out_dir):
        out.print(str(path))


@keys_app.command("init")
def keys_init(
    as_: As = None,
    force: Annotated[bool, typer.Option(help="replace an existing key")] = False,
    roles: Annotated[str, typer.Option(help="comma-separated roles for the entry")] = "petugas",
) -> None:
    """Create your private key (0600, in your home) and print your operators.yml entry."""
    name = _operator(as_)
    if not name or not re.match(r"^[a-z][a-z0-9_.-]*$", name):
        raise SopError("--as: an operator name of lowercase letters, digits, '.', '_' or '-'")
    ctx = Context()
    public = keys.init_key(ctx.settings.key_dir, name, force)
    out.print(f"# add to {ctx.settings.operators_file}:", markup=False)
    out.print(f"  - name: {name}\n    roles: [{roles}]\n    public_key: {public}", markup=False)


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the whole audit chain; name the first entry that was tampered with."""
    ctx = Context()
    count, finding = audit.verify(ctx.engine)
    if finding is not None:
        out.print(f"audit chain BROKEN at entry {finding.seq}: {finding.kind}: {finding.message}")
        raise typer.Exit(1)
    out.print(f"audit chain intact: {count} entries")


@audit_app.command("show")
def audit_show(last: Annotated[int, typer.Option(help="how many of the newest")] = 20) -> None:
    """Show the newest audit entries."""
    from sqlalchemy import select

    from sop_runner.store.models import AuditEntry

    ctx = Context()
    with ctx.session() as session:
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(last))
        for row in reversed(list(rows)):
            entry = json.loads(row.content)
            out.print(
                f"{row.seq:>6} {entry['time'][:19]} {entry['actor']:<12} "
                f"{entry['action']:<18} {entry['subject']}"
            )


@app.command()
def lab(action: Annotated[str, typer.Argument(help="up | down | status")]) -> None:
    """Bring the lab (real hosts in namespaces) up or down."""
    if action not in ("up", "down", "status"):
        raise SopError(f"lab: {action!r} is not allowed; use up, down or status")
    import subprocess

    raise typer.Exit(subprocess.call([sys.executable, "-m", "sop_runner.lab", action]))


def _add_feature_commands(registry: Registry, argv: list[str]) -> None:
    """Given the features and the command line, add each feature's command group.

    Only the group being run is loaded; the others are listed by name and help,
    so `sop list` does not import every feature's command code.
    """
    wanted = argv[0] if argv else None
    for name, command in sorted(registry.commands.items()):
        if name == wanted:
            app.add_typer(command.load(), name=name)
        else:
            app.add_typer(typer.Typer(help=command.help), name=name)


def main() -> None:
    """Run the command; turn our errors into one line and an exit code."""
    try:
        registry = installed()
        _add_feature_commands(registry, sys.argv[1:])
        for hook in registry.startup_hooks():  # e.g. roll back network changes left behind
            hook(None)
        # Without standalone mode click hands back typer.Exit codes instead of exiting.
        code = app(standalone_mode=False)
    except SopError as error:
        Console(stderr=True, soft_wrap=True).print(
            f"sop: error: {error}", markup=False, highlight=False
        )
        sys.exit(error.exit_code)
    except StepFailed as failure:
        Console(stderr=True, soft_wrap=True).print(
            f"sop: step failed: {failure}; fix it and run `sop run` again to resume",
            markup=False,
            highlight=False,
        )
        sys.exit(1)
    except (click.exceptions.Abort, typer.Abort):
        sys.exit(130)
    except (click.ClickException, TyperClickException) as error:
        # typer bundles its own copy of click: its usage errors are not click's.
        error.show()
        sys.exit(error.exit_code)
    if isinstance(code, int) and code:
        sys.exit(code)


if __name__ == "__main__":
    main()
