"""Markdown documents read back as a reader's viewer shows them (markdown-it-py, CommonMark
with GFM tables): the rows and cells of their tables."""

from __future__ import annotations

from markdown_it import MarkdownIt

MARKDOWN = MarkdownIt("commonmark").enable("table")


def table_rows(text: str) -> list[list[str]]:
    """Given a Markdown document, return the cells (inline source) of every table row."""
    rows: list[list[str]] = []
    row: list[str] | None = None
    for token in MARKDOWN.parse(text):
        if token.type == "tr_open":
            row = []
        elif token.type == "inline" and row is not None:
            row.append(token.content)
        elif token.type == "tr_close" and row is not None:
            rows.append(row)
            row = None
    return rows


def rendered_cells(text: str) -> list[list[str]]:
    """Given a Markdown document, return each table row's cells as HTML a viewer shows."""
    html = MARKDOWN.render(text)
    rows = []
    for chunk in html.split("<tr>")[1:]:
        cells = [c.split("</t")[0] for c in chunk.replace("<th>", "<td>").split("<td>")[1:]]
        rows.append(cells)
    return rows
