"""The writers of SOP 7.1–7.5 records: each turns one set_stats key of a playbook into rows.

The playbooks (backup_files.yml, backup_databases.yml, restore_files.yml,
restore_database.yml, retention.yml) hand their results back with set_stats;
a failed backup or restore is recorded too, with its error, and every row
gets its audit entry in the same transaction.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session

from sop_runner import audit
from sop_runner.features import Recorder
from sop_runner.procedures.backup.models import (
    BackupRecord,
    RepositoryCheck,
    RestoreRecord,
    RetentionRecord,
)
from sop_runner.store.models import Run


def _when(text: Any) -> datetime:
    """Given a module's ISO time, return it aware (a naive one is UTC); missing or bad: now."""
    if isinstance(text, str) and text:
        try:
            value = datetime.fromisoformat(text)
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        except ValueError:
            pass
    return datetime.now(UTC)


def _operator(session: Session, run_id: int) -> str:
    """Given a run id, return the operator who ran it (the audit actor of its records)."""
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
                # SOP 7.5 deletes file backups; dumps are judged only under their own policy.
                "scope": list(res.get("scope") or ["file"]),
                "out_of_scope": [d["id"] for d in res.get("out_of_scope") or []],
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


RECORDERS: dict[str, Recorder] = {
    "file_backups": record_file_backups,
    "database_backups": record_database_backups,
    "file_restores": record_file_restores,
    "database_restores": record_database_restores,
    "retention": record_retention,
    "repository_checks": record_repository_checks,
}
