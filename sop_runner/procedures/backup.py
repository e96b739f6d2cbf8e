"""SOP 7.1–7.5 backup, restore and retention: records, schedules, overdue, reports.

The playbooks (backup_files.yml, backup_databases.yml, restore_files.yml,
restore_database.yml, retention.yml) hand their results back with set_stats;
the writers in RECORDERS turn them into rows.  A failed backup or restore is
recorded too: the run loop calls RECORDERS only for a step that succeeded, so
a flush hook writes the same rows when a failed step record carries them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from sop_runner import audit
from sop_runner.context import Context
from sop_runner.errors import SopError
from sop_runner.features import Command, Feature
from sop_runner.store.models import Base, Request, Run
from sop_runner.store.types import UTCDateTime

# The document's minimums: data at least weekly (7.2), files at least monthly
# (7.1), and the retention check periodically (7.5; yearly here).
MINIMUM_INTERVAL = {
    "database": timedelta(days=7),
    "file": timedelta(days=31),
    "retention": timedelta(days=366),
}
PROCEDURE_OF_KIND = {"file": "7.1", "database": "7.2", "retention": "7.5"}


class BackupRecord(Base):
    """Catatan backup (SOP 7.1/7.2): one snapshot or one failed attempt."""

    __tablename__ = "backup_records"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), nullable=True)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(16))  # file | database
    host: Mapped[str] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(Text)
    repository: Mapped[str] = mapped_column(Text)
    snapshot_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    status: Mapped[str] = mapped_column(String(16))  # ok | failed
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class RestoreRecord(Base):
    """Catatan restore (SOP 7.3/7.4): one restore, its verification, or its refusal."""

    __tablename__ = "backup_restores"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), nullable=True)
    restored_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(16))  # file | database
    host: Mapped[str] = mapped_column(String(128))
    snapshot_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    repository: Mapped[str] = mapped_column(Text)
    target: Mapped[str] = mapped_column(Text)  # path or engine/database
    source: Mapped[str] = mapped_column(Text, default="")
    size_bytes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    overwrite: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16))  # ok | refused | failed | mismatch
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class RetentionRecord(Base):
    """One retention pass (SOP 7.5) over one repository, with what it deleted."""

    __tablename__ = "backup_retention"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), nullable=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    host: Mapped[str] = mapped_column(String(128))
    repository: Mapped[str] = mapped_column(Text)
    today: Mapped[str] = mapped_column(String(10))
    max_age_days: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # ok | failed
    deleted: Mapped[list[Any]] = mapped_column(JSON, default=list)
    kept_last: Mapped[list[Any]] = mapped_column(JSON, default=list)
    future: Mapped[list[Any]] = mapped_column(JSON, default=list)
    pruned: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str] = mapped_column(Text, default="")


class RepositoryCheck(Base):
    """One `restic check` of a repository and its result."""

    __tablename__ = "backup_repository_checks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), nullable=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    host: Mapped[str] = mapped_column(String(128))
    repository: Mapped[str] = mapped_column(Text)
    procedure: Mapped[str] = mapped_column(String(8))
    ok: Mapped[bool] = mapped_column(Boolean)
    subset: Mapped[str] = mapped_column(String(32), default="")
    message: Mapped[str] = mapped_column(Text, default="")


# --- records ---------------------------------------------------------------------


def _when(text: Any) -> datetime:
    if isinstance(text, str) and text:
        try:
            value = datetime.fromisoformat(text)
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        except ValueError:
            pass
    return datetime.now(UTC)


def _operator(session: Session, run_id: int) -> str:
    run = session.get(Run, run_id)
    return run.operator if run else "ansible"


def record_file_backups(session: Session, run_id: int, per_host: dict[str, Any]) -> int:
    """Given per-host results of restic_backup, write one BackupRecord each; return how many."""
    count = 0
    for host, res in sorted(per_host.items()):
        ok = bool(res.get("snapshot_id")) and not res.get("msg")
        row = BackupRecord(
            run_id=run_id,
            taken_at=_when(res.get("time")),
            kind="file",
            host=host,
            source=",".join(res.get("paths") or []),
            repository=str(res.get("repository", "")),
            snapshot_id=res.get("snapshot_id"),
            size_bytes=int(res.get("total_size") or 0),
            status="ok" if ok else "failed",
            details={
                "file_types": res.get("file_types", {}),
                "file_count": res.get("file_count", 0),
                "summary": res.get("summary", {}),
                "error": res.get("msg", ""),
            },
        )
        session.add(row)
        session.flush()
        audit.append(
            session,
            _operator(session, run_id),
            f"backup.file.{row.status}",
            f"backup/{row.id}",
            {"host": host, "source": row.source, "snapshot": row.snapshot_id},
        )
        count += 1
    return count


def record_database_backups(session: Session, run_id: int, per_host: dict[str, Any]) -> int:
    """Given per-host lists of db_backup results, write one BackupRecord per database."""
    count = 0
    for host, results in sorted(per_host.items()):
        for res in results or []:
            status = "ok" if res.get("status") == "ok" and not res.get("msg") else "failed"
            source = res.get("source") or f"{res.get('engine', '?')}/{res.get('database', '?')}"
            row = BackupRecord(
                run_id=run_id,
                taken_at=_when(res.get("time")),
                kind="database",
                host=host,
                source=source,
                repository=str(res.get("repository", "")),
                snapshot_id=res.get("snapshot_id"),
                size_bytes=int(res.get("size") or 0),
                status=status,
                details={
                    "engine": res.get("engine"),
                    "database": res.get("database"),
                    "filename": res.get("filename"),
                    "tables": res.get("tables", {}),
                    "stable": res.get("stable"),
                    "removed_snapshots": res.get("removed_snapshots", []),
                    "error": res.get("error") or res.get("msg") or "",
                },
            )
            session.add(row)
            session.flush()
            audit.append(
                session,
                _operator(session, run_id),
                f"backup.database.{status}",
                f"backup/{row.id}",
                {
                    "host": host,
                    "source": source,
                    "snapshot": row.snapshot_id,
                    "removed_snapshots": row.details["removed_snapshots"],
                },
            )
            count += 1
    return count


def _restore_status(res: dict[str, Any]) -> str:
    if res.get("refused"):
        return "refused"
    if res.get("msg"):
        return "failed"
    return "ok" if res.get("verified") else "mismatch"


def _record_restore(session: Session, run_id: int, host: str, kind: str, res: dict) -> None:
    status = _restore_status(res)
    target = (
        str(res.get("target", ""))
        if kind == "file"
        else f"{res.get('engine', '')}/{res.get('database', '')}"
    )
    row = RestoreRecord(
        run_id=run_id,
        restored_at=datetime.now(UTC),
        kind=kind,
        host=host,
        snapshot_id=res.get("snapshot_id"),
        repository=str(res.get("repository", "")),
        target=target,
        source=str(res.get("source") or ",".join(res.get("snapshot_paths") or [])),
        size_bytes=res.get("total_size") if kind == "file" else res.get("size"),
        overwrite=bool(res.get("overwrite")),
        status=status,
        verified=bool(res.get("verified")),
        details={
            k: res.get(k)
            for k in (
                "snapshot_time",
                "destinations",
                "file_count",
                "file_types",
                "mismatches",
                "filename",
                "tables",
                "msg",
            )
            if res.get(k) is not None
        },
    )
    session.add(row)
    session.flush()
    audit.append(
        session,
        _operator(session, run_id),
        f"restore.{kind}.{status}",
        f"restore/{row.id}",
        {"host": host, "target": target, "snapshot": row.snapshot_id, "verified": row.verified},
    )


def record_file_restores(session: Session, run_id: int, per_host: dict[str, Any]) -> int:
    """Given per-host restic_restore results, write a RestoreRecord each; return how many."""
    for host, res in sorted(per_host.items()):
        _record_restore(session, run_id, host, "file", res)
    return len(per_host)


def record_database_restores(session: Session, run_id: int, per_host: dict[str, Any]) -> int:
    """Given per-host db_restore results, write a RestoreRecord each; return how many."""
    for host, res in sorted(per_host.items()):
        _record_restore(session, run_id, host, "database", res)
    return len(per_host)


def record_retention(session: Session, run_id: int, per_host: dict[str, Any]) -> int:
    """Given per-host restic_forget results, write a RetentionRecord each; return how many."""
    for host, res in sorted(per_host.items()):
        row = RetentionRecord(
            run_id=run_id,
            checked_at=datetime.now(UTC),
            host=host,
            repository=str(res.get("repository", "")),
            today=str(res.get("today", date.today().isoformat())),
            max_age_days=int(res.get("max_age_days") or 365),
            status="failed" if res.get("msg") else "ok",
            deleted=list(res.get("deleted") or []),
            kept_last=list(res.get("kept_last") or []),
            future=list(res.get("future") or []),
            pruned=bool(res.get("pruned")),
            error=str(res.get("msg") or ""),
        )
        session.add(row)
        session.flush()
        audit.append(
            session,
            _operator(session, run_id),
            f"retention.{row.status}",
            f"retention/{row.id}",
            {
                "repository": row.repository,
                "deleted": [d["id"] for d in row.deleted],
                "kept_last": [d["id"] for d in row.kept_last],
            },
        )
    return len(per_host)


def record_repository_checks(session: Session, run_id: int, per_host: dict[str, Any]) -> int:
    """Given per-host restic_check outcomes, write a RepositoryCheck each; return how many."""
    for host, res in sorted(per_host.items()):
        row = RepositoryCheck(
            run_id=run_id,
            checked_at=datetime.now(UTC),
            host=host,
            repository=str(res.get("repository", "")),
            procedure=str(res.get("procedure", "")),
            ok=bool(res.get("ok")),
            subset=str(res.get("subset", "")),
            message=str(res.get("message", ""))[:2000],
        )
        session.add(row)
        session.flush()
        if not row.ok:
            audit.append(
                session,
                _operator(session, run_id),
                "backup.repository_check_failed",
                f"repository-check/{row.id}",
                {"repository": row.repository, "message": row.message[:300]},
            )
    return len(per_host)


RECORDERS: dict[str, Callable[[Session, int, Any], int]] = {
    "file_backups": record_file_backups,
    "database_backups": record_database_backups,
    "file_restores": record_file_restores,
    "database_restores": record_database_restores,
    "retention": record_retention,
    "repository_checks": record_repository_checks,
}


# --- compliance: overdue and schedules ------------------------------------------------


@dataclass(frozen=True)
class Overdue:
    """One source whose last good backup is older than the document's minimum."""

    kind: str
    host: str
    source: str
    last: datetime | None
    due: datetime | None
    days_late: int | None


