"""The 6.1 part of the Laporan hasil monitoring: load records, a chart, the files removed."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from sop_runner.procedures.monitoring.models import ResourceSample
from sop_runner.procedures.monitoring.words import WORDS
from sop_runner.reports.chart import usage_bars
from sop_runner.store.models import Request, Run, StepRecord
from sop_runner.store.queries import rows_of_run

_COLUMNS = (
    "host",
    "cpu_count",
    "load_1m",
    "memory_total_mb",
    "memory_used_mb",
    "disk_total_mb",
    "disk_used_mb",
    "net_rx_bytes",
    "net_tx_bytes",
)


def section_data(session: Session, request: Request, run: Run | None, lang: str) -> dict[str, Any]:
    """Given a 6.1 request and its latest run, return what the report section shows."""
    words = WORDS[lang]
    samples = [
        {
            **{column: getattr(sample, column) for column in _COLUMNS},
            "mem_pct": round(100 * sample.memory_used_mb / max(sample.memory_total_mb, 1)),
            "disk_pct": round(100 * sample.disk_used_mb / max(sample.disk_total_mb, 1)),
        }
        for sample in rows_of_run(session, ResourceSample, run, ResourceSample.host)
    ]
    removed: dict[str, list[str]] = {}
    for record in rows_of_run(session, StepRecord, run, StepRecord.id):
        removed.update(record.data.get("removed_files", {}) or {})
    chart = (
        usage_bars(
            [(row["host"], row["mem_pct"], row["disk_pct"]) for row in samples],
            (words["memory"], words["disk"]),
        )
        if samples
        else ""
    )
    return {"W": words, "samples": samples, "chart": chart, "removed": removed}
