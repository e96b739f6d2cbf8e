"""A small SVG bar chart, so reports carry graphs without a plotting library."""

from __future__ import annotations

from html import escape


def usage_bars(rows: list[tuple[str, float, float]], labels: tuple[str, str]) -> str:
    """Given (host, memory %, disk %) rows and the two series names, return an SVG chart."""
    bar_h, gap, left, width = 14, 10, 120, 360
    height = len(rows) * (2 * bar_h + gap) + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 60}" '
        f'height="{height}" role="img">'
    ]
    y = 10
    for host, mem, disk in rows:
        parts.append(f'<text x="0" y="{y + bar_h + 4}" font-size="12">{escape(host)}</text>')
        for offset, value, colour in ((0, mem, "#4a7ab5"), (bar_h, disk, "#d9822b")):
            length = max(0.0, min(value, 100.0)) / 100 * width
            parts.append(
                f'<rect x="{left}" y="{y + offset}" width="{length:.1f}" height="{bar_h - 2}" '
                f'fill="{colour}"/>'
                f'<text x="{left + length + 4:.1f}" y="{y + offset + bar_h - 4}" '
                f'font-size="11">{value:.0f} %</text>'
            )
        y += 2 * bar_h + gap
    parts.append(
        f'<rect x="{left}" y="{y + 4}" width="10" height="10" fill="#4a7ab5"/>'
        f'<text x="{left + 14}" y="{y + 13}" font-size="11">{escape(labels[0])}</text>'
        f'<rect x="{left + 140}" y="{y + 4}" width="10" height="10" fill="#d9822b"/>'
        f'<text x="{left + 154}" y="{y + 13}" font-size="11">{escape(labels[1])}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)