def overdue(last_ok: dict[tuple[str, str, str], datetime | None], now: datetime) -> list[Overdue]:
    """Given the last good backup per (kind, host, source) and now, return what is overdue.

    A source never backed up (None) is overdue; otherwise it is overdue when
    now is later than its last backup plus the minimum interval of its kind.
    """
    late = []
    for (kind, host, source), last in sorted(last_ok.items()):
        limit = MINIMUM_INTERVAL[kind]
        if last is None:
            late.append(Overdue(kind, host, source, None, None, None))
            continue
        due = last + limit
        if now > due:
            late.append(Overdue(kind, host, source, last, due, (now - due).days))
    return late


def expected_sources(inventory_hosts: dict[str, dict[str, Any]]) -> set[tuple[str, str, str]]:
    """Given inventory host vars, return the (kind, host, source) that must be backed up.

    A host's ``databases`` (``{engine, name}`` or ``engine/name``) and
    ``backup_paths`` name what the schedule covers.
    """
    wanted: set[tuple[str, str, str]] = set()
    for host, hostvars in inventory_hosts.items():
        for db in hostvars.get("databases") or []:
            name = f"{db['engine']}/{db['name']}" if isinstance(db, dict) else str(db)
            wanted.add(("database", host, name))
        paths = hostvars.get("backup_paths") or []
        if paths:
            wanted.add(("file", host, ",".join(sorted(str(p) for p in paths))))
    return wanted


