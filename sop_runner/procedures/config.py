"""SOP 3.1 device configuration: the configuration log, the documentation, the plan.

- ``config_apply.yml`` (step 4, with its test) hands back ``config_changes`` only
  when every change passed its test; RECORDERS turn each changed device into a
  configuration-log entry (date-time, device, substance = the diff, notes) and a
  documentation record (purpose, existing state = config before, steps, result).
- ``sop config docs ID`` writes the configuration documentation and the result
  report for the penanggung jawab; ``sop config log`` lists the log.
- ``sop plan`` (module ``config_plan``) renders what would change, per device.
- ``sop config recover`` rolls back network changes whose revert watchdog died
  (module ``config_recover``, which the start of ``sop`` also runs).
"""

from __future__ import annotations

import difflib
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import JSON, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from sop_runner import audit
from sop_runner.context import Context
from sop_runner.errors import SopError
from sop_runner.features import Command, Feature
from sop_runner.procedures import config_recover
from sop_runner.procedures.config_digest import derive_31
from sop_runner.store.models import Base, Request, Run
from sop_runner.store.queries import rows_of_run
from sop_runner.store.types import UTCDateTime


class ConfigLogEntry(Base):
    """Buku log konfigurasi (SOP 3.1): only changes that passed their test."""

    __tablename__ = "config_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), nullable=True)
    logged_at: Mapped[datetime] = mapped_column(UTCDateTime)
    device: Mapped[str] = mapped_column(String(128))
    substance: Mapped[str] = mapped_column(Text)  # the diff
    notes: Mapped[str] = mapped_column(Text, default="")


class ConfigDocument(Base):
    """Dokumentasi konfigurasi (SOP 3.1 step 7): one changed device of one run."""

    __tablename__ = "config_documents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), nullable=True)
    log_id: Mapped[int | None] = mapped_column(ForeignKey("config_log.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    device: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))  # server | network_device
    purpose: Mapped[str] = mapped_column(Text)
    existing_state: Mapped[str] = mapped_column(Text)  # the configuration before
    steps: Mapped[list[Any]] = mapped_column(JSON, default=list)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    diff: Mapped[str] = mapped_column(Text)


def change_diff(device: str, change: dict[str, Any]) -> str:
    """Given one device's change as the playbook handed it, return its unified diff."""
    if change.get("diff"):
        return str(change["diff"])
    name = ", ".join(change.get("files") or [device])
    return "".join(
        difflib.unified_diff(
            str(change.get("before") or "").splitlines(True),
            str(change.get("after") or "").splitlines(True),
            fromfile=f"{name} (before)",
            tofile=f"{name} (after)",
        )
    )


def changed_lines(diff: str) -> int:
    """Given a unified diff, return how many lines it adds or removes."""
    return sum(
        1 for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))
    )


def record_config_changes(session: Session, run_id: int, changes: dict[str, Any]) -> int:
    """Given config_apply.yml's passed changes, write log entries; return how many.

    Changes are keyed by host, or by host/role when one host has several (then
    the entry's ``device`` names the host); each changed one gets its own entry.
    A configuration that did not change gets no entry (a second run of the same
    desired configuration logs nothing).
    """
    run = session.get(Run, run_id)
    request = session.get(Request, run.request_id) if run else None
    purpose = request.reason if request else ""
    ref = (request.params or {}).get("config_ref", "") if request else ""
    now = datetime.now(UTC)
    written = 0
    for key, change in sorted((changes or {}).items()):
        if not isinstance(change, dict) or not change.get("changed"):
            continue
        device = str(change.get("device", key))
        diff = change_diff(device, change)
        tests = change.get("tests") or {}
        notes = (
            f"SOP 3.1 request #{request.id if request else '?'}"
            + (f", config_ref {ref}" if ref else "")
            + f"; {change.get('kind', 'device')}; test passed ({audit.canonical(tests)})"
        )
        entry = ConfigLogEntry(
            run_id=run_id, logged_at=now, device=device, substance=diff, notes=notes
        )
        session.add(entry)
        session.flush()
        session.add(
            ConfigDocument(
                run_id=run_id,
                log_id=entry.id,
                created_at=now,
                device=device,
                kind=str(change.get("kind", "device")),
                purpose=purpose,
                existing_state=str(change.get("before") or ""),
                steps=list(change.get("steps") or []),
                result={"status": "passed", "tests": tests, "commands": change.get("commands")},
                diff=diff,
            )
        )
        audit.append(
            session,
            "ansible",
            "config.logged",
            f"config_log/{entry.id}",
            {"run": run_id, "device": device, "lines": len(diff.splitlines())},
        )
        written += 1
    return written


RECORDERS = {"config_changes": record_config_changes}


# --- documents -----------------------------------------------------------------


def _documents(ctx: Context, request_id: int, lang: str) -> dict[str, Any]:
    from sop_runner.reports.render import build

    data = build(ctx, request_id, lang)
    run = data["run"]
    with ctx.session() as session:
        docs = rows_of_run(session, ConfigDocument, run, ConfigDocument.device)
        log = rows_of_run(session, ConfigLogEntry, run, ConfigLogEntry.device)
        session.expunge_all()
    rows = [
        {
            "logged_at": e.logged_at,
            "device": e.device,
            "notes": e.notes,
            "substance": e.substance,
            "count": changed_lines(e.substance),
        }
        for e in log
    ]
    return {**data, "docs": docs, "log": rows}


