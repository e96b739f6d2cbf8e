"""Make the labels and the schema from the register, write them, and record each file.

Every file written has one audit entry with its SHA-256: signed by the person who asked
(`sop label …`: ``Acting.sign``), or in the name of the run's operator (a step hook).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sop_runner.context import Context
from sop_runner.documents import dates
from sop_runner.documents.naskah import load_naskah
from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.procedures.labels import items, schema, sheets

# (session, action, subject, data) -> the audit block: Acting.sign, or an unsigned append.
Sign = Callable[[Any, str, str, dict[str, Any]], Any]
WHAT = ("racks", "devices", "cables")
TITLE = "Skema Jaringan dan Perangkat Pusat Data"


def read_register(ctx: Context) -> dict[str, Any]:
    """Return the register as data (racks, devices, cables, prefixes, …)."""
    from sop_runner.procedures import register

    with ctx.session() as session:
        return register.register_dict(session)


def make_labels(
    data: dict[str, Any], what: tuple[str, ...] = WHAT, devices: list[str] | None = None
) -> list[items.Label]:
    """Given the register, what to label and (optionally) which devices, return the labels:
    racks, devices, then both ends of every cable of those devices.

    Raise SopError naming a device the register does not have, or a kind not allowed.
    """
    bad = sorted(set(what) - set(WHAT))
    if bad:
        raise SopError(
            _("--what: {what!r} is not allowed; use {allowed}").format(
                what=bad[0], allowed=", ".join(WHAT)
            )
        )
    found: list[items.Label] = []
    if "racks" in what and not devices:
        found += items.rack_labels(data)
    if "devices" in what:
        try:
            found += items.device_labels(data, devices)
        except KeyError as missing:
            raise SopError(
                _("--device: {device!r} is not in the register").format(device=missing.args[0])
            ) from None
    if "cables" in what:
        found += items.cable_labels(data, devices)
    return found


def _record(ctx: Context, sign: Sign, action: str, subject: str, data: dict[str, Any]) -> None:
    with ctx.session() as session:
        sign(session, action, subject, data)


def print_labels(
    ctx: Context,
    sign: Sign,
    stock: str = "a4-65",
    what: tuple[str, ...] = WHAT,
    devices: list[str] | None = None,
    out: Path | None = None,
) -> Path:
    """Given a stock (a4-65, tape-24), what to label and which devices, write the labels'
    PDF and record it; return its path.

    Raise SopError for a stock, kind or device not allowed, or nothing to label.
    """
    chosen = sheets.sheet(stock)
    found = make_labels(read_register(ctx), what, devices)
    data = sheets.labels_pdf(found, chosen)
    folder = out or ctx.settings.reports_dir / "labels"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
    path = folder / f"label-{stock}-{stamp}.pdf"
    path.write_bytes(data)
    _record(
        ctx,
        sign,
        "labels.printed",
        f"labels/{path.name}",
        {
            "file": path.name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "sheet": stock,
            "labels": len(found),
            "devices": sorted({x.title for x in found if x.kind == "device"}),
            "cables": sorted({x.title for x in found if x.kind == "cable"}),
        },
    )
    return path


def draw_schema(ctx: Context, sign: Sign, out: Path | None = None) -> schema.Drawn:
    """Given who records it, draw the schema from the register (a new version when it
    changed) and record it; return what was drawn. Raise SopError if dot fails."""
    naskah = load_naskah()
    now = datetime.now(UTC)
    drawn = schema.draw(
        read_register(ctx),
        out or ctx.settings.reports_dir / "schema",
        TITLE,
        dates.local(now, naskah.time_zone),
    )
    if drawn.new:
        _record(
            ctx,
            sign,
            "schema.drawn",
            f"schema/v{drawn.version}",
            {
                "version": drawn.version,
                "register_sha256": drawn.digest,
                "files": {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in drawn.files},
            },
        )
    return drawn
