"""SOP 4.2 OS upgrade and SOP 4.1 hardware upgrade: records, verdicts, documents.

Playbooks hand back (set_stats, keyed by host):
- ``upgrade_analysis`` (4.2 step 2): facts, requirement results, verdict, baseline test;
- ``upgrade_backups`` (4.2 step 7): the checked pre-upgrade snapshot;
- ``upgrade_packages`` (4.2 step 8): package versions before/after;
- ``upgrade_tests`` (4.2 step 9): testinfra checks and response times;
- ``upgrade_recovery`` (4.2 step 9, when the test failed): rollback and its verification;
- ``hw_spec_before`` / ``hw_spec_after`` / ``hw_register`` (4.1 steps 2, 6, 8).

A step that fails (the analysis that postpones, the test that fails) still has
its records written: the core runs recorders for failed steps too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from sop_runner import audit
from sop_runner.context import Context
from sop_runner.features import Command, Feature
from sop_runner.procedures import register
from sop_runner.store.models import Base, Run
from sop_runner.store.queries import rows_of_run
from sop_runner.store.types import UTCDateTime

KINDS = (
    "upgrade_analysis",
    "upgrade_backups",
    "upgrade_packages",
    "upgrade_tests",
    "upgrade_recovery",
    "hw_spec_before",
    "hw_spec_after",
    "hw_register",
)


class UpgradeRecord(Base):
    """One record of an upgrade run for one host: analysis, backup, packages, tests, recovery."""

    __tablename__ = "upgrade_records"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    step_record_id: Mapped[int | None] = mapped_column(ForeignKey("step_records.id"), nullable=True)
    host: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ok: Mapped[bool] = mapped_column(Boolean)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class UpgradePackageChange(Base):
    """One package whose version the OS upgrade changed: before and after."""

    __tablename__ = "upgrade_package_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    host: Mapped[str] = mapped_column(String(128))
    package: Mapped[str] = mapped_column(String(256))
    version_before: Mapped[str] = mapped_column(String(256))
    version_after: Mapped[str] = mapped_column(String(256))


def record_ok(kind: str, value: dict[str, Any]) -> bool:
    """Given a record kind and its data, return whether it is a success."""
    if kind == "upgrade_analysis":
        return bool(value.get("compatible"))
    if kind == "upgrade_backups":
        return bool(value.get("snapshot_id")) and bool(value.get("checked"))
    if kind in ("upgrade_tests", "hw_spec_after"):
        return bool(value.get("ok"))
    if kind == "upgrade_recovery":
        return _truthy(value.get("verified"))
    return True


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("true", "yes", "1")


def _write(
    session: Session, run_id: int, kind: str, value: dict[str, Any], step_record_id: int | None
) -> int:
    now = datetime.now(UTC)
    for host, data in sorted(value.items()):
        session.add(
            UpgradeRecord(
                run_id=run_id,
                step_record_id=step_record_id,
                host=host,
                kind=kind,
                recorded_at=now,
                ok=record_ok(kind, data),
                data=data,
            )
        )
        if kind == "upgrade_packages":
            for change in data.get("changed_packages", []) or []:
                session.add(
                    UpgradePackageChange(
                        run_id=run_id,
                        host=host,
                        package=change["name"],
                        version_before=change.get("from", ""),
                        version_after=change.get("to", ""),
                    )
                )
        if kind == "hw_register":
            _register_specs(session, run_id, host, data)
    return len(value)


def _register_specs(session: Session, run_id: int, host: str, data: dict[str, Any]) -> None:
    before = _latest(session, run_id, host, "hw_spec_before")
    note = str(data.get("change", ""))
    run = session.get(Run, run_id)
    actor = run.operator if run is not None else "sop"
    if register.get_device(session, host) is None:
        register.add_device(session, host, actor, notes="registered at a hardware upgrade (4.1)")
    if before is not None:
        register.record_spec(
            session, host, before.data.get("spec", {}), actor, "before", note, run_id
        )
    register.record_spec(session, host, data.get("spec", {}), actor, "after", note, run_id)


def _latest(session: Session, run_id: int, host: str, kind: str) -> UpgradeRecord | None:
    return session.scalars(
        select(UpgradeRecord)
        .where(
            UpgradeRecord.run_id == run_id, UpgradeRecord.host == host, UpgradeRecord.kind == kind
        )
        .order_by(UpgradeRecord.id.desc())
    ).first()


def _recorder(kind: str) -> Any:
    def write(session: Session, run_id: int, value: dict[str, Any]) -> int:
        return _write(session, run_id, kind, value, None)

    write.__doc__ = f"Given {kind} data keyed by host, store it; return how many hosts."
    return write


RECORDERS = {kind: _recorder(kind) for kind in KINDS}


# --- verdicts and documents -----------------------------------------------------

WORDS: dict[str, dict[str, str]] = {
    "id": {
        "analysis_title": "Laporan hasil analisis kesesuaian sistem operasi",
        "report_title": "Laporan hasil peningkatan sistem operasi",
        "doc_title": "Dokumentasi konfigurasi",
        "hw_title": "Laporan hasil peningkatan perangkat keras",
        "compatible": "sesuai",
        "not_compatible": "tidak sesuai",
        "postponed": "DITUNDA — sistem operasi baru tidak sesuai dengan lingkungan aplikasi",
        "upgraded": "BERHASIL — sistem operasi ditingkatkan dan lolos uji",
        "failed_recovered": "GAGAL — uji setelah peningkatan gagal; dipulihkan dan terverifikasi",
        "failed": "GAGAL — uji setelah peningkatan gagal; pemulihan belum terverifikasi",
        "cancelled": "DIBATALKAN — perangkat keras tidak cocok atau gagal uji",
        "in_progress": "BELUM SELESAI",
        "yes": "ya",
        "no": "tidak",
    },
    "en": {
        "analysis_title": "Operating system compatibility analysis report",
        "report_title": "Operating system upgrade result report",
        "doc_title": "Configuration documentation",
        "hw_title": "Hardware upgrade result report",
        "compatible": "compatible",
        "not_compatible": "not compatible",
        "postponed": "POSTPONED — the new operating system does not fit the applications",
        "upgraded": "DONE — the operating system was upgraded and passed its test",
        "failed_recovered": "FAILED — the test after the upgrade failed; recovered and verified",
        "failed": "FAILED — the test after the upgrade failed; recovery not verified",
        "cancelled": "CANCELLED — the hardware did not fit or failed its test",
        "in_progress": "NOT FINISHED",
        "yes": "yes",
        "no": "no",
    },
}


def outcome(records: list[UpgradeRecord]) -> str:
    """Given a run's upgrade records, return its outcome key.

    postponed (an analysis not compatible), failed_recovered / failed (a test
    failed; recovery verified or not), upgraded (packages changed and tests
    passed), cancelled (4.1 spec or test not met), else in_progress.
    """
    kinds = {(r.kind, r.ok) for r in records}
    if ("upgrade_analysis", False) in kinds:
        return "postponed"
    if ("hw_spec_after", False) in kinds:
        return "cancelled"
    if (
        ("upgrade_tests", False) in kinds
        or ("upgrade_recovery", False) in kinds
        or ("upgrade_recovery", True) in kinds
    ):
        recovered = [r for r in records if r.kind == "upgrade_recovery"]
        return "failed_recovered" if recovered and all(r.ok for r in recovered) else "failed"
    if ("upgrade_tests", True) in kinds and ("upgrade_packages", True) in kinds:
        return "upgraded"
    if ("hw_register", True) in kinds:
        return "upgraded"
    return "in_progress"


def figures_rows(records: list[UpgradeRecord]) -> list[dict[str, Any]]:
    """Given a run's records, return before/after response-time rows per host and check."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for record in records:
        if record.kind == "upgrade_analysis":
            phase, figures = "before", (record.data.get("baseline") or {}).get("figures", {})
        elif record.kind in ("upgrade_tests", "hw_spec_after"):
            phase, figures = "after", record.data.get("figures", {})
        elif record.kind == "upgrade_recovery":
            phase, figures = "recovered", record.data.get("figures", {})
        elif record.kind == "hw_spec_before":
            phase, figures = "before", record.data.get("figures", {})
        else:
            continue
        for name, value in (figures or {}).items():
            row = rows.setdefault((record.host, name), {"host": record.host, "check": name})
            row[phase] = value.get("median_ms")
    return list(rows.values())


