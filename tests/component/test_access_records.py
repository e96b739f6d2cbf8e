"""SOP 2.1–2.3, the door's own record and the documents (issue 19): a recorded ZKTeco
attendance log with one unlogged entrance and one exit with no check-out gives exactly
those two anomalies; the monthly Buku Log akses renders with its visits; and no full
identity number is anywhere: not in the store (SQLite file, PostgreSQL dump), not in
any document."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select

from sop_runner.documents import dates
from sop_runner.procedures.access import book, door
from sop_runner.procedures.access.models import AccessEntry, AccessRetention
from sop_runner.store.models import AuditEntry
from tests.component.test_access import DAY, KTP, sop, valid
from tests.support import postgres
from tests.support.sop import SopEnv, ok

DATA = Path(__file__).resolve().parents[1] / "data" / "access"
ATTLOG = DATA / "rekaman-2026-11-03_1_attlog.dat"
PASPOR = "C4821937"


def _day(env: SopEnv, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int]:
    """Record the sample day's log book: budi's own visit (out again), and a vendor escorted
    by dewi who never checked out; return both entries."""
    monkeypatch.setenv("SOP_ACCESS_NOW", f"{DAY} 23:00")
    ctx = env.ctx()
    door.set_badge(ctx, "1", "budi", "rudi")
    door.set_badge(ctx, "2", "dewi", "rudi")
    own = book.check_in(
        ctx,
        book.Visit(
            "petugas", ("server-farm",), "cek UPS", rules_acknowledged=True, at=f"{DAY} 08:00"
        ),
        "budi",
    )
    book.check_out(ctx, book.Leaving(own.id, True, at=f"{DAY} 10:00"), "budi")
    vendor = book.check_in(
        ctx,
        book.Visit(
            "vendor",
            ("server-farm",),
            "pasang rak baru",
            name="Joko Susilo",
            organisation="CV Rak Jaya",
            coordination="SPK 12/2026",
            escort="dewi",
            id_type="KTP",
            rules_acknowledged=True,
            at=f"{DAY} 13:00",
        ),
        "dewi",
        KTP,
    )
    return own.id, vendor.id


def test_a_recorded_door_log_gives_exactly_the_unlogged_entry_and_the_exit_without_checkout(
    sqlite_sop_env: SopEnv, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _, vendor = _day(sqlite_sop_env, monkeypatch)
    imported = ok(sop("access", "import", str(ATTLOG), "--as", "budi", real=True))
    assert "6" in imported.stdout
    again = ok(sop("access", "import", str(ATTLOG), "--as", "budi"))
    assert "0" in again.stdout and "6" in again.stdout  # nothing twice
    result = sop(
        "access", "reconcile", "--json", "--report", "--out", str(tmp_path), "--format", "md,pdf"
    )
    assert result.returncode == 1, result.stderr
    found = json.loads(result.stdout[: result.stdout.rindex("}") + 1])["anomalies"]
    assert [(a["kind"], a["at"][:16], a["pin"], a["entry"]) for a in found] == [
        ("exit_without_checkout", "2026-11-03T08:30", "2", vendor),
        ("door_without_entry", "2026-11-03T12:10", "1", None),
    ]
    report = next(tmp_path.glob("anomali-akses-*-id.md")).read_text()
    assert "keluar pintu tanpa check-out" in report and "pintu dibuka tanpa entri" in report
    assert (tmp_path / next(tmp_path.glob("anomali-akses-*-id.md")).name).exists()
    # A log book entry whose petugas never opened the door is the third kind.
    unseen = book.check_in(
        sqlite_sop_env.ctx(),
        book.Visit(
            "petugas", ("ruang-kendali",), "cek CCTV", rules_acknowledged=True, at=f"{DAY} 17:00"
        ),
        "dewi",
    )
    found = valid("access-anomalies.schema.json", sop("access", "reconcile", "--json").stdout)[
        "anomalies"
    ]
    assert [(a["kind"], a["entry"]) for a in found] == [
        ("exit_without_checkout", vendor),
        ("entry_without_door", unseen.id),
        ("door_without_entry", None),
    ]
    # A malformed line stops the import with one line naming it; nothing is written.
    bad = tmp_path / "rusak_attlog.dat"
    bad.write_text("        1\t2026-11-03 25:61:00\t1\t0\t1\t0\n")
    refused = sop("access", "import", str(bad), "--as", "budi")
    assert refused.returncode == 2 and "line 1" in refused.stderr and "time" in refused.stderr


def test_the_generic_csv_reads_the_same_events_as_the_zkteco_log() -> None:
    zk, _ = door.read_events(ATTLOG, "zkteco")
    generic, _ = door.read_events(DATA / "rekaman-2026-11-03-pintu.csv", "csv")
    assert [(e.pin, e.at, e.direction, e.verify) for e in zk] == [
        (e.pin, e.at, e.direction, e.verify) for e in generic
    ]
    assert zk[0].direction == "in" and zk[0].verify == "fingerprint" and zk[2].verify == "face"


def _pdf_text(path: Path) -> str:
    """Given a PDF, return its text in reading order, whitespace made single spaces."""
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return " ".join(text.split())


def test_the_monthly_log_book_renders_every_visit_as_an_official_pdf(
    sqlite_sop_env: SopEnv, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _day(sqlite_sop_env, monkeypatch)
    paths = ok(sop("access", "report", "month", "2026-11", "--out", str(tmp_path))).stdout.split()
    pdf = next(Path(p) for p in paths if p.endswith(".pdf"))
    text = _pdf_text(pdf)
    assert "BUKU LOG AKSES PUSAT DATA BULAN NOVEMBER 2026" in text.upper()
    assert "Joko Susilo" in text and "CV Rak Jaya" in text and "Budi" in text
    assert "masih di dalam" in text and "KTP ****0004" in text
    # Dated the day it is issued, in WIB (after 17:00 UTC on the 30th that is 1 Desember).
    issued = dates.long_date(datetime.now(UTC), "Asia/Jakarta")
    assert "Nomor" in text and issued in text, issued
    markdown = Path(paths[0]).read_text()
    assert "2 jam" in markdown and "sesuai" in markdown  # budi: 2 h of a 3 h Mutu Baku
    ok(sop("verify", str(pdf)))
    history = ok(
        sop("access", "report", "history", "Joko Susilo", "--out", str(tmp_path), "--format", "md")
    ).stdout.split()
    assert "pasang rak baru" in Path(history[0]).read_text()
    english = ok(
        sop(
            "access",
            "report",
            "month",
            "2026-11",
            "--lang",
            "en",
            "--out",
            str(tmp_path / "en"),
            "--format",
            "md",
        )
    ).stdout.split()
    text = Path(english[0]).read_text()
    assert "Data Center Access Log Book for November 2026" in text and "within" in text


def _store_bytes(env: SopEnv, tmp_path: Path) -> bytes:
    """Return the whole store as bytes: the SQLite files, or a pg_dump of the database."""
    if env.db_url.startswith("sqlite"):
        db = Path(env.db_url.removeprefix("sqlite:///"))
        return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))
    url = urlparse(env.db_url)
    query = parse_qs(url.query)
    dump = subprocess.run(
        [
            *postgres.AS_POSTGRES,
            str(postgres.PG_BIN / "pg_dump"),
            "-h",
            query["host"][0],
            "-p",
            query["port"][0],
            "-U",
            "postgres",
            url.path.lstrip("/"),
        ],
        capture_output=True,
        check=True,
    )
    return dump.stdout


def test_no_full_identity_number_is_stored_or_printed_anywhere(
    sop_env: SopEnv, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _day(sop_env, monkeypatch)
    ok(
        sop(
            "access",
            "permit",
            "--kind",
            "tamu",
            "--name",
            "Maria Ulfa",
            "--organisation",
            "Kedutaan",
            "--purpose",
            "kunjungan",
            operator="sari",
            now=f"{DAY} 08:00",
        )
    )
    ok(
        sop(
            "access",
            "checkin",
            "--kind",
            "tamu",
            "--name",
            "Maria Ulfa",
            "--organisation",
            "Kedutaan",
            "--purpose",
            "kunjungan",
            "--room",
            "ruang-kendali",
            "--escort",
            "budi",
            "--id-type",
            "PASPOR",
            "--gadgets",
            "ponsel",
            "--permission",
            "1",
            "--rules-acknowledged",
            "--at",
            f"{DAY} 14:00",
            operator="budi",
            stdin=f"{PASPOR}\n",
        )
    )
    ok(sop("access", "import", str(ATTLOG), "--as", "budi"))
    out = tmp_path / "docs"
    ok(sop("access", "report", "month", "2026-11", "--out", str(out)))
    ok(sop("access", "report", "history", "Joko Susilo", "--out", str(out)))
    sop("access", "reconcile", "--report", "--out", str(out))
    store = _store_bytes(sop_env, tmp_path)
    assert b"Joko Susilo" in store and b"Maria Ulfa" in store  # the grep does see the store
    for number in (KTP, PASPOR):
        assert number.encode() not in store, number
        assert number[:12].encode() not in store
    files = sorted(out.iterdir())
    assert {p.suffix for p in files} == {".md", ".html", ".pdf"}
    for path in files:
        texts = [path.read_bytes().decode("latin-1")]
        if path.suffix == ".pdf":
            texts.append(_pdf_text(path))
        for text in texts:
            assert KTP not in text and PASPOR not in text, path
    assert "****1937" in _pdf_text(out / "buku-log-akses-2026-11-id.pdf")
    assert shutil.which("pdftotext")


def test_retention_anonymises_old_entries_only_after_the_pj_approves_and_keeps_the_counts(
    sqlite_sop_env: SopEnv, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _own, vendor = _day(sqlite_sop_env, monkeypatch)
    book.check_out(
        sqlite_sop_env.ctx(),
        book.Leaving(vendor, True, id_returned=True, at=f"{DAY} 16:00"),
        "dewi",
    )
    ok(sop("access", "report", "history", "Joko Susilo", "--out", str(tmp_path), "--format", "md"))
    monkeypatch.setenv("SOP_ACCESS_NOW", "2027-12-01 09:00")
    checked = ok(sop("access", "retention", "propose", "--check", "--older-than", "365d"))
    assert "2 entri" in checked.stdout and "vendor 1, petugas 1" in checked.stdout
    with sqlite_sop_env.ctx().session() as session:
        assert session.scalars(select(AccessRetention)).all() == []  # --check wrote nothing
    ok(sop("access", "retention", "propose", "--older-than", "365d", "--as", "budi"))
    unapproved = sop("access", "retention", "apply", "1", "--as", "budi")
    assert unapproved.returncode == 4 and "not approved" in unapproved.stderr
    denied = sop("access", "retention", "approve", "1", "--as", "dewi")
    assert denied.returncode == 2 and "penanggung_jawab" in denied.stderr
    ok(sop("access", "retention", "approve", "1", "--as", "sari"))
    ok(sop("access", "retention", "apply", "1", "--check", "--as", "budi"))
    assert book_names(sqlite_sop_env) == ["Budi", "Joko Susilo"]  # --check changed nothing
    ok(sop("access", "retention", "apply", "1", "--as", "budi"))
    assert book_names(sqlite_sop_env) == [None, None]
    store = _store_bytes(sqlite_sop_env, tmp_path)
    assert b"Joko Susilo" not in store and b"CV Rak Jaya" not in store
    month = ok(
        sop("access", "report", "month", "2026-11", "--out", str(tmp_path / "m"), "--format", "md")
    ).stdout.split()
    text = Path(month[0]).read_text()
    assert "vendor 1, petugas 1" in text and "(dianonimkan)" in text
    again = sop("access", "retention", "apply", "1", "--as", "budi")
    assert again.returncode == 2 and "sudah diterapkan" in again.stderr
    trail = ok(sop("audit", "verify"))
    assert trail.returncode == 0
    with sqlite_sop_env.ctx().session() as session:
        assert any('"access.anonymised"' in e.content for e in session.scalars(select(AuditEntry)))


def book_names(env: SopEnv) -> list[str | None]:
    with env.ctx().session() as session:
        return [
            r.person_name
            for r in session.scalars(select(AccessEntry).order_by(AccessEntry.id)).all()
        ]
