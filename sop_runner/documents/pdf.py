"""PDF from a document's HTML, by WeasyPrint (installed by scripts/bootstrap.sh)."""

from __future__ import annotations

from sop_runner.errors import SopError

MISSING = (
    "PDF: WeasyPrint is not installed (or its Pango libraries are missing); "
    "run `bash scripts/bootstrap.sh`, or ask for --format md,html"
)


def render_pdf(html: str) -> bytes:
    """Given a document's HTML (self-contained: images as data URIs), return its PDF.

    Raise SopError if WeasyPrint or its system libraries are missing.
    """
    try:
        from weasyprint import HTML  # type: ignore[import-untyped]
    except (ImportError, OSError):
        raise SopError(MISSING) from None
    return bytes(HTML(string=html).write_pdf())
