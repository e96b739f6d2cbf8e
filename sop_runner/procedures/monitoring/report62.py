"""SOP 6.2's periodic report: throughput of the router and firewall interfaces, anomalies
against the baseline, and the security incidents of the period, as an official document.

The throughput is read from Prometheus (node_exporter's interface counters of the
hosts whose inventory group is ``firewalls`` or ``network_devices``).  A rate is an
anomaly when its hourly mean is beyond mean ± k·σ of the same hour of the week in
the weeks before (``analysis.anomalies``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from markupsafe import Markup
from sqlalchemy import select

from sop_runner.context import Context
from sop_runner.documents import dates
from sop_runner.documents.layout import html_of
from sop_runner.documents.naskah import load_naskah
from sop_runner.errors import SopError
from sop_runner.escaping import md
from sop_runner.i18n import _
from sop_runner.procedures.monitoring import analysis, charts, issuing, periodic, prom
from sop_runner.procedures.monitoring.models import Incident
from sop_runner.procedures.monitoring.periodic_words import WORDS
from sop_runner.procedures.monitoring.report61 import rate_text

NETWORK_ROLES = "firewalls|network_devices"
HOUR = 3600


@dataclass
class Interface:
    """One interface of a router or firewall: its rates over the period, its anomalies."""

    host: str
    device: str
    rx: prom.Series | None = None
    tx: prom.Series | None = None
    anomalies: list[tuple[str, analysis.Anomaly]] = field(default_factory=list)


@dataclass
class Network:
    """What the 6.2 report found: interfaces, incidents, and where the time went."""

    interfaces: list[Interface]
    incidents: list[dict[str, object]]
    paths: list[Path] = field(default_factory=list)
    seconds_prometheus: float = 0.0


def _query(direction: str, window: int) -> str:
    name = "receive" if direction == "rx" else "transmit"
    return (
        f"sum by (host, device) (rate(node_network_{name}_bytes_total"
        f'{{role=~"{NETWORK_ROLES}",device!="lo"}}[{window}s]))'
    )


def collect(url: str, period: periodic.Period, k: float, weeks: int) -> list[Interface]:
    """Given Prometheus, a period, k and the weeks of baseline, return the interfaces of the
    routers and firewalls with their rates and anomalies.

    Raise SopError if Prometheus cannot be read or has no such interface in the period.
    """
    step = prom.step_for(period.start, period.end, minimum=5.0)
    found: dict[tuple[str, str], Interface] = {}
    baseline_start = period.start - timedelta(weeks=weeks)
    for direction in ("rx", "tx"):
        for s in prom.query_range(
            # At least two minutes: two samples at production's 60 s scrape interval.
            url,
            _query(direction, int(max(120, 4 * step))),
            period.start,
            period.end,
            step,
        ):
            key = (s.labels.get("host", "?"), s.labels.get("device", "?"))
            setattr(found.setdefault(key, Interface(*key)), direction, s)
        # Hourly means over the baseline weeks and the period, for the anomalies.
        for s in prom.query_range(url, _query(direction, HOUR), baseline_start, period.end, HOUR):
            key = (s.labels.get("host", "?"), s.labels.get("device", "?"))
            if key in found:
                found[key].anomalies += [
                    (direction, a)
                    for a in analysis.anomalies(
                        s.times, s.values, period.start.timestamp(), k, weeks
                    )
                ]
    if not found:
        raise SopError(
            _(
                "--period: Prometheus {url} has no interface of a router or firewall "
                "(role {roles}) in the period"
            ).format(url=url, roles=NETWORK_ROLES)
        )
    return [found[key] for key in sorted(found)]


def incidents_in(ctx: Context, period: periodic.Period) -> list[dict[str, object]]:
    """Given a period, return the security incidents opened in it."""
    from sop_runner.procedures.monitoring.incidents import as_dict

    with ctx.session() as session:
        rows = session.scalars(
            select(Incident)
            .where(Incident.opened_at >= period.start, Incident.opened_at <= period.end)
            .order_by(Incident.id)
        )
        return [as_dict(row) for row in rows]


def _markdown(
    found: Network, period: periodic.Period, url: str, k: float, weeks: int, lang: str
) -> tuple[str, str]:
    """Given what was found, return the Markdown before the graphs and after them."""
    naskah = load_naskah()
    zone, zone_name = naskah.time_zone, naskah.zone_name
    w = WORDS[lang]
    head = [
        f"- {w['basis']}: {w['basis_62']}",
        f"- {w['period']}: {dates.date_time(period.start, zone, zone_name, lang)} – "
        f"{dates.date_time(period.end, zone, zone_name, lang)} ({w['kind_' + period.kind]})",
        f"- {w['source']}: Prometheus ({md(url)})",
        "",
        f"## {w['throughput']}",
        "",
        f"| {w['host']} | {w['interface']} | {w['rx_mean']} | {w['tx_mean']} |",
        "|---|---|---|---|",
    ]
    for i in found.interfaces:
        rx = analysis.summary(i.rx.values if i.rx else [])
        tx = analysis.summary(i.tx.values if i.tx else [])
        head.append(
            f"| {md(i.host)} | {md(i.device)} | {rate_text(rx['mean'])} / "
            f"{rate_text(rx['peak'])} | {rate_text(tx['mean'])} / {rate_text(tx['peak'])} |"
        )
    tail = [f"## {w['anomalies']}", "", w["anomaly_rule"].format(k=k, weeks=weeks), ""]
    rows = [(i, d, a) for i in found.interfaces for d, a in i.anomalies]
    if rows:
        tail += [
            f"| {w['host']} | {w['interface']} | {w['at']} | {w['value']} | {w['baseline']} |",
            "|---|---|---|---|---|",
        ]
        tail += [
            f"| {md(i.host)} | {md(i.device)} ({w[d]}) | "
            f"{dates.date_time(a.at, zone, zone_name, lang)} | {rate_text(a.value)} | "
            f"{rate_text(a.mean)} ± {rate_text(k * a.sigma)} |"
            for i, d, a in rows
        ]
    else:
        tail.append(w["no_anomaly"])
    tail += ["", f"## {w['incidents']}", ""]
    if found.incidents:
        tail += [f"| # | {w['host']} | {w['problem']} | Status |", "|---|---|---|---|"]
        tail += [
            f"| {x['id']} | {md(x['host'])} | {md(x['summary'])} | {md(x['status'])} |"
            for x in found.incidents
        ]
    else:
        tail.append(w["no_incident"])
    return "\n".join(head), "\n".join([*tail, ""])


def graph_of(i: Interface, lang: str) -> charts.Graph:
    """Given an interface, return its throughput graph with its anomalies marked."""
    w = WORDS[lang]
    peak = max([*(i.rx.values if i.rx else ()), *(i.tx.values if i.tx else ()), 0.0])
    # The unit of the interface's own scale: a quiet link in kB/s, not in millionths of MB/s.
    size, unit = next(((z, u) for z, u in ((1e6, "MB/s"), (1e3, "kB/s")) if peak >= z), (1, "B/s"))
    lines = []
    for direction, series in (("rx", i.rx), ("tx", i.tx)):
        if series is not None:
            lines.append(charts.Line(w[direction], series.times, [v / size for v in series.values]))
    marks = tuple((a.at.timestamp(), a.value / size, "!") for _, a in i.anomalies)
    return charts.Graph(f"{i.host} {i.device}", unit, tuple(lines), marks)


def write(
    ctx: Context,
    as_: str | None,
    url: str,
    period: periodic.Period,
    k: float,
    weeks: int,
    lang: str,
    out: Path | None = None,
    request_id: int | None = None,
) -> Network:
    """Given Prometheus, a period and who writes it, issue the 6.2 periodic report; return
    what it found and the paths.  Raise SopError as ``collect`` and ``issuing.writer`` do."""
    if k <= 0 or weeks < 1:
        raise SopError(_("--k: must be above 0, and --weeks at least 1"))
    acting = issuing.writer(ctx, as_, "6.2", request_id)
    t0 = time.monotonic()
    found = Network(collect(url, period, k, weeks), incidents_in(ctx, period))
    found.seconds_prometheus = time.monotonic() - t0
    head, tail = _markdown(found, period, url, k, weeks, lang)
    w = WORDS[lang]
    zone = load_naskah().time_zone
    figures = [
        charts.img_tag(charts.png(graph_of(i, lang), zone), f"{i.host} {i.device}")
        for i in found.interfaces
    ]
    body_md = "\n".join([head, "", w["graphs_md"], "", tail])
    body_html = html_of(head) + Markup("\n".join(figures)) + html_of(tail)
    hosts = sorted({i.host for i in found.interfaces})
    found.paths = issuing.issue_report(
        ctx,
        acting,
        title=w["title_62"],
        heading=w["prepared_by"],
        subject=issuing.subject_of("6.2", period.start, period.end, hosts),
        file_stem=f"laporan-monitoring-6.2-{period.start:%Y%m%d%H%M}-{period.end:%Y%m%d%H%M}-{lang}",
        lang=lang,
        body_markdown=body_md,
        body_html=body_html,
        signed_data={
            "period": [period.start.isoformat(), period.end.isoformat()],
            "anomalies": sum(len(i.anomalies) for i in found.interfaces),
            "incidents": [x["id"] for x in found.incidents],
        },
        out=out,
        request_id=request_id,
    )
    return found