def write_documents(
    ctx: Context, request_id: int, lang: str, out_dir: Path | None = None
) -> list[Path]:
    """Given a 3.1 request, write its configuration documentation and result report."""
    from sop_runner.reports.render import request_report_dir, template_environment

    data = _documents(ctx, request_id, lang)
    if data["procedure"].id != "3.1":
        raise SopError(f"request {request_id}: is for procedure {data['procedure'].id}, not 3.1")
    out = request_report_dir(ctx, request_id, out_dir)
    env = template_environment()
    slug = f"3.1-{request_id}-{lang}"
    paths = [out / f"dokumentasi-konfigurasi-{slug}.md", out / f"laporan-konfigurasi-{slug}.md"]
    for path, template in zip(paths, ("config_doc.md.j2", "config_report.md.j2"), strict=True):
        path.write_text(env.get_template(template).render(**data, words=WORDS[lang]))
    return paths


WORDS: dict[str, dict[str, str]] = {
    "id": {
        "doc_title": "Dokumentasi Konfigurasi",
        "report_title": "Laporan Hasil Konfigurasi",
        "purpose": "Tujuan konfigurasi",
        "existing": "Kondisi eksisting (konfigurasi sebelum perubahan)",
        "steps": "Tahapan konfigurasi",
        "result": "Hasil konfigurasi",
        "substance": "Substansi konfigurasi (diff)",
        "log": "Daftar log konfigurasi",
        "datetime": "Tanggal dan waktu",
        "device": "Perangkat",
        "notes": "Keterangan",
        "passed": "berhasil (lulus uji coba)",
        "no_change": "Tidak ada perubahan konfigurasi yang lulus uji coba pada pelaksanaan ini.",
        "to": "Kepada: Penanggung jawab Pusat Data",
        "failed_note": "Konfigurasi dibatalkan (dikembalikan ke kondisi sebelumnya)",
        "kind_server": "server",
        "kind_network_device": "perangkat jaringan",
        "attached": "Dokumentasi konfigurasi terlampir",
    },
    "en": {
        "doc_title": "Configuration documentation",
        "report_title": "Configuration result report",
        "purpose": "Purpose of the configuration",
        "existing": "Existing state (configuration before the change)",
        "steps": "Configuration steps",
        "result": "Result of the configuration",
        "substance": "Substance of the configuration (diff)",
        "log": "Configuration log",
        "datetime": "Date and time",
        "device": "Device",
        "notes": "Notes",
        "passed": "succeeded (passed its test)",
        "no_change": "No configuration change passed its test in this run.",
        "to": "To: the data center's person in charge",
        "failed_note": "Configuration cancelled (rolled back to the state before)",
        "kind_server": "server",
        "kind_network_device": "network device",
        "attached": "Configuration documentation attached",
    },
}


# --- commands -----------------------------------------------------------------

cli = typer.Typer(help="SOP 3.1 configuration: log and documentation.", no_args_is_help=True)
cli_name = "config"


@cli.command("docs")
def docs_command(
    request_id: int,
    lang: Annotated[str | None, typer.Option(help="id | en")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="directory")] = None,
) -> None:
    """Write the configuration documentation and result report of a 3.1 request."""
    ctx = Context()
    language = lang or ctx.settings.lang
    if language not in WORDS:
        raise SopError(f"--lang: {language!r} is not allowed; use id or en")
    for path in write_documents(ctx, request_id, language, out_dir):
        typer.echo(str(path))


@cli.command("log")
def log_command(
    device: Annotated[str | None, typer.Option(help="only this device")] = None,
    last: Annotated[int, typer.Option(help="how many of the newest")] = 20,
) -> None:
    """Show the configuration log (only changes that passed their test)."""
    ctx = Context()
    with ctx.session() as session:
        query = select(ConfigLogEntry).order_by(ConfigLogEntry.id.desc()).limit(last)
        if device:
            query = query.where(ConfigLogEntry.device == device)
        for entry in session.scalars(query).all():
            typer.echo(
                f"{entry.id}\t{entry.logged_at:%Y-%m-%d %H:%M:%S}\t{entry.device}\t"
                f"{len(entry.substance.splitlines())} diff lines\t{entry.notes}"
            )


@cli.command("recover")
def recover_command(
    lang: Annotated[str | None, typer.Option(help="id | en")] = None,
) -> None:
    """Roll back network changes left behind by a dead revert watchdog (netmiko devices)."""
    from sop_runner.procedures.config_recover import WATCH_DIR, recover_all, waiting
    from sop_runner.procedures.config_recover import WORDS as SAY

    ctx = Context()
    language = lang or ctx.settings.lang
    if language not in SAY:
        raise SopError(f"--lang: {language!r} is not allowed; use id or en")
    if WATCH_DIR.exists() and not os.access(WATCH_DIR, os.R_OK | os.X_OK):
        raise SopError(f"config recover: cannot read {WATCH_DIR}; run it as root")
    found, failed = recover_all(ctx, language, WATCH_DIR, typer.echo, retry=True)
    still = waiting(WATCH_DIR) if WATCH_DIR.exists() else []
    for change in still:
        typer.echo(SAY[language]["waiting"].format(**change))
    if not found and not still:
        typer.echo(SAY[language]["none"])
    if failed:
        raise typer.Exit(1)


def _plan_cli() -> typer.Typer:
    from sop_runner.procedures import config_plan

    return config_plan.cli


FEATURE = Feature(
    name="config",
    procedures=("3.1",),
    tables=(ConfigLogEntry, ConfigDocument),
    recorders=RECORDERS,
    derived_params={"3.1": derive_31},
    commands={
        cli_name: Command(help=cli.info.help or "", load=lambda: cli),
        "plan": Command(
            help="Show what the desired configuration would change (check mode + diff).",
            load=_plan_cli,
        ),
    },
    on_startup=(config_recover.on_startup,),
)
