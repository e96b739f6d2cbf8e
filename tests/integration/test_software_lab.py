"""SOP 1.3 on the lab's srv2: a software whose requirements srv2 meets is installed through
roles/software_package (BusyBox httpd from a Debian package, really answering on its port)
and written to the register with the version dpkg reports; one srv2 cannot carry (a newer
Debian, more memory, a port in use) ends *ditunda* with nothing installed."""

from __future__ import annotations

import json
import urllib.request

import pytest
from sqlalchemy import select

from sop_runner.procedures.software.models import SoftwareAnalysis, SoftwareEntry
from sop_runner.store.models import Run
from tests.support.sop import ok, run_through

pytestmark = [pytest.mark.lab, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

# What the install leaves on srv2, taken away before and after (the lab is shared).
CLEAN = "pkill -f 'busybox httpd' ; dpkg --purge busybox >/dev/null ; rm -rf /srv/busybox-httpd"


@pytest.fixture(scope="module")
def srv2_without_busybox(lab):
    """srv2 without BusyBox (as the lab brings it up), also after this module's tests."""
    lab.ssh("srv2", CLEAN, check=False)
    yield lab
    lab.ssh("srv2", CLEAN, check=False)


def _installed(lab) -> str:
    return lab.ssh(
        "srv2", "dpkg-query -W -f '${Version}' busybox 2>/dev/null", check=False
    ).stdout.strip()


def _request(lab_env, software: str) -> str:
    request = ok(
        lab_env.sop(
            "request", "1.3", "--target", "srv2", "--param", f"software={software}",
            "--reason", "instalasi aplikasi", "--quiet", operator="budi",
        )
    ).stdout.strip()  # fmt: skip
    ok(lab_env.sop("approve", request, operator="sari"))
    return request


def test_an_environment_srv2_lacks_postpones_and_installs_nothing(srv2_without_busybox, lab_env):
    request = _request(lab_env, "aplikasi-besar")
    result = run_through(
        lab_env.sop, request, "--confirm", "2=kebutuhan dari vendor", "--confirm", "4=dilaporkan"
    )
    ok(result)
    with lab_env.ctx().session() as session:
        run = session.scalars(select(Run).where(Run.request_id == int(request))).one()
        [analysis] = session.scalars(select(SoftwareAnalysis)).all()
        unmet = sorted(r["check"] for r in analysis.results if not r["ok"])
        facts = analysis.facts
    assert run.status == "postponed"
    # srv2's real facts: Debian 12, less than 4 TiB of memory, its web server on 8081.
    assert unmet == ["os", "port_free:8081", "ram_mb"]
    assert facts["os_id"] == "debian" and 8081 in facts["listening_ports"]
    assert _installed(srv2_without_busybox) == ""
    with lab_env.ctx().session() as session:
        assert session.scalars(select(SoftwareEntry)).all() == []


def test_an_environment_srv2_has_installs_and_registers(srv2_without_busybox, lab_env):
    lab = srv2_without_busybox
    request = _request(lab_env, "busybox-httpd")
    result = run_through(
        lab_env.sop, request, "--confirm", "2=kebutuhan dicek", "--confirm", "8=dilaporkan"
    )
    ok(result)
    version = _installed(lab)
    assert version  # dpkg on srv2 has it now
    page = urllib.request.urlopen(f"http://{lab.address('srv2')}:8090/", timeout=5).read()
    assert b"Pusat Data Kabupaten Tegal" in page
    [entry] = json.loads(ok(lab_env.sop("software", "list", "--json")).stdout)["software"]
    assert (entry["name"], entry["host"], entry["version"]) == ("busybox-httpd", "srv2", version)
    assert entry["installed_by"] == "budi" and entry["source_code_handed_over"]
    assert not entry["vendor_remote"] and entry["request"] == int(request)
