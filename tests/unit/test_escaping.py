"""What a person or a host typed stays data in every document: one Markdown filter
(`md`) keeps a value inside its table cell, and hidden characters (bidirectional
overrides, zero-width characters, controls) are written visibly as <U+XXXX>.

Documents are read back with a real CommonMark/GFM-table parser (markdown-it-py),
as a reader's viewer would show them."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import nodes

from sop_runner.config import REPO_ROOT
from sop_runner.escaping import md, visible
from sop_runner.reports import write_reports
from sop_runner.reports.render import template_environment
from sop_runner.requests import new_request
from tests.support.markdown import MARKDOWN, rendered_cells, table_rows

FORGED = "disk penuh\n| Disetujui Pimpinan | pak_bupati (ttd) |"
RLO = "srv\u202e1gp.exe"


def test_a_newline_and_pipes_stay_in_one_cell():
    table = f"| a | b |\n|---|---|\n| alasan | {md(FORGED)} |\n"
    rows = rendered_cells(table)
    assert len(rows) == 2, rows
    assert rows[1][0] == "alasan"
    assert "Disetujui Pimpinan | pak_bupati (ttd) |" in rows[1][1]
    assert "↵" in rows[1][1]


@pytest.mark.parametrize(
    "value",
    [
        FORGED,
        "a\\|b",  # a backslash before the pipe must not free it
        "x\r\n| y | z |",
        "x\u2028| y | z |",
        "`code | span`",
        "<!-- the rest of the document is hidden",
        "[klik](http://contoh.invalid) ![](http://contoh.invalid/x.png)",
        "# Judul palsu",
        "1. daftar",
        "- butir",
        "&#124; &#x7c;",
    ],
)
def test_text_and_code_values_are_one_cell_whatever_they_hold(value):
    for how in ("text", "code"):
        table = f"| a | b |\n|---|---|\n| k | {md(value, how)} |\n"
        rows = table_rows(table)
        assert len(rows) == 2 and len(rows[1]) == 2, (how, rows)
        html = MARKDOWN.render(table)
        assert "<a " not in html and "<img" not in html and "<!--" not in html, html
        assert "<h1" not in html and "<ol" not in html and "<ul" not in html, html


@pytest.mark.parametrize(
    "value", ["# Judul", "1. daftar", "2) daftar", "- butir", "+ b", "---", "> kutip"]
)
def test_a_value_that_starts_a_line_stays_a_paragraph(value):
    tokens = MARKDOWN.parse(f"## Tujuan\n\n{md(value)}\n")
    assert [t.type for t in tokens][3:] == ["paragraph_open", "inline", "paragraph_close"], value
    assert tokens[4].children and tokens[4].children[0].content == value


def test_text_reads_back_as_the_value():
    for value in ("budi", "cleanup_path", "R&D 50% *penting*", "a\\|b", "~/.ssh"):
        shown = rendered_cells(f"| a |\n|---|\n| {md(value)} |\n")[1][0]
        assert shown.replace("&amp;", "&") == value


def test_a_code_span_holds_any_backticks():
    value = "a `b` ``c``"
    span = md(value, "code")
    assert span.startswith("```") and span.endswith("```")
    html = MARKDOWN.render(f"| a |\n|---|\n| {span} |\n")
    assert "<code>a `b` ``c``</code>" in html, html


def test_a_fenced_block_cannot_be_closed_from_inside():
    diff = "+ ip route 10.0.0.0/8\n```\n# Disetujui Pimpinan\n```\n- no shutdown"
    block = md(diff, "fence", "diff")
    tokens = MARKDOWN.parse(block + "\n")
    assert [t.type for t in tokens] == ["fence"]
    assert tokens[0].content.rstrip("\n") == diff and tokens[0].info == "diff"


def test_hidden_characters_are_shown():
    assert visible(RLO) == "srv<U+202E>1gp.exe"
    assert visible("a\u200bb\u2066c\ufeffd") == "a<U+200B>b<U+2066>c<U+FEFF>d"
    assert visible("\x1b[2Kdisetujui") == "<U+001B>[2Kdisetujui"
    assert visible("baris 1\nbaris 2\tx") == "baris 1\nbaris 2\tx"
    assert md(RLO) == "srv<U+202E>1gp.exe".replace("<", "\\<").replace(">", "\\>")
    assert md(RLO, "code") == "`srv<U+202E>1gp.exe`"


# ------------------------------------------------------------------ every template


def markdown_templates() -> list[Path]:
    """Return every Markdown template: the core's and each feature's."""
    found = sorted((REPO_ROOT / "sop_runner").glob("**/templates/*.md.j2"))
    assert len(found) >= 15, found
    return found


# Words of the documents themselves (labels), never typed by a person or read from a host.
LABEL_ROOTS = {"L", "W", "D", "words", "lang", "generated"}
SAFE_FILTERS = {"md", "dt", "filesize", "length"}


def _chain(node: nodes.Expr) -> tuple[str | None, list[str]]:
    path: list[str] = []
    while isinstance(node, (nodes.Getattr, nodes.Getitem)):
        if isinstance(node, nodes.Getattr):
            path.insert(0, node.attr)
        node = node.node
    return (node.name if isinstance(node, nodes.Name) else None), path


def trusted(node: nodes.Expr) -> bool:
    """Given a template expression, return whether its value needs no escaping."""
    if isinstance(node, nodes.Const):
        return True
    if isinstance(node, nodes.Filter):
        if node.name == "default":
            return trusted(node.node) and all(trusted(a) for a in node.args)
        return node.name in SAFE_FILTERS
    if isinstance(node, nodes.CondExpr):
        return trusted(node.expr1) and (node.expr2 is None or trusted(node.expr2))
    if isinstance(node, (nodes.Name, nodes.Getattr, nodes.Getitem)):
        root, path = _chain(node)
        return (
            root in LABEL_ROOTS
            or path[:1] == ["W"]  # a section's own words (s.W.…)
            or (root == "loop" and path == ["index"])
            or path[-1:] == ["id"]
        )
    return False


@pytest.mark.parametrize("path", markdown_templates(), ids=lambda p: p.name)
def test_every_value_of_a_markdown_template_goes_through_md(path: Path):
    env = template_environment()
    tree = env.parse(path.read_text())
    loose = []
    for output in tree.find_all(nodes.Output):
        for expr in output.nodes:
            if not isinstance(expr, nodes.TemplateData) and not trusted(expr):
                loose.append(f"line {expr.lineno}")
    assert not loose, f"{path.name}: values without `| md` at {', '.join(loose)}"


def test_the_work_order_and_reports_keep_a_forged_row_in_its_cell(sqlite_sop_env, tmp_path):
    """A newline in --reason once added the row "Disetujui Pimpinan | pak_bupati (ttd)"
    to the work order (Surat Perintah Tugas); a parameter's pipe split its cell."""
    ctx = sqlite_sop_env.ctx()
    params = {"change": f"RAM | Disetujui Pimpinan | {RLO}", "expected_spec": ["cpu_count >= 1"]}
    request = new_request(ctx, "4.1", ["ctl1"], params, FORGED + " " + RLO, "budi")
    written = write_reports(ctx, request.id, "id", tmp_path / "out", ("md", "html"))
    documents = [p for p in written if p.suffix == ".md"]
    assert any(p.name.startswith("surat-perintah-tugas") for p in documents)
    for document in documents:
        text = document.read_text()
        assert "\u202e" not in text, document.name
        for cells in rendered_cells(text):
            assert cells[:1] != ["Disetujui Pimpinan"], (document.name, cells)
            assert "pak_bupati (ttd)" not in cells, (document.name, cells)
    order = next(p for p in documents if p.name.startswith("surat-perintah-tugas")).read_text()
    reason_rows = [c for c in rendered_cells(order) if c[:1] == ["Alasan"]]
    assert len(reason_rows) == 1 and "pak_bupati (ttd) |" in reason_rows[0][1], reason_rows
    assert "&lt;U+202E&gt;" in reason_rows[0][1]
    html = next(p for p in written if p.suffix == ".html").read_text()
    assert "\u202e" not in html and "&lt;U+202E&gt;" in html
