"""Monitoring on the lab (issue 20, SOP 6.1 and 6.2): node_exporter inside every lab
host, the lab's Prometheus scraping them with the configuration the set-up playbook
generated from the lab's inventory, and `sop monitoring` reading it."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from sop_runner.procedures.monitoring import prom
from tests.support.lab import Lab
from tests.support.sop import run_sop

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
