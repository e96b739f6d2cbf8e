"""The graph of the temperature and humidity card (SOP 6.4): a month of readings against
the standard's band, drawn by matplotlib as a PNG for the official document."""

from __future__ import annotations

import io
from datetime import datetime

from sop_runner.procedures.cards.policy import Envelope


def climate_png(
    points: list[tuple[datetime, float, float]], env: Envelope, labels: tuple[str, str]
) -> bytes:
    """Given (local time, °C, RH %) readings, the standard and the two axis names,
    return a PNG: temperature with the recommended band shaded, humidity on the right."""
    import matplotlib

    matplotlib.use("Agg")  # no display: a file for the document only
    from matplotlib import dates as mdates
    from matplotlib import pyplot as plt

    times = [p[0].replace(tzinfo=None) for p in points]
    figure, left = plt.subplots(figsize=(7.0, 2.8), dpi=150)
    try:
        left.axhspan(*env.temperature, color="#d8ecd8", label=None, zorder=0)
        left.plot(times, [p[1] for p in points], "o-", color="#c0392b", ms=3, lw=1.2)
        left.set_ylabel(labels[0], color="#c0392b")
        low = min([env.temperature[0] - 2] + [p[1] - 1 for p in points])
        high = max([env.temperature[1] + 2] + [p[1] + 1 for p in points])
        left.set_ylim(low, high)
        right = left.twinx()
        right.plot(times, [p[2] for p in points], "s--", color="#2c6fbb", ms=3, lw=1)
        right.axhline(env.humidity_max, color="#2c6fbb", lw=0.6, ls=":")
        right.set_ylabel(labels[1], color="#2c6fbb")
        right.set_ylim(0, 100)
        locator = mdates.AutoDateLocator()
        left.xaxis.set_major_locator(locator)
        left.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        left.grid(alpha=0.3)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    finally:
        plt.close(figure)
    return buffer.getvalue()
