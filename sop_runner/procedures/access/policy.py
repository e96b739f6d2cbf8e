"""The rules of SOP 2.1–2.3, pure: kinds of visitor, Mutu Baku, the rules each kind
acknowledges, identity documents, and the clock.

No function here touches the store.  The identity number a petugas types is
turned into its type, last four characters and a salted scrypt hash at once;
the number itself is never returned, stored, logged or shown (UU 27/2022).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sop_runner.errors import SopError
from sop_runner.i18n import N_, _

KINDS = ("vendor", "petugas", "tamu")
# Where the document gives each kind's stay (table "Mutu Baku", Waktu): the catalog step.
STAY_STEP = {"vendor": ("2.1", 5), "petugas": ("2.2", 3), "tamu": ("2.3", 5)}
PROCEDURE_OF = {"vendor": "2.1", "petugas": "2.2", "tamu": "2.3"}
# The same standard times, for when no catalog is at hand (unit tests of pure rules).
STAY = {
    "vendor": timedelta(hours=8),
    "petugas": timedelta(hours=3),
    "tamu": timedelta(minutes=10),
}
# The document's own lists, per kind (2.1 steps 5–6, 2.2 step 3, 2.3 step 5).
RULES: dict[str, tuple[str, ...]] = {
    "vendor": (
        "dilarang makan",
        "dilarang minum",
        "dilarang merokok",
        "dilarang tidur",
        "dilarang menggunakan alas kaki",
        "dokumentasi terbatas pada perangkat yang sedang ditangani",
        "dalam pengawasan dan pendampingan petugas",
    ),
    "petugas": (
        "dilarang makan",
        "dilarang minum",
        "dilarang merokok",
        "dilarang tidur",
        "dilarang bermain gadget",
        "dilarang menggunakan alas kaki",
    ),
    "tamu": (
        "hanya diperkenankan melihat",
        "dilarang memotret",
        "dilarang merekam video",
        "dilarang makan",
        "dilarang minum",
        "dilarang merokok",
        "dilarang menggunakan alas kaki",
        "dilarang menyentuh perangkat apapun",
        "dalam pengawasan dan pendampingan petugas",
    ),
}
# Identity documents the document names (KTP/SIM/Paspor) and what their numbers look like.
ID_TYPES = {
    "KTP": re.compile(r"^\d{16}$"),
    "SIM": re.compile(r"^\d{12,16}$"),
    "PASPOR": re.compile(r"^[A-Z0-9]{6,9}$"),
}
ID_HINT = N_("KTP: 16 digits, SIM: 12-16 digits, PASPOR: 6-9 letters or digits")
# scrypt makes each guess of a 16-digit KTP number cost (its structure is guessable).
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
# A recorded time may lag the moment it is typed (a late entry), never run ahead of it.
AHEAD = timedelta(minutes=5)
CLOCK_ENV = "SOP_ACCESS_NOW"
ZONE = "Asia/Jakarta"


@dataclass(frozen=True)
class Deposit:
    """An identity document as the log book keeps it: never its number."""

    id_type: str
    last4: str
    salt: str
    digest: str


def check_kind(kind: str) -> str:
    """Given a --kind, return it; raise SopError naming the kinds allowed."""
    if kind not in KINDS:
        raise SopError(
            _("--kind: {kind!r} is not allowed; use one of {allowed}").format(
                kind=kind, allowed=", ".join(KINDS)
            )
        )
    return kind


def required(text: str | None, option: str, what: str) -> str:
    """Given an option's text, return it stripped; raise SopError if it is empty."""
    value = (text or "").strip()
    if not value:
        raise SopError(_("{option}: required, {what}").format(option=option, what=what))
    if len(value) > 200 and option != "--purpose":
        raise SopError(_("{option}: longer than 200 characters").format(option=option))
    return value


def normalise_number(number: str) -> str:
    """Given an identity number as typed, return it without spaces, dots or dashes, upper case."""
    return re.sub(r"[\s.\-]", "", number).upper()


def deposit(id_type: str, number: str) -> Deposit:
    """Given a document type and its number, return what the log book keeps of it.

    Raise SopError naming the field (never echoing the number) when the type is
    not KTP, SIM or PASPOR or the number does not look like one.
    """
    kind = id_type.strip().upper()
    if kind not in ID_TYPES:
        raise SopError(
            _("--id-type: {id_type!r} is not allowed; use KTP, SIM or PASPOR").format(
                id_type=id_type
            )
        )
    plain = normalise_number(number)
    if not ID_TYPES[kind].match(plain):
        raise SopError(
            _("identity number: not a {kind} number; allowed: {hint}").format(
                kind=kind, hint=_(ID_HINT)
            )
        )
    salt = secrets.token_hex(16)
    return Deposit(kind, plain[-4:], salt, id_digest(plain, salt))


def id_digest(plain: str, salt: str) -> str:
    """Given a normalised number and a salt (hex), return the salted scrypt hash (hex)."""
    return hashlib.scrypt(plain.encode(), salt=bytes.fromhex(salt), **_SCRYPT).hex()


def same_document(number: str, salt: str, digest: str) -> bool:
    """Given a number shown at check-out and the stored salt and hash, return whether they match."""
    return hmac.compare_digest(id_digest(normalise_number(number), salt), digest)


def personal_digest(nonce: str, fields: dict[str, str | None]) -> str:
    """Given an entry's nonce and its personal fields, return the digest signed actions carry.

    With the nonce deleted (retention), the digest no longer ties to anyone.
    """
    text = "\x1f".join(f"{k}={fields[k] or ''}" for k in sorted(fields))
    return hashlib.sha256(f"{nonce}\x1e{text}".encode()).hexdigest()


def now() -> datetime:
    """Return the clock: $SOP_ACCESS_NOW when set (tests, replays), else now; aware UTC."""
    text = os.environ.get(CLOCK_ENV)
    return parse_time(text, CLOCK_ENV) if text else datetime.now(UTC)


def parse_time(text: str, option: str = "--at") -> datetime:
    """Given '2026-11-02 08:00' (office time, WIB) or ISO 8601 with a zone, return aware UTC.

    Raise SopError naming the option when it is not such a time.
    """
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise SopError(
            _("{option}: {text!r} is not a time; use 'YYYY-MM-DD HH:MM' (WIB) or ISO 8601").format(
                option=option, text=text
            )
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(ZONE))
    return moment.astimezone(UTC)


def moment(at: str | None, clock: datetime) -> datetime:
    """Given an --at option (or None) and the clock, return when an action happened.

    Raise SopError when it is later than the clock: a log entry records what happened.
    """
    if at is None:
        return clock
    when = parse_time(at)
    if when > clock + AHEAD:
        raise SopError(
            _("--at: {at!r} is in the future; the log book records what happened").format(at=at)
        )
    return when


def overdue_by(allowed_until: datetime, time_out: datetime | None, at: datetime) -> timedelta:
    """Given a visit's allowed end, its time out (or None) and a moment, return how far past
    the Mutu Baku it is at that moment (zero when within)."""
    end = time_out if time_out is not None and time_out <= at else at
    return max(timedelta(0), end - allowed_until)
