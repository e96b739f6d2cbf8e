"""Nomor naskah: a configurable pattern over a classification code and a yearly sequence.

The number of a document is given once, for its kind and subject (a request's report
keeps its number however often it is written again).  Every kind is numbered from the
one pattern (``nomor.pola``) with its own classification code, so the sequence is one
for all kinds: it starts at 1 each year and is kept in the store
(``document_numbers``).  A report and a work order of the same year can then never
share a number, even when their kinds have the same code.
"""

from __future__ import annotations

from datetime import datetime
from string import Formatter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sop_runner.documents.dates import ROMAN_MONTHS
from sop_runner.documents.models import DocumentNumber
from sop_runner.errors import SopError
from sop_runner.i18n import _

FIELDS = frozenset({"kode", "urut", "unit", "bulan_romawi", "bulan", "tahun"})


def pattern_problem(pattern: str) -> str | None:
    """Given a number pattern, return what is wrong with it (None when it is usable)."""
    try:
        names = {part[1] for part in Formatter().parse(pattern) if part[1] is not None}
    except ValueError as exc:
        return _("{pattern!r} is not a pattern ({reason})").format(pattern=pattern, reason=exc)
    unknown = names - FIELDS
    if unknown:
        return _("unknown field {name!r}; allowed: {allowed}").format(
            name=sorted(unknown)[0], allowed=", ".join(sorted(FIELDS))
        )
    if "urut" not in names:
        return _(
            "the pattern needs {field} (the yearly sequence), or two documents share a number"
        ).format(field="{urut}")
    return None


def format_number(pattern: str, code: str, sequence: int, unit: str, when: datetime) -> str:
    """Given the pattern, classification code, sequence, office code and the local date,
    return the number ('500.12/007/Diskominfo/2026'). Raise SopError if the pattern is bad."""
    problem = pattern_problem(pattern)
    if problem:
        raise SopError(_("naskah nomor.pola: {problem}").format(problem=problem))
    values: dict[str, Any] = {
        "kode": code,
        "urut": sequence,
        "unit": unit,
        "bulan_romawi": ROMAN_MONTHS[when.month - 1],
        "bulan": when.month,
        "tahun": when.year,
    }
    try:
        return pattern.format(**values)
    except (ValueError, TypeError) as exc:
        raise SopError(
            _("naskah nomor.pola: {pattern!r} cannot be filled ({reason})").format(
                pattern=pattern, reason=exc
            )
        ) from None


def assign(
    session: Session,
    kind: str,
    subject: str,
    when: datetime,
    make: Any,
) -> DocumentNumber:
    """Given a kind, a subject and the local moment, return its number row, made once.

    ``make(sequence)`` formats the number of a new sequence value: the next of the
    year over every kind, or the first after it whose number was never given.  The
    row is added to the caller's transaction (it lands with the issue's audit entry).
    """
    found = session.scalars(
        select(DocumentNumber).where(DocumentNumber.kind == kind, DocumentNumber.subject == subject)
    ).first()
    if found is not None:
        return found
    last = session.scalar(
        select(func.max(DocumentNumber.sequence)).where(DocumentNumber.year == when.year)
    )
    sequence = (last or 0) + 1
    number = make(sequence)
    # A pattern without {tahun} gives this year's numbers again: skip those already given.
    while session.scalar(select(DocumentNumber.id).where(DocumentNumber.number == number)):
        sequence += 1
        number = make(sequence)
    row = DocumentNumber(
        kind=kind,
        subject=subject,
        year=when.year,
        sequence=sequence,
        number=number,
        assigned_at=when,
    )
    session.add(row)
    session.flush()
    return row