def last_good(session: Session) -> dict[tuple[str, str, str], datetime]:
    """Given the store, return the time of the last good backup per (kind, host, source)."""
    result: dict[tuple[str, str, str], datetime] = {}
    for row in session.scalars(select(BackupRecord).where(BackupRecord.status == "ok")):
        key = (row.kind, row.host, row.source)
        when = row.taken_at if row.taken_at.tzinfo else row.taken_at.replace(tzinfo=UTC)
        if key not in result or when > result[key]:
            result[key] = when
    for ret in session.scalars(select(RetentionRecord).where(RetentionRecord.status == "ok")):
        key = ("retention", ret.host, ret.repository)
        when = ret.checked_at if ret.checked_at.tzinfo else ret.checked_at.replace(tzinfo=UTC)
        if key not in result or when > result[key]:
            result[key] = when
    return result


def _inventory_hosts(ctx: Context) -> dict[str, dict[str, Any]]:
    import yaml

    from sop_runner.runner import inventory_file

    data = yaml.safe_load(inventory_file(ctx.settings.inventory).read_text()) or {}
    hosts: dict[str, dict[str, Any]] = {}

    def walk(group: dict[str, Any]) -> None:
        for name, hostvars in (group.get("hosts") or {}).items():
            hosts.setdefault(name, {}).update(hostvars or {})
        for child in (group.get("children") or {}).values():
            walk(child or {})

    walk(data.get("all", data) or {})
    return hosts


