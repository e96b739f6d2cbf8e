"""The door's own record: the attendance log of its face / fingerprint terminal, imported.

Two formats are read:

- ``zkteco``: the attendance log a ZKTeco terminal writes to a USB stick
  (``<device>_attlog.dat``) and its CSV-like exports: one event a line, tab-separated:
  user number (PIN, right-aligned with spaces), ``YYYY-MM-DD HH:MM:SS`` in the
  terminal's local time, device number, state (0 check-in, 1 check-out,
  2 break-out, 3 break-in, 4 overtime-in, 5 overtime-out), verify mode (0 password,
  1 fingerprint, 2 card, 15 face), work code.  pyzk's ``get_attendance()`` gives the
  same fields (``user_id``, ``timestamp``, ``punch`` = state, ``status`` = verify).
- ``csv``: a generic CSV with a header ``time,pin,direction[,device][,verify]``;
  ``time`` as ``YYYY-MM-DD HH:MM[:SS]`` (WIB) or ISO 8601 with a zone, ``direction``
  ``in`` or ``out`` (docs/access.md).

A malformed line stops the import with one line naming the file, line and field;
nothing is written then.  Events already imported are skipped.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from sop_runner.context import Context
from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.procedures.access import policy
from sop_runner.procedures.access.models import AccessBadge, AccessDoorEvent

FORMATS = ("zkteco", "csv")
# ZKTeco states: which way the person went through the door.
ZK_DIRECTION = {"0": "in", "1": "out", "2": "out", "3": "in", "4": "in", "5": "out"}
ZK_VERIFY = {"0": "password", "1": "fingerprint", "2": "card", "15": "face"}
_PIN = re.compile(r"^[0-9A-Za-z]{1,32}$")


@dataclass(frozen=True)
class DoorEvent:
    """One event of the door's record: who (the terminal's user number), when, which way."""

    device: str
    pin: str
    at: datetime
    direction: str
    verify: str


def _bad(path: Path, line: int, what: str) -> SopError:
    return SopError(f"door file {path.name} line {line}: {what}")


def _pin(path: Path, line: int, text: str) -> str:
    pin = text.strip()
    if not _PIN.match(pin):
        raise _bad(path, line, f"user number {pin[:40]!r} is not allowed; letters and digits")
    return pin


def _time(path: Path, line: int, text: str) -> datetime:
    try:
        return policy.parse_time(text, "time")
    except SopError:
        raise _bad(path, line, f"time {text[:40]!r} is not 'YYYY-MM-DD HH:MM:SS'") from None


def parse_zkteco(path: Path, text: str) -> list[DoorEvent]:
    """Given a ZKTeco attendance log's text, return its events; raise SopError at a bad line."""
    default_device = path.name.split("_", 1)[0] if "_attlog" in path.name else path.stem
    events = []
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        fields = raw.split("\t")
        if len(fields) == 1 and number in (1, len(text.splitlines())):
            continue  # the serial number and checksum lines of the extended (SSR) format
        if len(fields) < 4:
            raise _bad(path, number, "expected PIN, time, device, state, verify, work code (tabs)")
        state = fields[3].strip()
        if state not in ZK_DIRECTION:
            raise _bad(path, number, f"state {state[:10]!r} is not allowed; 0-5")
        verify = fields[4].strip() if len(fields) > 4 else ""
        events.append(
            DoorEvent(
                device=fields[2].strip() or default_device,
                pin=_pin(path, number, fields[0]),
                at=_time(path, number, fields[1]),
                direction=ZK_DIRECTION[state],
                verify=ZK_VERIFY.get(verify, f"mode {verify}" if verify else "unknown"),
            )
        )
    return events


