"""One source, three formats: a document's parts laid out as naskah dinas in Markdown and
HTML (the PDF is printed from the HTML).

The parts are the letterhead (kop), the heading (a centred title and number, or a
letter's Nomor / Sifat / Lampiran / Hal and addressee), the body (Markdown, with an
optional richer HTML of the same content), the place and date, the signature blocks
and the copies (tembusan).  The document's content hash is the SHA-256 of its
Markdown up to the verification footer: the same for the three files of a document.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markdown_it import MarkdownIt
from markupsafe import Markup

from sop_runner.documents import dates
from sop_runner.documents.naskah import PAPER_MM, Naskah
from sop_runner.documents.signatures import Signer
from sop_runner.documents.words import WORDS
from sop_runner.escaping import md, visible

# Raw HTML stays text: every value of a body went through `md` already.
MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")


@dataclass(frozen=True)
class Letter:
    """The head of a letter (surat dinas, surat edaran): what, how urgent, to whom."""

    hal: str
    sifat: str
    lampiran: str
    kepada: tuple[str, ...]


@dataclass(frozen=True)
class Document:
    """What a document says; the layer adds the kop, number, date, signatures and checks."""

    kind: str  # laporan | surat_perintah_tugas | surat_edaran | dokumen (naskah.yaml jenis)
    subject: str  # what it is of, e.g. "request/12": one number per kind and subject
    title: str
    file_stem: str  # e.g. "laporan-6.1-12-id"
    lang: str
    body_markdown: str
    body_html: Markup | None = None  # the same content with charts, when a feature has one
    signers: tuple[Signer, ...] = ()
    letter: Letter | None = None
    request_id: int | None = None
    # "Dikeluarkan di … pada tanggal …" (a work order) instead of "Slawi, 30 November 2026".
    issued_at_words: bool = False
    tembusan: tuple[str, ...] | None = None  # None: the kind's copies from naskah.yaml
    # An attachment (lampiran) after the signatures, on a page of its own.
    appendix_markdown: str = ""
    # Its type for the classification code (naskah.yaml klasifikasi.jenis, e.g.
    # kartu_kontrol, buku_log); None: its kind's code. The number stays one per kind
    # and subject, in the one yearly sequence.
    doc_type: str | None = None


@dataclass(frozen=True)
class Laid:
    """A document laid out: both texts and the content hash they carry."""

    markdown: str
    html: str
    content_sha256: str
    qr_payload: str
    parts: dict[str, Any] = field(default_factory=dict)


_EMPTY_HEAD = re.compile(r"<thead>\s*<tr>\s*(?:<th></th>\s*)+</tr>\s*</thead>\s*")


def html_of(markdown: str) -> Markup:
    """Given a body in Markdown, return its HTML (a key/value table loses its empty head)."""
    return Markup(_EMPTY_HEAD.sub("", MARKDOWN.render(markdown)))


def split_title(markdown: str) -> tuple[str, str]:
    """Given a Markdown document whose first line is its title ('# …'), return the title as
    text (Markdown escapes undone) and the rest. Raise ValueError if it has no title."""
    first, _, rest = markdown.lstrip("\n").partition("\n")
    if not first.startswith("# "):
        raise ValueError(f"a document starts with its title ('# …'), not {first[:40]!r}")
    shown = MARKDOWN.renderInline(first[2:].strip())
    return html.unescape(re.sub(r"<[^>]+>", "", shown)), rest


def _data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def qr_payload(doc: Document, number: str, content_sha256: str) -> str:
    """Given a document, its number and content hash, return what its QR code holds."""
    signed = ",".join(s.fingerprint.replace(" ", "") for s in doc.signers if s.fingerprint)
    return (
        f"sop-pusatdata:verify?permintaan={doc.request_id or ''}&nomor={number}"
        f"&sha256={content_sha256}&ttd={signed}"
    )


def qr_image(payload: str) -> str:
    """Given the QR code's text, return the code as an SVG data URI."""
    import segno

    return str(segno.make(payload, error="m").svg_data_uri(scale=3, border=2))


def parts(doc: Document, naskah: Naskah, number: str, when: datetime) -> dict[str, Any]:
    """Given a document, the configuration, its number and when it is issued, return the
    values both layouts show (already in the document's words and time zone)."""
    kind = naskah.kind(doc.kind)
    return {
        "W": WORDS[doc.lang],
        "kop": naskah.kop,
        "number": number,
        "place": naskah.place,
        "date": dates.long_date(when, naskah.time_zone, doc.lang),
        "place_date": dates.place_date(naskah.place, when, naskah.time_zone, doc.lang),
        "tembusan": list(doc.tembusan if doc.tembusan is not None else kind["tembusan"]),
    }