SCHEDULES = {
    # kind: (cron minute hour dom month dow, systemd OnCalendar, playbook, procedure)
    "database": ("30 1 * * 0", "Sun *-*-* 01:30:00", "backup_databases.yml", "7.2"),
    "file": ("30 2 1 * *", "*-*-01 02:30:00", "backup_files.yml", "7.1"),
    "retention": ("30 3 2 1 *", "*-01-02 03:30:00", "retention.yml", "7.5"),
}


def schedule_entries(
    target: str,
    repository: str,
    paths: list[str],
    databases: list[str],
    sop: str = "sop",
    operator: str | None = None,
) -> dict[str, str]:
    """Given what to back up, return the cron entries (name -> line) meeting the minimums.

    Each entry makes a request and runs it through sop (gates and records as
    for a person at the terminal); the human steps are confirmed as
    "terjadwal" (scheduled).
    """

    def line(kind: str, params: list[str], confirm: list[int]) -> str:
        cron, _cal, _pb, proc = SCHEDULES[kind]
        args = " ".join(f"--param '{p}'" for p in params)
        confirms = " ".join(f"--confirm {n}=terjadwal" for n in confirm)
        who = f" --as {operator}" if operator else ""
        return (
            f"{cron} root id=$({sop} request {proc} --target {target} {args} "
            f"--reason 'jadwal {proc}'{who} | sed -n 's/^request \\([0-9]*\\) .*/\\1/p') "
            f'&& [ -n "$id" ] && {sop} run "$id" {confirms}{who}'
        )

    entries = {}
    if databases:
        entries["database"] = line(
            "database",
            [f"databases=[{', '.join(databases)}]", f"repository={repository}"],
            [1, 2, 3, 5],
        )
    if paths:
        entries["file"] = line(
            "file", [f"paths=[{', '.join(paths)}]", f"repository={repository}"], [1, 2, 4]
        )
    entries["retention"] = line(
        "retention", [f"repository={repository}", "max_age_days=365"], [1, 3]
    )
    return entries


def systemd_units(entries: dict[str, str]) -> dict[str, str]:
    """Given cron entries, return systemd service and timer unit files (file name -> text)."""
    units = {}
    for kind, entry in entries.items():
        command = entry.split(" root ", 1)[1]
        name = f"sop-backup-{kind}"
        units[f"{name}.service"] = (
            f"[Unit]\nDescription=sop-pusatdata SOP {SCHEDULES[kind][3]} ({kind})\n\n"
            f"[Service]\nType=oneshot\nExecStart=/bin/sh -c {_sh_quote(command)}\n"
        )
        units[f"{name}.timer"] = (
            f"[Unit]\nDescription=sop-pusatdata SOP {SCHEDULES[kind][3]} schedule\n\n"
            f"[Timer]\nOnCalendar={SCHEDULES[kind][1]}\nPersistent=true\n\n"
            "[Install]\nWantedBy=timers.target\n"
        )
    return units


