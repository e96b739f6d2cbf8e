"""The semester recap of backups (SOP 7.2 narrative step 7: rekapitulasi tiap semester)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from sop_runner.context import Context
from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.procedures.backup.documents import (
    backup_dict,
    generated_now,
    write_document,
)
from sop_runner.procedures.backup.models import BackupRecord
from sop_runner.procedures.backup.words import WORDS


def semester_bounds(text: str) -> tuple[datetime, datetime]:
    """Given 'YYYY-1' (January–June) or 'YYYY-2' (July–December), return [start, end).

    Raise SopError naming --semester if the text is neither.
    """
    try:
        year_text, half_text = text.split("-")
        year, half = int(year_text), int(half_text)
        if half not in (1, 2) or not 1970 <= year <= 9999:
            raise ValueError
    except ValueError:
        raise SopError(
            _(
                "--semester: {text!r} is not a semester; "
                "allowed: YYYY-1 (Jan–Jun) or YYYY-2 (Jul–Dec)"
            ).format(text=text)
        ) from None
    start = datetime(year, 1 if half == 1 else 7, 1, tzinfo=UTC)
    end = datetime(year, 7, 1, tzinfo=UTC) if half == 1 else datetime(year + 1, 1, 1, tzinfo=UTC)
    return start, end


def build_recap(ctx: Context, semester: str, lang: str) -> dict[str, Any]:
    """Given a semester, return every data backup (7.2) and file backup (7.1) in it."""
    start, end = semester_bounds(semester)
    with ctx.session() as session:
        rows = [
            backup_dict(r)
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
        "generated": generated_now(),
    }


def write_recap(ctx: Context, semester: str, lang: str, out: Path | None = None) -> list[Path]:
    """Given a semester, write its recap (PDF, HTML, Markdown); return the paths.

    The folder is ``out`` or the reports folder's ``backup-recap``.
    """
    data = build_recap(ctx, semester, lang)
    folder = out or ctx.settings.reports_dir / "backup-recap"
    folder.mkdir(parents=True, exist_ok=True)
    return write_document(
        ctx, "backup_recap.md.j2", data, folder, f"rekap-backup-{semester}-{lang}"
    )