def build(ctx: Context, request_id: int, lang: str) -> dict[str, Any]:
    """Given a request of 4.1 or 4.2, return everything its upgrade documents show."""
    from sop_runner.reports.render import build as core_build

    data = core_build(ctx, request_id, lang)
    run = data["run"]
    with ctx.session() as session:
        records = rows_of_run(session, UpgradeRecord, run, UpgradeRecord.id)
        changes = rows_of_run(
            session,
            UpgradePackageChange,
            run,
            UpgradePackageChange.host,
            UpgradePackageChange.package,
        )
        specs = {}
        for host in data["request"].targets:
            if register.get_device(session, host) is not None:
                specs[host] = [
                    {
                        "at": s.recorded_at,
                        "phase": s.phase,
                        "spec": s.spec,
                        "note": s.note,
                        "run_id": s.run_id,
                    }
                    for s in register.spec_history(session, host)
                ]
        by_kind: dict[str, list[dict[str, Any]]] = {}
        for record in records:
            by_kind.setdefault(record.kind, []).append(
                {"host": record.host, "ok": record.ok, "at": record.recorded_at, **record.data}
            )
        data.update(
            W=WORDS[lang],
            outcome=outcome(records),
            records=by_kind,
            changes=[
                {
                    "host": c.host,
                    "package": c.package,
                    "before": c.version_before,
                    "after": c.version_after,
                }
                for c in changes
            ],
            figures=figures_rows(records),
            specs=specs,
            run_error=run.error if run else "",
        )
    return data