def _sh_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$") + '"'


# --- semester recap -------------------------------------------------------------------


def semester_bounds(text: str) -> tuple[datetime, datetime]:
    """Given 'YYYY-1' (January–June) or 'YYYY-2' (July–December), return [start, end)."""
    try:
        year_text, half_text = text.split("-")
        year, half = int(year_text), int(half_text)
        if half not in (1, 2) or not 1970 <= year <= 9999:
            raise ValueError
    except ValueError:
        raise SopError(
            f"--semester: {text!r} is not a semester; allowed: YYYY-1 (Jan–Jun) or YYYY-2 (Jul–Dec)"
        ) from None
    start = datetime(year, 1 if half == 1 else 7, 1, tzinfo=UTC)
    end = datetime(year, 7, 1, tzinfo=UTC) if half == 1 else datetime(year + 1, 1, 1, tzinfo=UTC)
    return start, end


# --- reports -------------------------------------------------------------------------

WORDS = {
    "id": {
        "report_7.1": "Laporan hasil backup file",
        "report_7.2": "Laporan hasil backup data",
        "report_7.3": "Laporan hasil restore file",
        "report_7.4": "Laporan hasil restore data",
        "report_7.5": "Laporan hasil penghapusan backup file",
        "recap": "Rekapitulasi kegiatan backup data semester",
        "request": "Permintaan",
        "run": "Pelaksanaan",
        "operator": "Petugas",
        "datetime": "Tanggal dan jam",
        "host": "Host",
        "source": "Sumber",
        "repository": "Media penyimpanan (repositori)",
        "snapshot": "Snapshot",
        "size": "Besaran",
        "file_types": "Jenis file",
        "files": "Jumlah file",
        "status": "Status",
        "database": "Nama basis data",
        "data_type": "Jenis data",
        "filename": "Nama file",
        "error": "Keterangan",
        "target": "Tujuan restore",
        "overwrite": "Menimpa data",
        "verified": "Terverifikasi",
        "tables": "Tabel (baris / checksum)",
        "deleted": "Backup yang dihapus",
        "kept_last": "Lebih dari 1 tahun tetapi disimpan (backup terakhir dari sumbernya)",
        "future": "Snapshot bertanggal di masa depan (periksa jam sistem)",
        "name": "Nama file",
        "type": "Jenis",
        "owner": "Pemilik (host/sumber)",
        "age": "Umur (hari)",
        "checks": "Pemeriksaan repositori",
        "subset": "Bagian data dibaca",
        "none": "Tidak ada.",
        "ok": "berhasil",
        "failed": "GAGAL",
        "refused": "DITOLAK",
        "mismatch": "TIDAK SAMA",
        "yes": "ya",
        "no": "tidak",
        "period": "Periode",
        "total": "Jumlah backup",
        "generated": "Dibuat",
        "pruned": "Prune dijalankan",
        "retention_today": "Dihitung dari tanggal",
        "file": "file",
        "database_kind": "basis data",
    },
    "en": {
        "report_7.1": "File backup result report",
        "report_7.2": "Data backup result report",
        "report_7.3": "File restore result report",
        "report_7.4": "Data restore result report",
        "report_7.5": "Backup deletion result report",
        "recap": "Semester recap of data backups",
        "request": "Request",
        "run": "Run",
        "operator": "Officer",
        "datetime": "Date and time",
        "host": "Host",
        "source": "Source",
        "repository": "Storage medium (repository)",
        "snapshot": "Snapshot",
        "size": "Size",
        "file_types": "File types",
        "files": "Files",
        "status": "Status",
        "database": "Database name",
        "data_type": "Data type",
        "filename": "File name",
        "error": "Notes",
        "target": "Restored to",
        "overwrite": "Overwrite",
        "verified": "Verified",
        "tables": "Tables (rows / checksum)",
        "deleted": "Backups deleted",
        "kept_last": "Older than 1 year but kept (last backup of its source)",
        "future": "Snapshots dated in the future (check the system clock)",
        "name": "File name",
        "type": "Type",
        "owner": "Owner (host/source)",
        "age": "Age (days)",
        "checks": "Repository checks",
        "subset": "Data subset read",
        "none": "None.",
        "ok": "ok",
        "failed": "FAILED",
        "refused": "REFUSED",
        "mismatch": "MISMATCH",
        "yes": "yes",
        "no": "no",
        "period": "Period",
        "total": "Backups",
        "generated": "Generated",
        "pruned": "Prune run",
        "retention_today": "Counted from",
        "file": "file",
        "database_kind": "database",
    },
}


