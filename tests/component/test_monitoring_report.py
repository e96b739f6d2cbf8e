"""SOP 6.1's periodic report over a month of history in a real Prometheus (issue 20).

The history (1-minute samples, 30 days) is backfilled with promtool into a data
folder of this module's own; `sop monitoring report` reads it through Prometheus's
HTTP API and issues the report as an official document with graphs per host, the
disk's trend and the day it is full at that trend, and the problems with their
recommendations."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sop_runner.documents import dates
from sop_runner.procedures.monitoring.backfill import GIB, HostHistory
from tests.support.prometheus import RunningPrometheus, prometheus_with_history
from tests.support.sop import ok
from tests.support.systemd import environment_file, run_as_systemd, systemd_words, unit_fields

DAYS = 30
# srv1's disk: 70 GiB free at the start, 2 GiB more used every day: full 35 days after
# the start, 5 days after the end of the month; srv2's disk does not fill.
SRV1 = HostHistory("srv1", disk_free_at_start=70 * GIB, disk_fill_per_day=2 * GIB)
SRV2 = HostHistory("srv2", disk_fill_per_day=0.0, cpu_busy_share=0.9)
# The firewall: the same day every day, but one hour two days before the end carries
# 40 MB/s more than the same hour of the three weeks before.
SPIKE_BEFORE_END = 2 * 86400


def _gw(end: int) -> HostHistory:
    return HostHistory("gw", role="firewalls", spikes=((end - SPIKE_BEFORE_END, 4e7),))


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningPrometheus, int]]:
    """Yield a Prometheus with 30 days of srv1's, srv2's and gw's history, and its start."""
    end = int(time.time()) // 3600 * 3600 - 3 * 3600
    start = end - DAYS * 86400
    folder = tmp_path_factory.mktemp("prometheus")
    with prometheus_with_history(folder, [SRV1, SRV2, _gw(end)], start, end) as running:
        yield running, start


def _iso(moment: int) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="minutes")


def test_the_monthly_report_has_graphs_per_host_and_the_disk_full_forecast(
    month, sqlite_sop_env, tmp_path: Path
):
    running, start = month
    end = start + DAYS * 86400
    result = sqlite_sop_env.sop(
        "monitoring", "report", "--from", _iso(start), "--to", _iso(end),
        "--host", "srv1", "--host", "srv2",
        "--prometheus", running.url, "--out", str(tmp_path), operator="budi",
    )  # fmt: skip
    ok(result)
    paths = [Path(p) for p in result.stdout.split()]
    markdown = next(p for p in paths if p.suffix == ".md").read_text()
    pdf = next(p for p in paths if p.suffix == ".pdf")

    # The forecast: the fitted line of srv1's free space reaches zero 35 days after the start.
    full = datetime.fromtimestamp(start, UTC) + timedelta(days=35)
    expected = dates.long_date(full, "Asia/Jakarta")
    srv1_row = next(line for line in markdown.splitlines() if line.startswith("| srv1 |"))
    assert expected in srv1_row, srv1_row
    assert "+2.00 poin %/hari" in srv1_row  # 2 GiB of 100 GiB a day
    srv2_row = next(line for line in markdown.splitlines() if line.startswith("| srv2 |"))
    assert "tidak bertambah" in srv2_row
    assert "| gw |" not in markdown  # only the hosts asked for
    # Problems with their recommendations: srv1's disk, srv2's CPU (90 % busy).
    assert f"disk / diperkirakan penuh pada {expected}" in markdown
    assert "beban CPU mencapai 90 %" in markdown
    assert "Rekomendasi" in markdown and "Petugas Pusat Data" in markdown

    # Graphs per host in the PDF: CPU, RAM, disk, network for each of the two hosts.
    images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True)
    graphs = [line for line in images.stdout.splitlines()[2:] if " image " in line]
    assert len(graphs) >= 8, images.stdout
    # The document is the core's: `sop verify` knows it.
    ok(sqlite_sop_env.sop("verify", str(pdf)))
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(tmp_path / "page")], check=True)


def test_the_network_report_graphs_the_firewall_and_flags_the_injected_anomaly(
    month, sqlite_sop_env, tmp_path
):
    running, start = month
    end = start + DAYS * 86400
    result = sqlite_sop_env.sop(
        "monitoring", "network", "--period", "weekly", "--to", _iso(end),
        "--prometheus", running.url, "--out", str(tmp_path), operator="budi",
    )  # fmt: skip
    ok(result)
    flagged = [line for line in result.stderr.splitlines() if line.startswith("anomali gw eth0 rx")]
    spike = end - SPIKE_BEFORE_END
    # The hour of the burst (its hourly mean ends an hour after it starts), and at most the
    # hour before, whose window holds the burst's first sample; nothing else in the week.
    assert any(_iso(spike + 3600) in line for line in flagged), result.stderr
    assert all(_iso(spike) in line or _iso(spike + 3600) in line for line in flagged), flagged
    markdown = next(Path(p) for p in result.stdout.split() if p.endswith(".md")).read_text()
    assert "| gw | eth0 |" in markdown and "| srv1 |" not in markdown
    pdf = next(Path(p) for p in result.stdout.split() if p.endswith(".pdf"))
    images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True)
    assert len([x for x in images.stdout.splitlines()[2:] if " image " in x]) >= 1
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(tmp_path / "net")], check=True)


BAD = [
    (["--period", "yearly"], "--period"),
    (["--from", "kemarin"], "--from"),
    (["--period", "weekly", "--host", "srv1;rm"], "--host"),
    (["--period", "weekly", "--prometheus", "file:///etc/passwd"], "--prometheus"),
    (["--period", "weekly", "--prometheus", "http://127.0.0.1:9"], "prometheus"),
    (["--period", "weekly", "--format", "pdf"], "--format"),
]


def test_the_weekly_report_runs_as_its_installed_timer_would(month, sqlite_sop_env, tmp_path):
    """`sop monitoring schedule --install` writes timers whose command, run as systemd runs
    it (only the EnvironmentFile's settings, systemd's PATH), issues the weekly report."""
    running, _start = month
    units = tmp_path / "units"
    ok(
        sqlite_sop_env.sop(
            "monitoring", "schedule", "--install", "--dest", str(units),
            "--prometheus", running.url, "--as", "budi",
        )
    )  # fmt: skip
    assert {p.name for p in units.iterdir()} >= {
        "sop-monitoring-61-weekly.timer",
        "sop-monitoring-61-monthly.timer",
        "sop-monitoring-62-weekly.timer",
    }
    service = units / "sop-monitoring-61-weekly.service"
    fields = unit_fields(service)
    settings = environment_file(Path(fields["EnvironmentFile"]))
    assert settings["SOP_PROMETHEUS_URL"] == running.url
    argv = systemd_words(fields["ExecStart"])
    assert Path(argv[2].split()[0]).is_absolute()  # the installed sop, not one on a PATH
    done = run_as_systemd(service, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    pdfs = [Path(p) for p in done.stdout.split() if p.endswith(".pdf")]
    assert pdfs and pdfs[0].exists(), done.stdout
    ok(sqlite_sop_env.sop("verify", str(pdfs[0])))


def test_bad_input_is_one_line_naming_it_exit_2_and_nothing_written(sqlite_sop_env, tmp_path):
    out = tmp_path / "out"
    for args, names in BAD:
        result = sqlite_sop_env.sop("monitoring", "report", *args, "--out", str(out),
                                    operator="budi")  # fmt: skip
        assert result.returncode == 2, (args, result.stdout + result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and names in lines[0], (args, result.stderr)
        assert "Traceback" not in result.stderr
        assert not out.exists()
