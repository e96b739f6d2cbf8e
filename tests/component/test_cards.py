"""SOP 6.3/6.4 control cards against real parts: a NUT UPS (dummy-ups, simulated), a
room sensor behind a real snmpd (simulated), a real SMTP server for the notices, the
real `sop` command and real PDFs.

The genset rule (outside working hours), the fuel threshold and the room envelope each
decide what an entry opens; every entry is signed, and a row edited afterwards loses
its paraf on the printed card.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from sop_runner.documents.verify import verify_file
from sop_runner.errors import SopError
from sop_runner.execution import run_request
from sop_runner.lab.facilities import (
    SENSOR_HUMIDITY,
    SENSOR_TEMPERATURE,
    SimulatedSensor,
    SimulatedUps,
    simulated_facilities,
)
from sop_runner.procedures.cards.documents import paraf
from sop_runner.procedures.cards.models import CardEntry, CardFollowUp
from sop_runner.procedures.cards.service import EntryWish, close_adjustment, record_entry
from sop_runner.requests import new_request
from sop_runner.store.models import AuditEntry
from tests.support.smtp import SmtpSink, smtp_sink
from tests.support.sop import SopEnv, ok

WIB = ZoneInfo("Asia/Jakarta")


@pytest.fixture(scope="module")
def facilities(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[SimulatedUps, SimulatedSensor]]:
    """One simulated UPS and room sensor for the module (about 3 s to start)."""
    with simulated_facilities(tmp_path_factory.mktemp("facilities")) as running:
        yield running


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with smtp_sink() as running:
        yield running


def _site(env: SopEnv, facilities: tuple[SimulatedUps, SimulatedSensor], sink: SmtpSink) -> SopEnv:
    """Given a sop installation, make its site.yml name the simulated UPS and sensor of the
    server farm and send notices to the SMTP sink; return it."""
    ups, sensor = facilities
    ups.set(ups_status="OL", battery_charge="100")
    sensor.set(23.0, 45.0)
    folder = env.ctx().settings.inventory
    folder = folder if folder.is_dir() else folder.parent
    site = {
        "notify": [{"url": sink.url(), "kinds": ["monitoring.card"]}],
        "kartu_kontrol": {
            "bahan_bakar_min_persen": 25,
            "ups": [
                {"tempat": "server-farm", "nama": ups.name, "port": ups.port, "simulasi": True}
            ],
            "sensor": [
                {
                    "tempat": "server-farm",
                    "host": "127.0.0.1",
                    "port": sensor.port,
                    "community": sensor.community,
                    "oid_suhu": SENSOR_TEMPERATURE,
                    "oid_kelembaban": SENSOR_HUMIDITY,
                    "simulasi": True,
                }
            ],
        },
    }
    (folder / "site.yml").write_text(json.dumps(site))
    return env


@pytest.fixture
def cards(
    sqlite_sop_env: SopEnv, facilities: tuple[SimulatedUps, SimulatedSensor], sink: SmtpSink
) -> SopEnv:
    """A sop installation on SQLite with the simulated devices and the mail sink."""
    return _site(sqlite_sop_env, facilities, sink)


@pytest.fixture
def cards_any_store(
    sop_env: SopEnv, facilities: tuple[SimulatedUps, SimulatedSensor], sink: SmtpSink
) -> SopEnv:
    """The same on each store: SQLite and a real PostgreSQL server."""
    return _site(sop_env, facilities, sink)


def _last_working_day_at(hour: int) -> str:
    """Return the latest past Monday–Thursday at ``hour``:00 WIB, as ISO text (no zone)."""
    day = datetime.now(WIB).date() - timedelta(days=1)
    while day.weekday() > 3:
        day -= timedelta(days=1)
    return f"{day.isoformat()}T{hour:02d}:00"


def _entries(env: SopEnv) -> list[CardEntry]:
    with env.ctx().session() as session:
        rows = list(session.scalars(select(CardEntry).order_by(CardEntry.id)).all())
        session.expunge_all()
    return rows


def _followups(env: SopEnv, entry_id: int) -> dict[str, CardFollowUp]:
    with env.ctx().session() as session:
        rows = session.scalars(select(CardFollowUp).where(CardFollowUp.entry_id == entry_id)).all()
        session.expunge_all()
    return {row.kind: row for row in rows}


def _actions(env: SopEnv) -> list[dict[str, object]]:
    with env.ctx().session() as session:
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        return [json.loads(row.content) for row in rows]


def _record(env: SopEnv, operator: str = "budi", **wish: object) -> object:
    """Record an entry in-process (the `sop kartu` commands call exactly this)."""
    return record_entry(env.ctx(), EntryWish(**wish), operator)  # type: ignore[arg-type]


def test_a_genset_test_at_10_on_a_working_day_is_refused_or_flagged_and_at_20_accepted(
    cards: SopEnv, sink: SmtpSink
) -> None:
    ten, twenty = _last_working_day_at(10), _last_working_day_at(20)

    refused = cards.sop(
        "kartu",
        "genset",
        "--tempat",
        "server-farm",
        "--kondisi",
        "baik",
        "--at",
        ten,
        operator="budi",
    )

    assert refused.returncode == 2
    assert "berada dalam jam kerja" in refused.stderr and "--alasan" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and "Traceback" not in refused.stderr
    assert _entries(cards) == []  # nothing written

    genset = {"card": "genset", "place": "server-farm", "condition": "baik"}
    _record(cards, **genset, at=ten, reason="PLN padam, uji darurat")
    _record(cards, **genset, at=twenty)

    flagged, accepted = _entries(cards)
    assert flagged.outside_hours_reason == "PLN padam, uji darurat"
    assert accepted.outside_hours_reason == "" and accepted.problems == []
    assert accepted.observed_at == datetime.fromisoformat(twenty).replace(tzinfo=WIB)
    entry = [a for a in _actions(cards) if a["action"] == "card.entry"][-1]
    assert entry["actor"] == "budi" and entry["signed"]["signature"]  # type: ignore[index]
    assert sink.messages == []  # a good genset is no problem


def test_fuel_under_the_threshold_opens_a_report_and_a_mail(cards: SopEnv, sink: SmtpSink) -> None:
    done = _record(cards, card="bbm", place="server-farm", fuel_percent=18.0)

    (entry,) = _entries(cards)
    assert (entry.fuel_percent, entry.problems) == (18.0, ["fuel_low"])
    assert "Isi ulang bahan bakar" in entry.recommendation
    report = _followups(cards, entry.id)["laporan"]
    assert report.detail["notice"] == {"sent": 1, "failed": 0}
    assert report.detail["number"]
    pdf = next(p for p in done.documents if p.suffix == ".pdf")  # type: ignore[attr-defined]
    words = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "LAPORAN MASALAH CATU DAYA" in words.upper() and "Rekomendasi" in words
    assert "18 %" in words and "Penanggung Jawab" in words
    (mail,) = sink.wait(1)
    assert "bahan bakar di bawah ambang 25 %" in mail["Subject"]
    assert "Isi ulang bahan bakar" in mail.get_body().get_content()


def test_a_room_at_29_degrees_from_the_snmp_sensor_opens_adjustment_report_and_mail(
    cards: SopEnv, sink: SmtpSink, facilities: tuple[SimulatedUps, SimulatedSensor]
) -> None:
    facilities[1].set(29.0, 40.0)

    _record(cards, card="suhu", place="server-farm", from_sensor=True)

    (entry,) = _entries(cards)
    assert (entry.temperature_c, entry.humidity_percent) == (29.0, 40.0)
    assert entry.source.startswith("snmp:127.0.0.1:") and "simulasi" in entry.source
    assert entry.problems == ["temperature_high"] and entry.severity == "warning"
    assert entry.dew_point_c == pytest.approx(14.0, abs=0.1)
    opened = _followups(cards, entry.id)
    assert opened["penyesuaian"].status == "terbuka" and opened["laporan"].detail["number"]
    (mail,) = sink.wait(1)
    assert "suhu di atas standar (27 °C)" in mail["Subject"]

    close_adjustment(cards.ctx(), entry.id, "set point AC 22 °C", "budi")
    closed = _followups(cards, entry.id)["penyesuaian"]
    assert (closed.status, closed.closed_by) == ("selesai", "budi") and closed.signed
    with pytest.raises(
        SopError, match=f"entri {entry.id}: tidak mempunyai catatan penyesuaian yang terbuka"
    ):
        close_adjustment(cards.ctx(), entry.id, "lagi", "budi")


def test_the_electrical_card_keeps_the_ups_readings_and_a_ups_on_battery_is_a_problem(
    cards: SopEnv, sink: SmtpSink, facilities: tuple[SimulatedUps, SimulatedSensor]
) -> None:
    ats = {"card": "listrik", "place": "server-farm", "component": "ATS", "condition": "baik"}
    _record(cards, **ats)
    facilities[0].set(ups_status="OB LB", battery_charge="18")
    _record(cards, **ats)

    good, bad = _entries(cards)
    assert good.readings["input.voltage"] == "221.5" and good.readings["ups.status"] == "OL"
    assert good.problems == [] and good.source.startswith("nut:sim@127.0.0.1:")
    assert bad.problems == ["ups_on_battery", "ups_low_battery"]
    assert "UPS berjalan dengan baterai" in sink.wait(1)[0]["Subject"]


@pytest.mark.parametrize(
    ("wish", "message"),
    [
        ({"card": "bbm", "fuel_percent": 120.0}, "--persen: 120 tidak diizinkan"),
        (
            {"card": "bbm", "place": "gudang", "fuel_percent": 50.0},
            "--tempat: 'gudang' bukan tempat",
        ),
        ({"card": "suhu", "temperature_c": 24.0}, "--suhu dan --rh: wajib"),
        (
            {"card": "suhu", "temperature_c": 24.0, "humidity_percent": 0.0},
            "--rh: 0 tidak diizinkan",
        ),
        ({"card": "genset", "condition": "rusak"}, "--kondisi: 'rusak' tidak diizinkan"),
        ({"card": "listrik", "condition": "baik"}, "--komponen: wajib"),
        ({"card": "bbm", "fuel_percent": 50.0, "at": "2099-01-01T10:00"}, "ada di masa depan"),
        ({"card": "bbm", "fuel_percent": 50.0, "at": "kemarin"}, "--at: 'kemarin' bukan tanggal"),
        ({"card": "bbm", "fuel_percent": 50.0, "request_id": 99}, "permintaan 99 tidak ada"),
    ],
)
def test_bad_input_names_its_field_and_writes_nothing(
    cards: SopEnv, wish: dict[str, object], message: str
) -> None:
    with pytest.raises(SopError, match=message):
        _record(cards, **({"place": "server-farm"} | wish))
    assert _entries(cards) == []


def test_bad_input_on_the_command_line_is_one_line_and_exit_2(cards: SopEnv) -> None:
    result = cards.sop(
        "kartu", "bbm", "--tempat", "server-farm", "--persen", "120", operator="budi"
    )

    assert result.returncode == 2, result.stdout + result.stderr
    assert "--persen: 120 tidak diizinkan; gunakan 0 sampai 100 %" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_a_paraf_holds_for_whole_numbers_typed_as_integers(cards_any_store: SopEnv) -> None:
    cards = cards_any_store
    # 80 signed as an integer read back as 80.0 from the store once broke every paraf.
    _record(cards, card="bbm", place="server-farm", fuel_percent=80)
    _record(cards, card="suhu", place="server-farm", temperature_c=22, humidity_percent=45)

    ctx = cards.ctx()
    assert [paraf(ctx, entry, "id") for entry in _entries(cards)].count("TIDAK SAH") == 0


def test_only_a_petugas_signs_a_card(cards: SopEnv) -> None:
    with pytest.raises(SopError, match="tidak memegang peran petugas"):
        _record(cards, "ahmad", card="bbm", place="server-farm", fuel_percent=60.0)
    assert _entries(cards) == []


def _pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_the_monthly_room_card_prints_with_its_graph_share_and_parafs(
    cards: SopEnv, tmp_path: Path
) -> None:
    now = datetime.now(WIB)
    month = now.strftime("%Y-%m")
    start = now.replace(day=1, hour=8, minute=0, second=0, microsecond=0)
    readings = [(0, 22.0, 45.0), (6, 24.5, 50.0), (12, 29.0, 40.0), (18, 23.0, 48.0)]
    for hours, temperature, rh in readings:
        at = min(start + timedelta(hours=hours), now - timedelta(minutes=1))
        _record(
            cards,
            "dewi",
            card="suhu",
            place="server-farm",
            temperature_c=temperature,
            humidity_percent=rh,
            at=at.strftime("%Y-%m-%dT%H:%M"),
        )
    # A row changed in the store after it was signed loses its paraf.
    with cards.ctx().session() as session:
        session.execute(text("UPDATE card_entries SET temperature_c = 25.0 WHERE id = 3"))

    printed = ok(
        cards.sop("kartu", "cetak", "--kartu", "suhu", "--tempat", "server-farm", "--bulan", month)
    )

    paths = [Path(p) for p in printed.stdout.split()]
    pdf = next(p for p in paths if p.suffix == ".pdf")
    words = _pdf_text(pdf)
    assert "Kartu Kontrol Suhu & Kelembaban Pusat Data".upper() in words.upper()
    assert "TIDAK SAH" in words  # row 3, changed after it was signed
    markdown = next(p for p in paths if p.suffix == ".md").read_text()
    assert "| Waktu di dalam standar |" in markdown and "titik embun 5,5–15 °C" in markdown
    assert words.count("dewi") >= 4
    html = next(p for p in paths if p.suffix == ".html").read_text()
    assert "data:image/png;base64," in html  # the matplotlib graph
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", str(pdf), str(tmp_path / "kartu-suhu")], check=True
    )
    assert sorted(tmp_path.glob("kartu-suhu*.png"))
    assert verify_file(cards.ctx(), pdf)


def test_a_6_4_run_report_shows_the_entries_recorded_for_it(cards: SopEnv, tmp_path: Path) -> None:
    request = new_request(cards.ctx(), "6.4", ["server-farm"], {}, "pemantauan harian", "budi")
    reading = {"card": "suhu", "place": "server-farm", "request_id": request.id}
    _record(cards, **reading, temperature_c=23.5, humidity_percent=47.0)
    with pytest.raises(SopError, match=r"milik SOP 6\.3"):
        _record(cards, card="bbm", place="server-farm", fuel_percent=50.0, request_id=request.id)

    notes = {1: "dipantau", 2: "dicatat di kartu", 3: "tidak perlu", 4: "dalam standar"}
    assert run_request(cards.ctx(), request.id, "budi", notes).status == "succeeded"

    ok(cards.sop("report", str(request.id), "--out", str(tmp_path), "--format", "md"))

    report = next(tmp_path.glob(f"laporan-6.4-{request.id}-id.md")).read_text()
    assert "Kartu kontrol yang dicatat dalam permintaan ini" in report
    assert "Suhu 23,5 °C" in report and "budi" in report
