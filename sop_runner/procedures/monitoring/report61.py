"""SOP 6.1's periodic report (Laporan monitoring berkala) as an official document.

The records of a period are read from Prometheus, analysed (``periodic``), drawn
(``charts``) and issued through the core's document layer (kop, number, WIB dates,
signature, QR, `sop verify`).  The petugas who writes it signs it: the signature is
a signed audit entry ``monitoring.report`` covering the period, the hosts and the
problems found; a report made for a 6.1 request also carries that request's
signatures.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup

from sop_runner.context import Context
from sop_runner.documents import dates
from sop_runner.documents.layout import html_of
from sop_runner.documents.naskah import load_naskah
from sop_runner.escaping import md
from sop_runner.procedures.monitoring import analysis, charts, issuing, periodic
from sop_runner.procedures.monitoring.periodic_words import WORDS


@dataclass
class Written:
    """What a report wrote, what it found and where its time went (the bench reads it)."""

    paths: list[Path]
    problems: list[tuple[str, str, str]]  # (host, problem, recommendation)
    records: list[periodic.HostRecord] = field(default_factory=list)
    seconds_prometheus: float = 0.0
    seconds_rendering: float = 0.0


def rate_text(value: float) -> str:
    """Given bytes per second, return them readable ('1.2 MB/s')."""
    for unit, size in (("GB/s", 1e9), ("MB/s", 1e6), ("kB/s", 1e3)):
        if abs(value) >= size:
            return f"{value / size:.1f} {unit}"
    return f"{value:.0f} B/s"


def _step_text(step: float) -> str:
    return f"{step / 60:.0f} min" if step < 3600 else f"{step / 3600:.1f} h"


def problem_lines(
    record: periodic.HostRecord,
    period: periodic.Period,
    limits: analysis.Thresholds,
    w: dict[str, str],
    zone: str,
    lang: str,
) -> list[tuple[str, str]]:
    """Given an analysed host, return its problems and recommendations in words."""
    lines = []
    for problem, fix in record.problems:
        if problem == "disk_full_soon" and record.disk_full_at is not None:
            text = w[problem].format(
                date=dates.long_date(record.disk_full_at, zone, lang),
                days=(record.disk_full_at - period.end).total_seconds() / periodic.DAY,
                trend=record.disk_trend_per_day or 0.0,
            )
        else:
            name = problem.removesuffix("_over")
            text = w[problem].format(
                peak=record.stats.get(name, {}).get("peak", 0.0), limit=getattr(limits, name)
            )
        lines.append((text, w[fix]))
    return lines


def _resume_rows(records: list[periodic.HostRecord], w: dict[str, str], zone: str, lang: str):
    for r in records:
        s = r.stats
        trend = (
            f"{r.disk_trend_per_day:+.2f} {w['per_day']}"
            if r.disk_trend_per_day is not None
            else "–"
        )
        full = dates.long_date(r.disk_full_at, zone, lang) if r.disk_full_at else w["not_filling"]
        yield (
            f"| {md(r.host)} | {s.get('cpu', {}).get('mean', 0):.0f} / "
            f"{s.get('cpu', {}).get('peak', 0):.0f} % | {s.get('memory', {}).get('mean', 0):.0f}"
            f" / {s.get('memory', {}).get('peak', 0):.0f} % | "
            f"{s.get('disk', {}).get('last', 0):.1f} % | {trend} | {full} | "
            f"{rate_text(s.get('rx', {}).get('mean', 0))} / "
            f"{rate_text(s.get('tx', {}).get('mean', 0))} |"
        )


def markdown_parts(
    records: list[periodic.HostRecord],
    period: periodic.Period,
    limits: analysis.Thresholds,
    url: str,
    step: float,
    lang: str,
) -> tuple[str, str, list[tuple[str, str, str]]]:
    """Given analysed records, return the report's Markdown (title first), its closing
    part (after the graphs) and the problems (host, problem, recommendation)."""
    naskah = load_naskah()
    zone, zone_name = naskah.time_zone, naskah.zone_name
    w = WORDS[lang]
    head = [
        f"# {w['title_61']}",
        "",
        f"- {w['basis']}: {w['basis_61']}",
        f"- {w['period']}: {dates.date_time(period.start, zone, zone_name, lang)} – "
        f"{dates.date_time(period.end, zone, zone_name, lang)} ({w['kind_' + period.kind]})",
        f"- {w['source']}: {md(w['source_text'].format(url=url, step=_step_text(step)))}",
        "",
        f"## {w['resume']}",
        "",
        f"| {w['host']} | {w['cpu']} | {w['memory']} | {w['disk']} | {w['trend']} | "
        f"{w['full_at']} | {w['network']} |",
        "|---|---|---|---|---|---|---|",
        *_resume_rows(records, w, zone, lang),
        "",
        f"## {w['analysis']}",
        "",
        w["thresholds"].format(
            cpu=limits.cpu, memory=limits.memory, disk=limits.disk, days=limits.disk_full_days
        ),
        "",
    ]
    problems = [
        (r.host, text, fix)
        for r in records
        for text, fix in problem_lines(r, period, limits, w, zone, lang)
    ]
    tail = [f"## {w['problems']}", ""]
    if problems:
        tail += [f"| {w['host']} | {w['problem']} | {w['recommendation']} |", "|---|---|---|"]
        tail += [f"| {md(h)} | {md(p)} | {md(f)} |" for h, p, f in problems]
        tail += ["", w["repair_hint"], ""]
    else:
        tail += [w["no_problem"], ""]
    return "\n".join(head), "\n".join(tail), problems


def graphs_of(record: periodic.HostRecord, lang: str, zone: str) -> list[charts.Graph]:
    """Given a host's records, return its graphs: CPU, RAM, disk (with its trend) and network."""
    w = WORDS[lang]
    out = []
    for name, key in (("cpu", "g_cpu"), ("memory", "g_memory"), ("disk", "g_disk")):
        series = record.series.get(name)
        if series is None:
            continue
        out.append(
            charts.Graph(
                title=f"{record.host} — {w[key]}",
                unit="%",
                lines=(charts.Line(w[key], series.times, series.values),),
                y_max=100,
            )
        )
    rx, tx = record.series.get("rx"), record.series.get("tx")
    if rx is not None and tx is not None:
        out.append(
            charts.Graph(
                title=f"{record.host} — {w['g_net']}",
                unit="MB/s",
                lines=(
                    charts.Line(w["rx"], rx.times, [v / 1e6 for v in rx.values]),
                    charts.Line(w["tx"], tx.times, [v / 1e6 for v in tx.values]),
                ),
            )
        )
    return out


