"""Bench SOP 6.1: the monthly periodic report for 50 hosts × 30 days of 1-minute samples.

The history is backfilled with `promtool tsdb create-blocks-from openmetrics` into a
Prometheus data folder of this bench (Debian's prometheus, started here); then the
report's work is timed part by part: the range queries to Prometheus (collect), the
analysis, the graphs (matplotlib, 4 per host) and the official document (layout and
the PDF through WeasyPrint).  Numbering, signing and writing files are left out (a
few milliseconds, and they need an installation's store).
Prints, and with --record writes to bench/RESULTS.md ("## Monitoring report (SOP 6.1)").
Usage: .venv/bin/python bench/monitoring_report.py [--hosts 50] [--days 30] [--record]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

# Run as a script: its folder is first on sys.path, so results imports.
from results import machine, write_section

from sop_runner.documents.layout import Document, html_of, lay_out
from sop_runner.documents.naskah import load_naskah
from sop_runner.documents.pdf import render_pdf
from sop_runner.lab.monitoring import start_prometheus
from sop_runner.procedures.monitoring import analysis, charts, periodic, report61
from sop_runner.procedures.monitoring.backfill import GIB, HostHistory, backfill

EMPTY = "global: {scrape_interval: 60s}\nscrape_configs: []\n"


def hosts(count: int) -> list[HostHistory]:
    """Given a count, return that many synthetic hosts, their disks filling at different rates."""
    return [
        HostHistory(
            f"srv{n:02d}",
            disk_free_at_start=(40 + n % 50) * GIB,
            disk_fill_per_day=(n % 5) * 0.5 * GIB,
            cpu_busy_share=0.1 + (n % 9) / 10,
        )
        for n in range(1, count + 1)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    end = int(time.time()) // 3600 * 3600 - 3 * 3600
    start = end - args.days * 86400
    with tempfile.TemporaryDirectory(prefix="sop-bench-prom-") as folder:
        root = Path(folder)
        t0 = time.monotonic()
        backfill(hosts(args.hosts), start, end, root / "data")
        backfill_s = time.monotonic() - t0
        (root / "prometheus.yml").write_text(EMPTY)
        proc = start_prometheus(root / "prometheus.yml", root / "data", 19391, root / "log")
        try:
            url = "http://127.0.0.1:19391"
            period = periodic.Period(
                datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC), "monthly"
            )
            t1 = time.monotonic()
            records, step = periodic.collect(url, period)
            t2 = time.monotonic()
        finally:
            proc.terminate()
            proc.wait()
    limits = analysis.Thresholds()
    records = [periodic.analyse(r, period, limits) for r in records]
    titled, tail, problems = report61.markdown_parts(records, period, limits, url, step, "id")
    t3 = time.monotonic()
    zone = load_naskah().time_zone
    images = [
        charts.img_tag(charts.png(g, zone), g.title)
        for r in records
        for g in report61.graphs_of(r, "id", zone)
    ]
    t4 = time.monotonic()
    head = titled.split("\n", 2)[2]
    from markupsafe import Markup

    document = Document(
        kind="laporan",
        subject="bench",
        title="Laporan Monitoring Berkala Sumber Daya Perangkat",
        file_stem="bench",
        lang="id",
        body_markdown=head + tail,
        body_html=html_of(head) + Markup("\n".join(images)) + html_of(tail),
    )
    pdf = render_pdf(lay_out(document, load_naskah(), "000/BENCH/2026", datetime.now(UTC)).html)
    t5 = time.monotonic()
    total = t5 - t1
    parts = {
        "Prometheus (range queries)": t2 - t1,
        "analysis + Markdown": t3 - t2,
        "graphs (matplotlib)": t4 - t3,
        "document + PDF (WeasyPrint)": t5 - t4,
    }
    rows = "\n".join(
        f"| {name} | {seconds:.2f} | {100 * seconds / total:.0f} % |"
        for name, seconds in parts.items()
    )
    body = f"""## Monitoring report (SOP 6.1, `bench/monitoring_report.py`)

{machine()}
- What: the monthly periodic report of SOP 6.1 for {args.hosts} hosts × {args.days} days of
  1-minute samples (7 series a host, {args.hosts * 7 * args.days * 1440:,} samples), backfilled
  with promtool ({backfill_s:.0f} s, not counted) into Debian's Prometheus 2.42; one point
  every {step / 60:.0f} min per graph; {len(images)} graphs; PDF of {len(pdf) / 1e6:.1f} MB;
  {len(problems)} problems found.
- Total: **{total:.1f} s**

| part | seconds | share |
|---|---|---|
{rows}
"""
    print(body)
    if args.record:
        write_section("monitoring-report", body)


if __name__ == "__main__":
    main()