def _backup_dict(row: BackupRecord) -> dict[str, Any]:
    return {
        "taken_at": row.taken_at,
        "kind": row.kind,
        "host": row.host,
        "source": row.source,
        "repository": row.repository,
        "snapshot_id": row.snapshot_id or "",
        "size": row.size_bytes or 0,
        "status": row.status,
        "details": row.details or {},
    }


def build(ctx: Context, request_id: int, lang: str) -> dict[str, Any]:
    """Given a request of SOP 7.1–7.5, return what its result report shows."""
    with ctx.session() as session:
        request = session.get(Request, request_id)
        if request is None:
            raise SopError(f"request: {request_id} does not exist")
        if request.procedure_id not in ("7.1", "7.2", "7.3", "7.4", "7.5"):
            raise SopError(
                f"request: {request_id} is procedure {request.procedure_id}; "
                "allowed: a request of 7.1–7.5"
            )
        run_ids = list(session.scalars(select(Run.id).where(Run.request_id == request_id)))
        runs = list(session.scalars(select(Run).where(Run.request_id == request_id)))
        backups = [
            _backup_dict(r)
            for r in session.scalars(
                select(BackupRecord)
                .where(BackupRecord.run_id.in_(run_ids))
                .order_by(BackupRecord.id)
            )
        ]
        restores = [
            {c.key: getattr(r, c.key) for c in RestoreRecord.__table__.columns}
            for r in session.scalars(
                select(RestoreRecord)
                .where(RestoreRecord.run_id.in_(run_ids))
                .order_by(RestoreRecord.id)
            )
        ]
        retention = [
            {c.key: getattr(r, c.key) for c in RetentionRecord.__table__.columns}
            for r in session.scalars(
                select(RetentionRecord)
                .where(RetentionRecord.run_id.in_(run_ids))
                .order_by(RetentionRecord.id)
            )
        ]
        checks = [
            {c.key: getattr(r, c.key) for c in RepositoryCheck.__table__.columns}
            for r in session.scalars(
                select(RepositoryCheck)
                .where(RepositoryCheck.run_id.in_(run_ids))
                .order_by(RepositoryCheck.id)
            )
        ]
        words = WORDS[lang]
        return {
            "L": words,
            "lang": lang,
            "title": words[f"report_{request.procedure_id}"],
            "procedure": request.procedure_id,
            "request": {
                "id": request.id,
                "targets": request.targets,
                "params": request.params,
                "reason": request.reason,
                "requested_by": request.requested_by,
            },
            "runs": [
                {"id": r.id, "operator": r.operator, "status": r.status, "started_at": r.started_at}
                for r in runs
            ],
            "backups": backups,
            "restores": restores,
            "retention": retention,
            "checks": checks,
            "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        }


def build_recap(ctx: Context, semester: str, lang: str) -> dict[str, Any]:
    """Given a semester, return every data backup (7.2) and file backup (7.1) in it."""
    start, end = semester_bounds(semester)
    with ctx.session() as session:
        rows = [
            _backup_dict(r)
            for r in session.scalars(
                select(BackupRecord)
                .where(BackupRecord.taken_at >= start, BackupRecord.taken_at < end)
                .order_by(BackupRecord.taken_at, BackupRecord.id)
            )
        ]
    words = WORDS[lang]
    by_source: dict[str, dict[str, Any]] = {}
    for row in rows:
        key = f"{row['host']}:{row['source']}"
        entry = by_source.setdefault(
            key,
            {
                "host": row["host"],
                "source": row["source"],
                "kind": row["kind"],
                "ok": 0,
                "failed": 0,
                "size": 0,
                "last": None,
            },
        )
        entry[row["status"] if row["status"] in ("ok", "failed") else "failed"] += 1
        if row["status"] == "ok":
            entry["size"] += row["size"]
            entry["last"] = row["taken_at"]
    return {
        "L": words,
        "lang": lang,
        "title": f"{words['recap']} {semester}",
        "semester": semester,
        "start": start.date().isoformat(),
        "end": (end - timedelta(days=1)).date().isoformat(),
        "backups": rows,
        "sources": sorted(by_source.values(), key=lambda e: (e["host"], e["source"])),
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
    }


def _render(template: str, data: dict[str, Any]) -> str:
    from sop_runner.reports.render import template_environment

    return template_environment().get_template(template).render(**data)


def write_report(ctx: Context, request_id: int, lang: str, out: Path | None = None) -> list[Path]:
    """Given a 7.x request, write its result report (Markdown and HTML); return the paths."""
    data = build(ctx, request_id, lang)
    from sop_runner.reports.render import request_report_dir

    out = request_report_dir(ctx, request_id, out)
    md = out / f"laporan-backup-{data['procedure']}-{request_id}-{lang}.md"
    md.write_text(_render("backup_report.md.j2", data))
    html = md.with_suffix(".html")
    html.write_text(_markdown_page(data["title"], md.read_text()))
    return [md, html]


def _markdown_page(title: str, markdown: str) -> str:
    import html

    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "</head><body><pre style='white-space:pre-wrap;font-family:sans-serif'>"
        f"{html.escape(markdown)}</pre></body></html>\n"
    )


