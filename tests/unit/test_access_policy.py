"""The pure rules of SOP 2.1–2.3 (sop_runner/procedures/access/policy.py, door.py): an
identity document is kept as type, last four and a salted hash, never the number, and a
wrong number is refused without being echoed; times are read in WIB; overdue is measured
against the allowed end; the door's files are read as ZKTeco and generic CSV lay them out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sop_runner import i18n
from sop_runner.errors import SopError
from sop_runner.procedures.access import door, policy

KTP = "3328091203850004"


def test_a_deposit_keeps_the_type_the_last_four_and_a_salted_hash_never_the_number() -> None:
    held = policy.deposit("ktp", "3328 0912-0385.0004")
    assert (held.id_type, held.last4) == ("KTP", "0004")
    assert KTP not in repr(held) and len(held.digest) == 64
    assert policy.same_document(KTP, held.salt, held.digest)
    assert not policy.same_document("3328091203850005", held.salt, held.digest)
    # A fresh salt every time: two visits of one person are not linkable by the hash.
    assert policy.deposit("KTP", KTP).digest != held.digest


@pytest.mark.parametrize(
    ("kind", "number"),
    [("KTP", "332809120385000"), ("SIM", "12345"), ("PASPOR", "C48-21#937"), ("KTP", "")],
)
def test_a_wrong_number_is_refused_without_echoing_it(kind: str, number: str) -> None:
    with pytest.raises(SopError) as refused:
        policy.deposit(kind, number)
    assert "nomor identitas" in str(refused.value)
    assert not number or number not in str(refused.value)


def test_an_unknown_document_type_is_refused_naming_the_allowed_ones() -> None:
    said = "--id-type: 'NPWP' tidak diizinkan; yang diizinkan: KTP, SIM atau PASPOR"
    with pytest.raises(SopError, match=said):
        policy.deposit("NPWP", KTP)


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        (None, "nomor identitas: bukan nomor SIM; yang diizinkan: KTP: 16 digit"),
        ("en", "identity number: not a SIM number; allowed: KTP: 16 digits"),
    ],
)
def test_an_access_refusal_is_indonesian_by_default_and_english_with_sop_lang_en(
    monkeypatch: pytest.MonkeyPatch, lang: str | None, said: str
) -> None:
    """Issue 17: the log book's refusals come through gettext (access.po)."""
    monkeypatch.setattr(i18n, "_chosen", None)  # chosen afresh, as a new `sop` process does
    monkeypatch.setattr("sys.argv", ["sop"])
    monkeypatch.delenv("SOP_LANG", raising=False)
    monkeypatch.setenv("SOP_CONFIG", "/nonexistent/sop.yml")
    if lang:
        monkeypatch.setenv("SOP_LANG", lang)
    with pytest.raises(SopError) as refused:
        policy.deposit("SIM", "12345")
    assert str(refused.value).startswith(said)


def test_times_are_read_in_wib_and_a_future_time_is_refused() -> None:
    assert policy.parse_time("2026-11-03 09:00") == datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
    assert policy.parse_time("2026-11-03T09:00+00:00") == datetime(2026, 11, 3, 9, tzinfo=UTC)
    with pytest.raises(SopError, match="--at: 'jam 9' bukan waktu"):
        policy.parse_time("jam 9")
    clock = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
    assert policy.moment("2026-11-03 08:30", clock) == clock - timedelta(minutes=30)
    with pytest.raises(SopError, match="di masa depan"):
        policy.moment("2026-11-03 09:30", clock)


def test_the_clock_is_injectable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(policy.CLOCK_ENV, "2026-11-03 09:11")
    assert policy.now() == datetime(2026, 11, 3, 2, 11, tzinfo=UTC)


def test_overdue_is_what_passed_the_allowed_end_until_the_moment_or_the_time_out() -> None:
    end = datetime(2026, 11, 3, 2, 10, tzinfo=UTC)
    assert policy.overdue_by(end, None, end - timedelta(minutes=1)) == timedelta(0)
    assert policy.overdue_by(end, None, end + timedelta(minutes=1)) == timedelta(minutes=1)
    out = end + timedelta(minutes=5)
    assert policy.overdue_by(end, out, end + timedelta(hours=1)) == timedelta(minutes=5)


def test_each_kind_has_the_documents_rules_and_mutu_baku() -> None:
    assert {
        "vendor": timedelta(hours=8),
        "petugas": timedelta(hours=3),
        "tamu": timedelta(minutes=10),
    } == policy.STAY
    assert "dilarang bermain gadget" in policy.RULES["petugas"]
    assert "dilarang bermain gadget" not in policy.RULES["vendor"]
    assert "dilarang menyentuh perangkat apapun" in policy.RULES["tamu"]


def test_a_zkteco_log_line_is_read_as_the_sdk_lays_it_out(tmp_path: Path) -> None:
    log = tmp_path / "7_attlog.dat"
    log.write_bytes(
        b"AB12345678\r\n"  # the extended format's serial number line
        b"       42\t2026-11-03 08:02:11\t7\t0\t15\t0\r\n"
        b"       42\t2026-11-03 09:00:00\t7\t1\t1\t0\r\n"
    )
    events, digest = door.read_events(log, "zkteco")
    assert len(digest) == 64
    assert [(e.pin, e.direction, e.verify, e.device) for e in events] == [
        ("42", "in", "face", "7"),
        ("42", "out", "fingerprint", "7"),
    ]
    assert events[0].at == datetime(2026, 11, 3, 1, 2, 11, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "fmt", "said"),
    [
        ("       1\t2026-11-03 08:00:00\t1\t9\t1\t0\n", "zkteco", "line 1: state '9'"),
        ("       1\t2026-11-03\n", "zkteco", "line 1: expected PIN"),
        ("time,pin\n2026-11-03 08:00,1\n", "csv", "header needs time,pin,direction"),
        ("time,pin,direction\n2026-11-03 08:00,1,masuk\n", "csv", "line 2: direction"),
        ("time,pin,direction\n2026-11-03 08:00,1;rm,in\n", "csv", "line 2: user number"),
    ],
)
def test_a_bad_door_line_is_refused_naming_file_line_and_field(
    tmp_path: Path, text: str, fmt: str, said: str
) -> None:
    path = tmp_path / "pintu.dat"
    path.write_text(text)
    with pytest.raises(SopError, match=said):
        door.read_events(path, fmt)
