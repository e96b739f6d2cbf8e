"""Monitoring on the lab (issue 20, SOP 6.1 and 6.2): node_exporter inside every lab
host, the lab's Prometheus scraping them with the configuration the set-up playbook
generated from the lab's inventory, and `sop monitoring` reading it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from sop_runner.procedures.monitoring import prom
from sop_runner.store.models import AuditEntry
from tests.support.lab import LAB_INVENTORY_DIR, Lab, LabEnv
from tests.support.smtp import SmtpSink, smtp_sink
from tests.support.sop import SopEnv, ok, run_sop

pytestmark = pytest.mark.lab

LAB_HOSTS = {"gw", "srv1", "srv2", "backup", "rtr1"}


def test_the_labs_prometheus_scrapes_every_hosts_exporter(lab: Lab):
    monitoring = lab.state.monitoring
    url = str(monitoring["url"])
    config = Path(str(monitoring["config"])).read_text()
    assert "generated from the inventory" in config  # by the set-up playbook, not by hand
    deadline = time.monotonic() + 30
    while True:
        found = prom.targets(url)
        health = {t["labels"]["host"]: t["health"] for t in found}
        if set(health) == LAB_HOSTS and set(health.values()) == {"up"}:
            break
        assert time.monotonic() < deadline, found
        time.sleep(1)
    roles = {t["labels"]["host"]: t["labels"]["role"] for t in found}
    assert roles["gw"] == "firewalls" and roles["rtr1"] == "network_devices"
    result = run_sop("monitoring", "targets", "--prometheus", url, "--json")
    assert result.returncode == 0 and len(json.loads(result.stdout)) == len(LAB_HOSTS)
    # What the monitoring adds to the lab's up once its hosts are ready (measured).
    print(f"monitoring start-up: {monitoring['seconds']} s of up {lab.state.up_seconds} s")
    assert float(str(monitoring["seconds"])) < 5


@pytest.fixture
def sop_env(sqlite_sop_env: SopEnv) -> SopEnv:
    """This module's lab tests use one store (SQLite): the stores are tested elsewhere."""
    return sqlite_sop_env


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with smtp_sink() as running:
        yield running


def _inventory_with_mail(tmp_path: Path, sink: SmtpSink) -> Path:
    """Given a test folder and the SMTP sink, return a copy of the lab's inventory whose
    site.yml sends every notice to the sink."""
    inventory = tmp_path / "lab-inventory"
    shutil.copytree(LAB_INVENTORY_DIR, inventory)
    (inventory / "site.yml").write_text(json.dumps({"notify": [{"url": sink.url()}]}))
    return inventory


def _scan(env: LabEnv) -> int:
    """Given the installation, request and run a 6.2 scan of srv1 and gw; return the run's
    request id."""
    result = ok(
        env.sop("request", "6.2", "--target", "srv1", "--target", "gw",
                "--reason", "pemantauan jaringan berkala", "--quiet", operator="budi")
    )  # fmt: skip
    request_id = result.stdout.strip()
    ok(
        env.sop("run", request_id, "--confirm", "2=analisis", "--confirm", "3=laporan",
                "--confirm", "4=dilaporkan ke tim insiden", operator="budi")
    )  # fmt: skip
    return int(request_id)


def _incidents(env: LabEnv) -> list[dict]:
    return json.loads(ok(env.sop("monitoring", "incidents", "--json")).stdout)