def write(
    ctx: Context,
    acting_name: str | None,
    url: str,
    period: periodic.Period,
    hosts: list[str],
    limits: analysis.Thresholds,
    lang: str,
    out: Path | None = None,
    request_id: int | None = None,
) -> Written:
    """Given Prometheus, a period and who writes it, issue the 6.1 periodic report (PDF,
    HTML, Markdown) and return what was written and found.

    Raise SopError if the request is not a 6.1 request, Prometheus cannot be read or
    has no records, or the writer is no petugas with a key.
    """
    acting = issuing.writer(ctx, acting_name, "6.1", request_id)
    t0 = time.monotonic()
    records, step = periodic.collect(url, period, hosts)
    t1 = time.monotonic()
    records = [periodic.analyse(r, period, limits) for r in records]
    naskah = load_naskah()
    titled, tail, problems = markdown_parts(records, period, limits, url, step, lang)
    head = titled.split("\n", 2)[2]  # the layout writes the title
    w = WORDS[lang]
    body_md = "\n".join([head, f"## {w['graphs']}", "", w["graphs_md"], "", tail])
    figures = []
    for record in records:
        figures.append(f"<h3>{md(record.host)}</h3>")
        figures += [
            charts.img_tag(charts.png(g, naskah.time_zone), g.title)
            for g in graphs_of(record, lang, naskah.time_zone)
        ]
    body_html = (
        html_of(head)
        + Markup(f"<h2>{w['graphs']}</h2>")
        + Markup("\n".join(figures))
        + html_of(tail)
    )
    subject = issuing.subject_of("6.1", period.start, period.end, [r.host for r in records])
    paths = issuing.issue_report(
        ctx,
        acting,
        title=w["title_61"],
        heading=w["prepared_by"],
        subject=subject,
        file_stem=f"laporan-monitoring-6.1-{period.start:%Y%m%d%H%M}-{period.end:%Y%m%d%H%M}-{lang}",
        lang=lang,
        body_markdown=body_md,
        body_html=body_html,
        signed_data={
            "period": [period.start.isoformat(), period.end.isoformat()],
            "problems": problems,
        },
        out=out,
        request_id=request_id,
    )
    t2 = time.monotonic()
    return Written(paths, problems, records, t1 - t0, t2 - t1)