def markdown_text(doc: Document, p: dict[str, Any]) -> str:
    """Given a document and its parts, return its Markdown up to the verification footer."""
    w, kop = p["W"], p["kop"]
    lines = [f"**{md(kop['pemerintah'])}**  ", f"**{md(kop['dinas'])}**  ", md(kop["alamat"])]
    if kop.get("kontak"):
        lines[-1] += "  "
        lines.append(md(kop["kontak"]))
    lines += ["", "---", ""]
    if doc.letter is None:
        lines += [f"# {md(doc.title)}", "", f"**{w['number']}:** {md(p['number'])}", ""]
    else:
        letter = doc.letter
        lines += [md(p["place_date"]), "", "| | |", "|---|---|"]
        lines += [f"| {w['number']} | {md(p['number'])} |"]
        lines += [f"| {w['sifat']} | {md(letter.sifat)} |"]
        lines += [f"| {w['lampiran']} | {md(letter.lampiran)} |"]
        lines += [f"| {w['hal']} | {md(letter.hal)} |", ""]
        lines += [f"{w['yth']} " + "  \n".join(md(k) for k in letter.kepada), ""]
    lines += [doc.body_markdown.strip(), ""]
    if doc.issued_at_words:
        lines += [f"{w['issued_in']} {md(p['place'])}  ", f"{w['on_date']} {md(p['date'])}", ""]
    elif doc.letter is None:
        lines += [md(p["place_date"]), ""]
    for signer in doc.signers:
        lines += [f"**{md(signer.heading)},**", ""]
        if signer.fingerprint:
            lines += [f"*{w['signed_electronically']} {md(signer.fingerprint)}*", ""]
        else:
            lines += [f"*{w['not_signed']}*", ""]
        nip = f"  \n{w['nip']} {md(signer.nip)}" if signer.nip else ""
        lines += [f"**{md(signer.full_name)}**{nip}", ""]
    if p["tembusan"]:
        lines += [f"{w['tembusan']}:", ""]
        lines += [f"{i}. {md(t)}" for i, t in enumerate(p["tembusan"], 1)] + [""]
    if doc.appendix_markdown:
        lines += ["---", "", f"**{md(appendix_heading(doc, p))}**", ""]
        lines += [doc.appendix_markdown.strip(), ""]
    return "\n".join(lines)


def appendix_heading(doc: Document, p: dict[str, Any]) -> str:
    """Given a document and its parts, return its attachment's heading
    ('Lampiran Surat Perintah Tugas Nomor … Tanggal …')."""
    w = p["W"]
    return f"{w['appendix']} {doc.title} {w['number']} {p['number']} {w['dated']} {p['date']}"


def footer_markdown(w: dict[str, str], content_sha256: str, payload: str) -> str:
    """Given the words, the content hash and the QR text, return the verification footer."""
    return (
        f"\n---\n\n{w['check_line']} `{content_sha256}`  \n"
        f"{w['qr_text']} `{payload}`  \n{w['verify_hint']}\n"
    )


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("sop_runner.documents", "templates"),
        undefined=StrictUndefined,
        autoescape=True,
        finalize=lambda v: visible(v) if isinstance(v, str) and not isinstance(v, Markup) else v,
    )
    env.filters["css_string"] = css_string
    return env


def css_string(value: str) -> Markup:
    """Given a text, return it as the inside of a CSS string: quotes, backslashes and
    anything that could close the style element written as CSS escapes."""
    plain = " ./-_:,()"
    return Markup("".join(c if c.isalnum() or c in plain else f"\\{ord(c):x} " for c in value))


def _logo(naskah: Naskah) -> str | None:
    path = naskah.logo_path()
    if path is None:
        return None
    mime = "image/svg+xml" if path.suffix.lower() == ".svg" else "image/png"
    return _data_uri(path.read_bytes(), mime)


def lay_out(doc: Document, naskah: Naskah, number: str, when: datetime) -> Laid:
    """Given a document, the configuration, its number and issue time, return both texts."""
    p = parts(doc, naskah, number, when)
    text = markdown_text(doc, p)
    content_sha256 = hashlib.sha256(text.encode()).hexdigest()
    payload = qr_payload(doc, number, content_sha256)
    width, height = PAPER_MM[naskah.paper]
    html = (
        _environment()
        .get_template("naskah.html.j2")
        .render(
            doc=doc,
            body=doc.body_html or html_of(doc.body_markdown),
            appendix=html_of(doc.appendix_markdown) if doc.appendix_markdown else None,
            appendix_heading=appendix_heading(doc, p),
            logo=_logo(naskah),
            qr=qr_image(payload),
            content_sha256=content_sha256,
            payload=payload,
            page={"width": width, "height": height, "margin": naskah.data["margin_mm"]},
            **p,
        )
    )
    return Laid(
        markdown=text + footer_markdown(p["W"], content_sha256, payload),
        html=html,
        content_sha256=content_sha256,
        qr_payload=payload,
        parts=p,
    )