def parse_csv(path: Path, text: str) -> list[DoorEvent]:
    """Given a generic door CSV's text, return its events; raise SopError at a bad line."""
    reader = csv.DictReader(io.StringIO(text))
    header = set(reader.fieldnames or ())
    if not {"time", "pin", "direction"} <= header:
        raise _bad(path, 1, "the header needs time,pin,direction (and may have device,verify)")
    events = []
    for row in reader:
        number = reader.line_num
        direction = (row.get("direction") or "").strip().lower()
        if direction not in ("in", "out"):
            raise _bad(path, number, f"direction {direction[:10]!r} is not allowed; in or out")
        events.append(
            DoorEvent(
                device=(row.get("device") or "").strip() or path.stem,
                pin=_pin(path, number, row.get("pin") or ""),
                at=_time(path, number, row.get("time") or ""),
                direction=direction,
                verify=(row.get("verify") or "").strip() or "unknown",
            )
        )
    return events


def read_events(path: Path, fmt: str) -> tuple[list[DoorEvent], str]:
    """Given a door file and its format, return its events and the file's SHA-256.

    Raise SopError when the file cannot be read, the format is unknown or a line is bad.
    """
    if fmt not in FORMATS:
        raise SopError(
            _("--format: {fmt!r} is not allowed; use {allowed}").format(
                fmt=fmt, allowed=", ".join(FORMATS)
            )
        )
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SopError(
            _("door file {path}: cannot be read ({reason})").format(
                path=path, reason=error.strerror
            )
        ) from None
    text = data.decode("utf-8", errors="replace").replace("\r\n", "\n")
    events = parse_zkteco(path, text) if fmt == "zkteco" else parse_csv(path, text)
    return events, hashlib.sha256(data).hexdigest()


def import_file(ctx: Context, path: Path, fmt: str, operator: str | None) -> tuple[int, int]:
    """Given a door file, store its new events as the petugas' signed action; return how many
    were new and how many were there already."""
    events, digest = read_events(path, fmt)
    acting = ctx.actor(operator)
    if "petugas" not in acting.roles:
        raise SopError(
            _("operator: {name!r} is not a petugas; the petugas imports it").format(
                name=acting.name
            )
        )
    new = skipped = 0
    with ctx.session() as session:
        seen = {
            (e.device, e.pin, e.at, e.direction)
            for e in session.scalars(select(AccessDoorEvent)).all()
        }
        imported = policy.now()
        for event in events:
            key = (event.device, event.pin, event.at, event.direction)
            if key in seen:
                skipped += 1
                continue
            seen.add(key)
            session.add(
                AccessDoorEvent(
                    device=event.device,
                    pin=event.pin,
                    at=event.at,
                    direction=event.direction,
                    verify=event.verify,
                    source_file=path.name,
                    source_sha256=digest,
                    imported_at=imported,
                )
            )
            new += 1
        session.flush()
        acting.sign(
            session,
            "access.door_imported",
            f"access-door/{path.name}",
            {"file_sha256": digest, "format": fmt, "new": new, "skipped": skipped},
        )
    return new, skipped


def set_badge(ctx: Context, pin: str, petugas: str, operator: str | None) -> None:
    """Given a terminal user number and a petugas, record whose it is (signed action)."""
    number = pin.strip()
    if not _PIN.match(number):
        raise SopError(
            _("PIN: {pin!r} is not allowed; letters and digits, up to 32").format(pin=pin[:40])
        )
    acting = ctx.actor(operator)
    if not {"petugas", "penanggung_jawab"} & set(acting.roles):
        raise SopError(
            _("operator: {name!r} may not name the door's users").format(name=acting.name)
        )
    holder = ctx.operators.get(petugas)
    if holder is None or "petugas" not in holder.roles:
        raise SopError(
            _("--petugas: {name!r} is no petugas of the operators registry").format(name=petugas)
        )
    with ctx.session() as session:
        row = session.get(AccessBadge, number)
        if row is None:
            row = AccessBadge(pin=number, operator=petugas, set_by=acting.name, signed={})
            session.add(row)
        row.operator, row.set_by = petugas, acting.name
        session.flush()
        row.signed = acting.sign(
            session, "access.badge_set", f"access-badge/{number}", {"operator": petugas}
        )