def write_documents(
    ctx: Context, request_id: int, lang: str, out_dir: Path | None = None
) -> list[Path]:
    """Given a 4.1 or 4.2 request, write its upgrade documents; return the paths."""
    from sop_runner.reports.render import request_report_dir, template_environment

    data = build(ctx, request_id, lang)
    out = request_report_dir(ctx, request_id, out_dir)
    env = template_environment()
    slug = f"{data['procedure'].id}-{request_id}-{lang}"
    if data["procedure"].id == "4.2":
        templates = [
            ("upgrade_analysis.md.j2", f"laporan-analisis-kesesuaian-{slug}.md"),
            ("upgrade_report.md.j2", f"laporan-peningkatan-so-{slug}.md"),
            ("upgrade_config_doc.md.j2", f"dokumentasi-konfigurasi-{slug}.md"),
        ]
    else:
        templates = [
            ("upgrade_hw_report.md.j2", f"laporan-peningkatan-perangkat-keras-{slug}.md"),
            ("upgrade_config_doc.md.j2", f"dokumentasi-konfigurasi-{slug}.md"),
        ]
    written = []
    for template, name in templates:
        path = out / name
        path.write_text(env.get_template(template).render(**data))
        written.append(path)
    with ctx.session() as session:
        audit.append(
            session,
            "sop",
            "upgrade.documents",
            f"request/{request_id}",
            {"files": [p.name for p in written], "outcome": data["outcome"]},
        )
    return written


# --- `sop upgrade ...` -----------------------------------------------------------

cli = typer.Typer(help="SOP 4.1/4.2 upgrades: analysis report, upgrade report, documentation.")
cli_name = "upgrade"
_out = Console(soft_wrap=True)


@cli.command("report")
def report_command(
    request_id: int,
    lang: Annotated[str, typer.Option(help="id (Indonesian) or en")] = "id",
    out: Annotated[Path | None, typer.Option(help="directory for the documents")] = None,
) -> None:
    """Write the analysis report, the upgrade report and the configuration documentation."""
    from sop_runner.errors import SopError

    if lang not in WORDS:
        raise SopError(f"--lang: {lang!r} is not allowed; allowed: id, en")
    ctx = Context()
    with ctx.session() as session:
        from sop_runner.requests import get_request

        procedure = get_request(session, request_id).procedure_id
    if procedure not in ("4.1", "4.2"):
        raise SopError(f"request {request_id} is procedure {procedure}; allowed: 4.1, 4.2")
    for path in write_documents(ctx, request_id, lang, out):
        _out.print(str(path), markup=False, highlight=False)


FEATURE = Feature(
    name="upgrade",
    procedures=("4.1", "4.2"),
    tables=(UpgradeRecord, UpgradePackageChange),
    recorders=RECORDERS,
    commands={cli_name: Command(help=cli.info.help or "", load=lambda: cli)},
)
