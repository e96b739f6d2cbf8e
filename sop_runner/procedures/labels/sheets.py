"""How labels are printed: an A4 sheet of 65 (5 × 13, 38.1 × 21.2 mm, the common L7651
layout) or a 24 mm tape, as HTML printed to PDF by WeasyPrint (sop_runner/documents/pdf)."""

from __future__ import annotations

import html
from dataclasses import dataclass

from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.procedures.labels.items import Label


@dataclass(frozen=True)
class Sheet:
    """A label stock: page size, where the labels sit, each label's size (mm)."""

    name: str
    page: tuple[float, float]
    margin_top: float
    margin_left: float
    columns: int
    rows: int
    pitch_x: float
    pitch_y: float
    width: float
    height: float


SHEETS = {
    # A4 65-up: 38.1 × 21.2 mm, 5 across (2.5 mm gap), 13 down, 10.7 / 4.65 mm margins.
    "a4-65": Sheet("a4-65", (210, 297), 10.7, 4.65, 5, 13, 40.6, 21.2, 38.1, 21.2),
    # 24 mm tape (TZe-style), one 70 mm label a page, the tape printer cuts between them.
    "tape-24": Sheet("tape-24", (70, 24), 0, 0, 1, 1, 70, 24, 70, 24),
}


def sheet(name: str) -> Sheet:
    """Given a sheet's name, return it. Raise SopError naming the ones there are."""
    if name not in SHEETS:
        raise SopError(
            _("--sheet: {sheet!r} is not allowed; use {allowed}").format(
                sheet=name, allowed=", ".join(SHEETS)
            )
        )
    return SHEETS[name]


def _qr(payload: str) -> str:
    import segno

    return str(segno.make(payload, error="m").svg_data_uri(scale=4, border=2))


def _label_html(label: Label, stock: Sheet) -> str:
    # The QR square, with the label's own margin around it; on the narrow A4 label a little
    # smaller, so that the text beside it keeps ~19 mm.
    qr = min(stock.height - 3, stock.width * 0.36)
    lines = "".join(f'<div class="l">{html.escape(line)}</div>' for line in label.lines)
    return (
        f'<div class="label {label.kind}">'
        f'<img class="qr" src="{_qr(label.qr)}" style="width:{qr}mm;height:{qr}mm">'
        f'<div class="text"><div class="t">{html.escape(label.title)}</div>{lines}</div></div>'
    )


def labels_html(labels: list[Label], stock: Sheet) -> str:
    """Given labels and a stock, return the HTML that prints them, position by position."""
    per_page = stock.columns * stock.rows
    pages = []
    for start in range(0, len(labels), per_page):
        cells = []
        for index, label in enumerate(labels[start : start + per_page]):
            row, column = divmod(index, stock.columns)
            top = stock.margin_top + row * stock.pitch_y
            left = stock.margin_left + column * stock.pitch_x
            cells.append(
                f'<div class="cell" style="top:{top:.2f}mm;left:{left:.2f}mm">'
                f"{_label_html(label, stock)}</div>"
            )
        pages.append(f'<div class="page">{"".join(cells)}</div>')
    tape = stock.rows == 1 and stock.columns == 1
    title = 9 if tape else 7.5
    line = 7 if tape else 5.3
    return f"""<!DOCTYPE html><html lang="id"><head><meta charset="utf-8"><style>
@page {{ size: {stock.page[0]}mm {stock.page[1]}mm; margin: 0 }}
body {{ margin: 0; font-family: "Liberation Sans", "DejaVu Sans", sans-serif }}
.page {{ position: relative; width: {stock.page[0]}mm; height: {stock.page[1]}mm;
         page-break-after: always; overflow: hidden }}
.page:last-child {{ page-break-after: auto }}
.cell {{ position: absolute; width: {stock.width}mm; height: {stock.height}mm }}
.label {{ display: flex; align-items: center; height: 100%; padding: 0 1.5mm;
          box-sizing: border-box; overflow: hidden }}
.qr {{ flex: none; margin-right: 1.2mm }}
.text {{ overflow: hidden }}
.t {{ font-weight: bold; font-size: {title}pt; line-height: 1.1; overflow-wrap: anywhere }}
.l {{ font-size: {line}pt; line-height: 1.15; overflow-wrap: anywhere }}
</style></head><body>{"".join(pages)}</body></html>"""


def labels_pdf(labels: list[Label], stock: Sheet) -> bytes:
    """Given labels and a stock, return the printable PDF.

    Raise SopError if there is no label, or WeasyPrint is missing.
    """
    from sop_runner.documents.pdf import render_pdf

    if not labels:
        raise SopError(_("labels: the register has nothing to label (add devices or cables first)"))
    return render_pdf(labels_html(labels, stock))