def test_a_port_opened_on_srv1_without_grant_or_service_opens_an_incident_and_a_mail(
    lab_env: LabEnv, lab: Lab, sink: SmtpSink, tmp_path: Path
):
    lab_env.use_inventory(_inventory_with_mail(tmp_path, sink))
    pid = str(lab.state.hosts["srv1"]["init_pid"])
    listener = subprocess.Popen(
        ["nsenter", "-t", pid, "-a", "-r", "-w", "python3", "-m", "http.server", "8765"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 10
        while "8765" not in lab.ssh("srv1", "ss -H -ltn").stdout:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        _scan(lab_env)
    finally:
        _end(listener)
    found = _incidents(lab_env)
    # Only the port nothing explains: srv1's services (8080, 3306, 5432), sshd, the
    # exporter and gw's set-based grant rule are all explained.
    assert [(i["host"], i["kind"], i["evidence"]["port"]) for i in found] == [
        ("srv1", "port_unexplained", 8765)
    ], found
    assert found[0]["severity"] == "critical" and found[0]["status"] == "open"
    (mail,) = sink.wait(1)
    assert "8765" in mail["Subject"] and "srv1" in mail["Subject"]

    # The incident response team closes it: a signed action, in the register and the trail.
    ok(lab_env.sop("monitoring", "incident-close", str(found[0]["id"]),
                   "--note", "proses uji dihentikan", operator="budi"))  # fmt: skip
    (closed,) = _incidents(lab_env)
    assert (closed["status"], closed["closed_by"]) == ("closed", "budi")
    with lab_env.ctx().session() as session:
        entries = [json.loads(e.content) for e in session.scalars(select(AuditEntry))]
    actions = [e["action"] for e in entries]
    assert "incident.opened" in actions and "notice.sent" in actions
    assert next(e for e in entries if e["action"] == "incident.closed")["signed"]


def test_a_firewall_rule_added_outside_sop_opens_an_incident(
    lab_env: LabEnv, lab: Lab, sink: SmtpSink, tmp_path: Path
):
    lab_env.use_inventory(_inventory_with_mail(tmp_path, sink))
    _scan(lab_env)  # the ruleset as it is now: the first scan knows no earlier one
    assert _incidents(lab_env) == []
    rule = "inet sop forward tcp dport 4444 accept comment sop-uji-6.2"
    lab.ssh("gw", f"nft add rule {rule}")
    try:
        _scan(lab_env)
    finally:
        handle = lab.ssh("gw", "nft -a list chain inet sop forward | grep sop-uji-6.2").stdout
        lab.ssh("gw", f"nft delete rule inet sop forward handle {handle.split()[-1]}")
    kinds = sorted((i["host"], i["kind"]) for i in _incidents(lab_env))
    assert kinds == [("gw", "firewall_accepts"), ("gw", "ruleset_changed")], kinds
    assert len(sink.wait(2)) == 2


def test_a_burst_between_two_lab_hosts_shows_on_the_firewalls_graph(
    lab_env: LabEnv, lab: Lab, tmp_path: Path
):
    url = str(lab.state.monitoring["url"])
    gw_pid, srv1_pid = (str(lab.state.hosts[h]["init_pid"]) for h in ("gw", "srv1"))
    began = time.time() - 60
    receiver = subprocess.Popen(
        ["nsenter", "-t", gw_pid, "-a", "-r", "-w", "sh", "-c", "nc -l 9999 >/dev/null"],
        start_new_session=True,
    )
    try:
        time.sleep(0.3)
        subprocess.run(
            ["nsenter", "-t", srv1_pid, "-a", "-r", "-w", "sh", "-c",
             f"head -c 300000000 /dev/zero | nc -q0 {lab.address('gw')} 9999"],
            check=True, timeout=60,
        )  # fmt: skip
    finally:
        _end(receiver)
    # The report has a point every 5 s and the lab scrapes every 2 s: a point after the
    # burst then holds a scrape after it.
    time.sleep(8)
    result = ok(
        lab_env.sop("monitoring", "network", "--from", _iso(began), "--to", _iso(time.time()),
                    "--prometheus", url, "--out", str(tmp_path), operator="budi")
    )  # fmt: skip
    markdown = next(Path(p) for p in result.stdout.split() if p.endswith(".md")).read_text()
    row = next(line for line in markdown.splitlines() if line.startswith("| gw | eth0 |"))
    peak_rx = row.split("|")[3].split(" / ")[1].strip()
    assert peak_rx.endswith("MB/s") and float(peak_rx.split()[0]) >= 1.0, row
    rtr1 = next(line for line in markdown.splitlines() if line.startswith("| rtr1 | eth0 |"))
    assert "MB/s" not in rtr1.split("|")[3]  # the router saw none of it
    pdf = next(Path(p) for p in result.stdout.split() if p.endswith(".pdf"))
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(tmp_path / "net")], check=True)


def _end(proc: subprocess.Popen) -> None:
    """Given a process started through nsenter in a session of its own, end it and what it
    forked inside the host (nsenter forks into the host's PID namespace and waits)."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds")