# --- command ----------------------------------------------------------------------------

cli = typer.Typer(help="SOP 7.1–7.5 backup: schedules, overdue backups, reports, semester recap.")
cli_name = "backup"

LangOption = Annotated[str | None, typer.Option("--lang", help="id (default) or en")]


def _lang(ctx: Context, lang: str | None) -> str:
    value = lang or ctx.settings.lang
    if value not in WORDS:
        raise SopError(f"--lang: {value!r} is not allowed; use id or en")
    return value


@cli.command("report")
def report_command(
    request_id: int,
    lang: LangOption = None,
    out: Annotated[Path | None, typer.Option("--out", help="directory to write to")] = None,
) -> None:
    """Write the result report of a 7.1–7.5 request (Laporan hasil backup/restore/penghapusan)."""
    ctx = Context()
    for path in write_report(ctx, request_id, _lang(ctx, lang), out):
        typer.echo(str(path))


@cli.command("recap")
def recap_command(
    semester: Annotated[str, typer.Option("--semester", help="YYYY-1 (Jan–Jun) or YYYY-2")],
    lang: LangOption = None,
    out: Annotated[Path | None, typer.Option("--out", help="directory to write to")] = None,
) -> None:
    """Write the semester recap of backups (SOP 7.2 narrative step 7)."""
    ctx = Context()
    data = build_recap(ctx, semester, _lang(ctx, lang))
    directory = out or ctx.settings.reports_dir / "backup-recap"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"rekap-backup-{semester}-{data['lang']}.md"
    path.write_text(_render("backup_recap.md.j2", data))
    path.with_suffix(".html").write_text(_markdown_page(data["title"], path.read_text()))
    typer.echo(str(path))
    typer.echo(str(path.with_suffix(".html")))


def _parse_at(text: str | None) -> datetime:
    if not text:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise SopError(f"--at: {text!r} is not a date or date-time (ISO 8601)") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@cli.command("overdue")
