"""A PDF read as a person sees it: its text and where each word stands (poppler's
pdftotext -bbox), its pages as PNG pictures (pdftoppm) and their ink (Pillow)."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

MM_PER_POINT = 25.4 / 72


def need_poppler() -> None:
    """Skip the test where poppler-utils is missing (scripts/bootstrap.sh installs it)."""
    if not (shutil.which("pdftotext") and shutil.which("pdftoppm")):
        pytest.skip(
            "PDF checks need poppler-utils (pdftotext, pdftoppm): bash scripts/bootstrap.sh"
        )


@dataclass(frozen=True)
class Word:
    page: int
    text: str
    x_min: float  # points from the page's left edge
    y_min: float  # points from the page's top edge
    x_max: float
    y_max: float


@dataclass(frozen=True)
class Page:
    width: float  # points
    height: float


def text(pdf: Path, layout: bool = False) -> str:
    """Given a PDF, return its text in reading order (columns as laid out with layout)."""
    flags = ["-layout"] if layout else []
    return subprocess.run(
        ["pdftotext", *flags, str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout


_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">')
_WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
)


def words(pdf: Path) -> tuple[list[Page], list[Word]]:
    """Given a PDF, return its pages' sizes and every word with its box."""
    out = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    pages: list[Page] = []
    found: list[Word] = []
    for chunk in out.split("</page>"):
        size = _PAGE.search(chunk)
        if not size:
            continue
        pages.append(Page(float(size.group(1)), float(size.group(2))))
        for m in _WORD.finditer(chunk):
            box = [float(m.group(i)) for i in range(1, 5)]
            found.append(Word(len(pages), html.unescape(m.group(5)), *box))
    return pages, found


def pngs(pdf: Path, folder: Path, dpi: int = 60) -> list[Path]:
    """Given a PDF, render every page to a PNG in folder and return them in order."""
    folder.mkdir(parents=True, exist_ok=True)
    prefix = folder / pdf.stem
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), str(pdf), str(prefix)], check=True)
    return sorted(folder.glob(f"{pdf.stem}-*.png"))


def ink_columns(png: Path, threshold: int = 200) -> tuple[int, int, int]:
    """Given a page picture, return (width, first, last) column holding any dark pixel."""
    image = Image.open(png).convert("L")
    width = image.size[0]
    dark = image.point(lambda v: 255 if v < threshold else 0)
    box = dark.getbbox()
    if box is None:
        return width, width, -1
    return width, box[0], box[2] - 1


def ink_rows(png: Path, threshold: int = 200) -> tuple[int, int, int]:
    """Given a page picture, return (height, first, last) row holding any dark pixel."""
    image = Image.open(png).convert("L")
    dark = image.point(lambda v: 255 if v < threshold else 0)
    box = dark.getbbox()
    height = image.size[1]
    if box is None:
        return height, height, -1
    return height, box[1], box[3] - 1
