"""Graphs over a period (matplotlib), as PNG images for the official documents' HTML and PDF."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Line:
    """One line of a graph: its name and points (UNIX seconds, value)."""

    label: str
    times: Sequence[float]
    values: Sequence[float]


@dataclass(frozen=True)
class Graph:
    """A graph: its title, the unit of its y axis, its lines and marked points."""

    title: str
    unit: str
    lines: tuple[Line, ...]
    # (UNIX second, value, label): anomalies, a forecast's end …
    marks: tuple[tuple[float, float, str], ...] = field(default_factory=tuple)
    # A dashed horizontal line (a threshold), or None.
    limit: float | None = None
    y_max: float | None = None


def png(graph: Graph, zone: str = "Asia/Jakarta", width_cm: float = 8.0) -> bytes:
    """Given a graph and the office's time zone, return it drawn as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    tz = ZoneInfo(zone)
    fig, ax = plt.subplots(figsize=(width_cm / 2.54, 5.0 / 2.54), dpi=150)
    try:
        for line in graph.lines:
            when = [datetime.fromtimestamp(t, tz) for t in line.times]
            ax.plot(when, list(line.values), linewidth=0.9, label=line.label)
        for t, v, label in graph.marks:
            ax.plot([datetime.fromtimestamp(t, tz)], [v], "o", color="#c0392b", markersize=4)
            ax.annotate(label, (datetime.fromtimestamp(t, tz), v), fontsize=6, color="#c0392b")
        if graph.limit is not None:
            ax.axhline(graph.limit, color="#c0392b", linewidth=0.7, linestyle="--")
        ax.set_title(graph.title, fontsize=8, loc="left")
        ax.set_ylabel(graph.unit, fontsize=7)
        ax.tick_params(labelsize=6)
        ax.set_ylim(bottom=0, top=graph.y_max)
        ax.ticklabel_format(axis="y", style="plain", useOffset=False)
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(tz=tz, minticks=3, maxticks=6))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%d/%m\n%H.%M", tz=tz))
        ax.grid(True, linewidth=0.3)
        if len(graph.lines) > 1:
            ax.legend(fontsize=6, loc="upper left")
        # Fixed margins: tight_layout measured every label and took a third of the time.
        fig.subplots_adjust(left=0.17, right=0.98, top=0.88, bottom=0.24)
        out = io.BytesIO()
        fig.savefig(out, format="png")
        return out.getvalue()
    finally:
        plt.close(fig)


def img_tag(image: bytes, alt: str) -> str:
    """Given a PNG and its text alternative, return an HTML img embedding it."""
    from html import escape

    data = base64.b64encode(image).decode()
    # Two graphs side by side on an A4 page.
    return (
        f'<img class="graph" style="width: 49%" src="data:image/png;base64,{data}" '
        f'alt="{escape(alt)}">'
    )