def overdue_command(
    at: Annotated[str | None, typer.Option("--at", help="evaluate at this time (ISO)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Show what is overdue against the minimums: data weekly, files monthly, retention yearly.

    Exit 1 when something is overdue (for monitoring), 0 when all is in time.
    """
    import json

    ctx = Context()
    now = _parse_at(at)
    with ctx.session() as session:
        known: dict[tuple[str, str, str], datetime | None] = dict(last_good(session))
    for key in expected_sources(_inventory_hosts(ctx)):
        known.setdefault(key, None)
    late = overdue(known, now)
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "kind": o.kind,
                        "procedure": PROCEDURE_OF_KIND[o.kind],
                        "host": o.host,
                        "source": o.source,
                        "last": o.last.isoformat() if o.last else None,
                        "due": o.due.isoformat() if o.due else None,
                        "days_late": o.days_late,
                    }
                    for o in late
                ],
                indent=2,
            )
        )
    else:
        if not late:
            typer.echo("nothing overdue")
        for o in late:
            last = o.last.strftime("%Y-%m-%d %H:%M") if o.last else "never"
            typer.echo(
                f"OVERDUE {o.kind} (SOP {PROCEDURE_OF_KIND[o.kind]}) {o.host} {o.source}: "
                f"last good backup {last}"
                + (f", {o.days_late} day(s) late" if o.days_late is not None else "")
            )
    raise typer.Exit(1 if late else 0)


@cli.command("schedule")
def schedule_command(
    target: Annotated[str, typer.Option("--target", help="host to back up")],
    repository: Annotated[str, typer.Option("--repository", help="restic repository")],
    paths: Annotated[list[str] | None, typer.Option("--path", help="file path (7.1)")] = None,
    databases: Annotated[
        list[str] | None, typer.Option("--database", help="ENGINE/NAME (7.2)")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="cron or systemd")] = "cron",
    install: Annotated[bool, typer.Option("--install", help="write the entries")] = False,
    dest: Annotated[
        Path | None, typer.Option("--dest", help="cron file or systemd unit directory")
    ] = None,
    operator: Annotated[str | None, typer.Option("--operator", help="sop operator")] = None,
) -> None:
    """Print (or --install) cron entries or systemd timers meeting the document's minimums."""
    ctx = Context()
    if fmt not in ("cron", "systemd"):
        raise SopError(f"--format: {fmt!r} is not allowed; use cron or systemd")
    for path in paths or []:
        if not path.startswith("/"):
            raise SopError(f"--path: {path!r} is relative; allowed: absolute paths")
    for db in databases or []:
        engine, _, name = db.partition("/")
        if engine not in ("mariadb", "mysql", "postgresql") or not name or "/" in name:
            raise SopError(
                f"--database: {db!r}; allowed: ENGINE/NAME with ENGINE mariadb, mysql or postgresql"
            )
    if target not in _inventory_hosts(ctx):
        raise SopError(f"--target: {target!r} is not a host of the inventory")
    entries = schedule_entries(target, repository, paths or [], databases or [], "sop", operator)
    if fmt == "cron":
        text = "# sop-pusatdata backup schedule (SOP 7.1 monthly, 7.2 weekly, 7.5 yearly)\n"
        text += "SHELL=/bin/sh\nPATH=/usr/local/bin:/usr/bin:/bin\n"
        text += "".join(f"{line}\n" for line in entries.values())
        if not install:
            typer.echo(text, nl=False)
            return
        target_file = dest or Path("/etc/cron.d/sop-pusatdata-backup")
        target_file.parent.mkdir(parents=True, exist_ok=True)
        target_file.write_text(text)
        os.chmod(target_file, 0o644)
        written = [str(target_file)]
    else:
        units = systemd_units(entries)
        if not install:
            for name, body in units.items():
                typer.echo(f"# --- {name}\n{body}")
            return
        directory = dest or Path("/etc/systemd/system")
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        for name, body in units.items():
            (directory / name).write_text(body)
            written.append(str(directory / name))
    with ctx.session() as session:
        audit.append(
            session,
            operator or os.environ.get("SOP_OPERATOR") or "sop",
            "backup.schedule_installed",
            f"schedule/{target}",
            {"files": written, "format": fmt, "repository": repository},
        )
    for path in written:
        typer.echo(path)


FEATURE = Feature(
    name="backup",
    procedures=("7.1", "7.2", "7.3", "7.4", "7.5"),
    tables=(BackupRecord, RestoreRecord, RetentionRecord, RepositoryCheck),
    recorders=RECORDERS,
    commands={cli_name: Command(help=cli.info.help or "", load=lambda: cli)},
)
