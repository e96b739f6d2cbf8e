"""The documents' tata naskah dinas: letterhead, place, time zone, paper, numbering.

Read from ``naskah.yaml`` beside this module, or from the file ``SOP_NASKAH_FILE``
names (the whole configuration, validated against ``naskah.schema.yaml``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from sop_runner import yamlio
from sop_runner.errors import SopError
from sop_runner.i18n import _

HERE = Path(__file__).parent
DEFAULT_FILE = HERE / "naskah.yaml"
ENV = "SOP_NASKAH_FILE"
# Paper sizes in millimetres (F4, "folio", is the size many Indonesian offices print on).
PAPER_MM = {"A4": (210, 297), "F4": (215, 330)}


@dataclass(frozen=True)
class Naskah:
    """The validated configuration and the folder its relative file names start from."""

    data: dict[str, Any]
    folder: Path

    @property
    def kop(self) -> dict[str, Any]:
        return dict(self.data["kop"])

    @property
    def place(self) -> str:
        return str(self.data["tempat"])

    @property
    def time_zone(self) -> str:
        return str(self.data["zona_waktu"])

    @property
    def zone_name(self) -> str:
        return str(self.data["singkatan_zona"])

    @property
    def paper(self) -> str:
        return str(self.data["kertas"])

    def kind(self, kind: str) -> dict[str, Any]:
        """Given a document kind, return its settings (sifat, tembusan)."""
        kinds = self.data["jenis"]
        return dict(kinds.get(kind) or kinds["dokumen"])

    def code(self, kind: str, doc_type: str | None = None) -> str:
        """Given a document's kind and type, return its classification code: the type's,
        else the kind's, else the default (klasifikasi)."""
        codes = self.data["klasifikasi"].get("jenis") or {}
        for name in (doc_type, kind):
            if name is not None and name in codes:
                return str(codes[name])
        return str(self.data["klasifikasi"]["bawaan"])

    def logo_path(self) -> Path | None:
        """Return the letterhead's emblem file, or None. Raise SopError if it is missing."""
        logo = self.data["kop"].get("logo")
        if not logo:
            return None
        path = (self.folder / logo).resolve()
        if not path.is_file():
            raise SopError(
                _("{env} kop.logo: {path} does not exist; give an SVG or PNG file").format(
                    env=ENV, path=path
                )
            )
        return path


def _problem(data: Any) -> str | None:
    moved = _moved_code(data)
    if moved:
        return moved
    schema = yamlio.load((HERE / "naskah.schema.yaml").read_text())
    error = best_match(Draft202012Validator(schema).iter_errors(data))
    if error is None:
        return None
    where = ".".join(str(p) for p in error.absolute_path) or "(top)"
    if where.startswith("klasifikasi.") and error.validator in ("pattern", "type"):
        return (
            f"{where}: {error.instance!r} is not a classification code; allowed: three "
            'digits, then dotted numbers, written as text, e.g. "500.12" or "000.1.2"'
        )
    return f"{where}: {error.message}"


def _moved_code(data: Any) -> str | None:
    """Given the configuration, return where a code still under jenis.<kind>.kode belongs
    (the codes are set per type since issue 17), or None."""
    kinds = data.get("jenis") if isinstance(data, dict) else None
    for kind, settings in (kinds or {}).items() if isinstance(kinds, dict) else ():
        if isinstance(settings, dict) and "kode" in settings:
            return f"jenis.{kind}.kode: the codes are set in klasifikasi.jenis.{kind}"
    return None


@cache
def _load(path: Path) -> Naskah:
    try:
        data = yamlio.load(path.read_text())
    except OSError as exc:
        raise SopError(
            _("{env}: cannot read {path} ({reason})").format(
                env=ENV, path=path, reason=exc.strerror
            )
        ) from None
    except yaml.YAMLError:
        raise SopError(_("naskah configuration {path}: not valid YAML").format(path=path)) from None
    problem = _problem(data)
    if problem:
        raise SopError(
            _("naskah configuration {path}: {problem}").format(path=path, problem=problem)
        )
    return Naskah(data=data, folder=path.parent)


def load_naskah() -> Naskah:
    """Return the documents' configuration. Raise SopError if the file is unreadable or
    does not fit the schema (the message names the key)."""
    chosen = os.environ.get(ENV)
    return _load(Path(chosen).expanduser().resolve() if chosen else DEFAULT_FILE)
