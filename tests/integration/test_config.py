"""SOP 3.1 against the lab: nginx and sysctl on srv1 and the plan, through `sop`.

Desired configuration is a copy of inventory/lab with changed host_vars (what a
pull request would change); SOP_INVENTORY points at it.  The router (rtr1, FRR,
both drivers, commit-confirm under kills) is in test_config_network.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from ansible.module_utils import sop_icmp
from sqlalchemy import select

from sop_runner.procedures.config.models import ConfigDocument, ConfigLogEntry
from sop_runner.store.models import Request, Run, StepRecord
from tests.support.config_lab import CONFIRM, desired
from tests.support.config_lab import config_log as _log
from tests.support.config_lab import ok as _ok
from tests.support.config_lab import request_change as _request
from tests.support.config_lab import running as _running
from tests.support.sop import point_inventory, run_through

pytestmark = [pytest.mark.lab, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

NGINX_SHA = "sha256sum /etc/nginx/nginx.conf | cut -d' ' -f1"


def _approve(env: Any, request_id: int) -> None:
    """srv1 carries critical services: the penanggung jawab and Pimpinan both sign."""
    _ok(env.sop("approve", str(request_id), operator="sari"))
    _ok(env.sop("approve", str(request_id), operator="ahmad"))


def test_plan_renders_per_device_diff_and_changes_nothing(sop_env, lab, tmp_path, monkeypatch):
    inventory = desired(tmp_path, "pr", "srv1", web_config_keepalive_timeout=30)
    inventory = desired(
        tmp_path,
        "pr2",
        "rtr1",
        frr_config_interfaces=[
            {"name": "eth0", "description": "management (sop-lab bridge)"},
            {"name": "eth1", "description": "transit to gw - PR 7"},
        ],
    )
    shutil.copy(tmp_path / "pr/host_vars/srv1.yml", inventory / "host_vars/srv1.yml")
    point_inventory(str(inventory))
    sha = lab.ssh("srv1", f"{NGINX_SHA}").stdout
    running = _running(lab)
    out_file = tmp_path / "plan.md"
    result = _ok(
        sop_env.sop("plan", "--target", "srv1", "--target", "rtr1", "--out", str(out_file))
    )
    text = out_file.read_text()
    assert text == result.stdout
    assert "### `srv1`" in text and "### `rtr1`" in text
    assert "+    keepalive_timeout 30;" in text
    assert "+ description transit to gw - PR 7" in text
    assert "- description transit to gw" in text
    assert lab.ssh("srv1", f"{NGINX_SHA}").stdout == sha, "plan changed srv1"
    assert _running(lab) == running, "plan changed rtr1"
    # A render error (an undefined variable in the desired config) fails the plan.
    broken = desired(tmp_path, "broken", "srv1", web_config_root="{{ no_such_variable }}")
    point_inventory(str(broken))
    failed = sop_env.sop("plan", "--target", "srv1", "--lang", "en")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "FAILED to render" in failed.stdout and "no_such_variable" in failed.stdout


def test_server_change_passes_is_logged_and_second_run_changes_nothing(
    sop_env, lab, tmp_path, monkeypatch
):
    inventory = desired(tmp_path, "pr", "srv1", web_config_keepalive_timeout=30)
    point_inventory(str(inventory))
    first = _request(sop_env, "srv1", "pr-11")
    _approve(sop_env, first)
    _ok(run_through(sop_env.sop, str(first), *CONFIRM))
    conf = lab.ssh("srv1", "cat /etc/nginx/nginx.conf").stdout
    assert "keepalive_timeout 30;" in conf and "listen 8090;" in conf
    assert lab.ssh("srv1", "pgrep -x nginx", check=False).returncode == 0
    log = _log(sop_env)
    assert [e.device for e in log] == ["srv1"]
    assert "+    keepalive_timeout 30;" in log[0].substance and "test passed" in log[0].notes
    with sop_env.ctx().session() as session:
        doc = session.scalars(select(ConfigDocument)).one()
        assert doc.purpose.startswith("perubahan konfigurasi srv1")
        assert any("nginx -t" in s for s in doc.steps) and doc.result["status"] == "passed"
    paths = _ok(sop_env.sop("config", "docs", str(first))).stdout.split()
    documentation, report = (Path(p).read_text() for p in paths if p.endswith(".md"))
    assert "## Tujuan konfigurasi" in documentation and "keepalive_timeout 30" in documentation
    assert "Kondisi eksisting" in documentation
    assert "# Laporan Hasil Konfigurasi" in report and "| srv1 |" in report
    english = _ok(sop_env.sop("config", "docs", str(first), "--lang", "en")).stdout.split()
    assert "## Purpose of the configuration" in Path(english[0]).read_text()
    _ok(sop_env.sop("report", str(first)))
    # The same desired configuration again: nothing changes, nothing is logged.
    second = _request(sop_env, "srv1", "pr-11")
    _approve(sop_env, second)
    _ok(run_through(sop_env.sop, str(second), *CONFIRM))
    assert lab.ssh("srv1", "cat /etc/nginx/nginx.conf").stdout == conf
    assert len(_log(sop_env)) == 1


def test_an_edit_of_the_desired_configuration_after_approval_is_refused(
    sop_env, lab, tmp_path, monkeypatch
):
    inventory = desired(tmp_path, "pr", "srv1", web_config_keepalive_timeout=31)
    point_inventory(str(inventory))
    sha = lab.ssh("srv1", NGINX_SHA).stdout
    request_id = _request(sop_env, "srv1", "pr-61")
    _approve(sop_env, request_id)
    # After the approval someone changes the values the approvers reviewed.
    values = inventory / "host_vars" / "srv1.yml"
    edited = values.read_text().replace("keepalive_timeout: 31", "keepalive_timeout: 5")
    assert edited != values.read_text()
    values.write_text(edited)
    refused = run_through(sop_env.sop, str(request_id), *CONFIRM)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert lab.ssh("srv1", NGINX_SHA).stdout == sha, "nginx.conf changed under a stale approval"
    assert _log(sop_env) == []
    with sop_env.ctx().session() as session:
        run = session.scalars(select(Run).where(Run.request_id == request_id)).one()
        assert "config_digest" in (run.error or ""), run.error


def test_server_change_that_breaks_the_service_is_rolled_back(sop_env, lab, tmp_path, monkeypatch):
    good = desired(tmp_path, "good", "srv1", web_config_keepalive_timeout=30)
    point_inventory(str(good))
    setup = _request(sop_env, "srv1", "pr-11")
    _approve(sop_env, setup)
    _ok(run_through(sop_env.sop, str(setup), *CONFIRM))
    sha = lab.ssh("srv1", NGINX_SHA).stdout
    pid = lab.ssh("srv1", "cat /run/nginx.pid").stdout
    logged = len(_log(sop_env))
    # Passes nginx -t, but the site no longer answers 200: the test must fail.
    broken = desired(tmp_path, "broken", "srv1", web_config_root="/srv/no-such-site")
    point_inventory(str(broken))
    request_id = _request(sop_env, "srv1", "pr-12")
    _approve(sop_env, request_id)
    failed = run_through(sop_env.sop, str(request_id), *CONFIRM)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert lab.ssh("srv1", NGINX_SHA).stdout == sha, "nginx.conf not restored"
    assert lab.ssh("srv1", "cat /run/nginx.pid").stdout == pid, "nginx not the same master"
    answer = lab.ssh(
        "srv1",
        'python3 -c "import urllib.request as u; '
        "print(u.urlopen('http://127.0.0.1:8090/').status)\"",
    ).stdout
    assert answer.strip() == "200"
    assert "no-such-site" not in lab.ssh("srv1", "cat /etc/nginx/nginx.conf").stdout
    assert len(_log(sop_env)) == logged, "a failed change was logged"
    # "Jika konfigurasi gagal, maka konfigurasi tersebut dibatalkan": the run ends
    # dibatalkan with the failure as its reason, steps 5-8 "tidak berlaku" (issue 16).
    _assert_cancelled(sop_env, request_id, "post-change test failed")
    paths = _ok(sop_env.sop("config", "docs", str(request_id))).stdout.split()
    report = Path(paths[1]).read_text()
    assert "**dibatalkan**" in report and "post-change test failed on srv1" in report, report


def _assert_cancelled(env: Any, request_id: int, because: str) -> str:
    """Given a 3.1 request whose change failed its test, check its run and request were
    closed "dibatalkan" at step 4 with the failure as the reason; return that reason."""
    with env.ctx().session() as session:
        run = session.scalars(select(Run).where(Run.request_id == request_id)).one()
        steps = {
            r.step_number: r.status
            for r in session.scalars(select(StepRecord).where(StepRecord.run_id == run.id))
        }
        request = session.get(Request, request_id)
        assert request is not None
        assert (run.status, request.status) == ("cancelled", "cancelled"), run.error
        assert (request.closed or {}).get("reason") == run.error
        error = run.error or ""
    assert error.startswith("dibatalkan pada langkah 4: ") and because in error, error
    assert steps == {4: "failed", 5: "not_applicable", 6: "not_applicable",
                     7: "not_applicable", 8: "not_applicable"} | {
        n: s for n, s in steps.items() if n < 4
    }, steps  # fmt: skip
    return error


# -- kernel parameters (roles/sysctl_config) on srv1 -------------------------------------

SYSCTL_FILE = "/etc/sysctl.d/60-sop-pusatdata.conf"
SYSCTL_NAMES = ("net.ipv4.tcp_fin_timeout", "net.ipv4.icmp_echo_ignore_all")


def _sysctl(lab: Any) -> dict[str, str]:
    """Given the lab, return srv1's runtime values of SYSCTL_NAMES and its file's sha."""
    paths = " ".join("/proc/sys/" + name.replace(".", "/") for name in SYSCTL_NAMES)
    out = lab.ssh("srv1", f"cat {paths}; sha256sum {SYSCTL_FILE} | cut -d' ' -f1").stdout
    *values, sha = out.split()
    return {**dict(zip(SYSCTL_NAMES, values, strict=True)), "sha": sha}


def _sysctl_entries(env: Any) -> list[ConfigLogEntry]:
    return [e for e in _log(env) if SYSCTL_FILE in e.substance]


def _answers_ping(lab: Any) -> bool:
    """Given the lab, return whether srv1 answers ICMP echo from the controller."""
    pinged = sop_icmp.ping(lab.address("srv1"), count=2, timeout=1.0)  # as icmp_ping does
    assert pinged is not None, "the test runs as root: a raw ICMP socket is allowed"
    return pinged[1] is not None


@pytest.fixture
def sysctl_clean(lab: Any) -> Any:
    """srv1's kernel parameters and sysctl file as the lab made them, before and after."""
    from sop_runner.lab.hosts import SRV1_SYSCTL_TEXT

    assert lab.ssh("srv1", f"cat {SYSCTL_FILE}").stdout == SRV1_SYSCTL_TEXT
    before = _sysctl(lab)
    assert (before["net.ipv4.tcp_fin_timeout"], before["net.ipv4.icmp_echo_ignore_all"]) == (
        "60",
        "0",
    )
    yield before
    text = SRV1_SYSCTL_TEXT.replace("'", "'\\''")
    lab.ssh(
        "srv1",
        f"printf '%s' '{text}' > {SYSCTL_FILE}; rm -f {SYSCTL_FILE}.*~; "
        "sysctl -qw net.ipv4.tcp_fin_timeout=60 net.ipv4.icmp_echo_ignore_all=0",
    )
    assert _sysctl(lab) == before


def test_sysctl_change_is_planned_passes_is_logged_and_second_run_changes_nothing(
    sop_env, lab, tmp_path, monkeypatch, sysctl_clean
):
    before = sysctl_clean
    inventory = desired(
        tmp_path, "pr", "srv1", sysctl_config_values={"net.ipv4.tcp_fin_timeout": 30}
    )
    point_inventory(str(inventory))
    # The plan (check mode) predicts the file and runtime change, and changes nothing.
    plan = _ok(sop_env.sop("plan", "--target", "srv1", "--lang", "en")).stdout
    assert "| `srv1` | server | **will change**" in plan
    assert f"--- {SYSCTL_FILE}, /proc/sys (before)" in plan
    assert "-net.ipv4.tcp_fin_timeout = 60\n+net.ipv4.tcp_fin_timeout = 30" in plan
    assert _sysctl(lab) == before, "plan changed srv1"
    logged = len(_sysctl_entries(sop_env))
    first = _request(sop_env, "srv1", "pr-61")
    _approve(sop_env, first)
    _ok(run_through(sop_env.sop, str(first), *CONFIRM))
    after = _sysctl(lab)
    assert after["net.ipv4.tcp_fin_timeout"] == "30", "the runtime value did not change"
    assert after["net.ipv4.icmp_echo_ignore_all"] == "0" and after["sha"] != before["sha"]
    assert "net.ipv4.tcp_fin_timeout = 30\n" in lab.ssh("srv1", f"cat {SYSCTL_FILE}").stdout
    entries = _sysctl_entries(sop_env)
    assert len(entries) == logged + 1 and entries[-1].device == "srv1"
    substance = entries[-1].substance
    # The file's line and the kernel's value, both from 60 to 30.
    assert substance.count("-net.ipv4.tcp_fin_timeout = 60\n") == 2, substance
    assert substance.count("+net.ipv4.tcp_fin_timeout = 30\n") == 2, substance
    assert "test passed" in entries[-1].notes and '"ping":true' in entries[-1].notes
    with sop_env.ctx().session() as session:
        doc = session.scalars(
            select(ConfigDocument).where(ConfigDocument.log_id == entries[-1].id)
        ).one()
        assert "net.ipv4.tcp_fin_timeout = 60" in doc.existing_state
        assert "applied with sysctl -p" in doc.steps and doc.result["status"] == "passed"
    # The same desired configuration again: nothing changes, nothing is logged.
    second = _request(sop_env, "srv1", "pr-61")
    _approve(sop_env, second)
    _ok(run_through(sop_env.sop, str(second), *CONFIRM))
    assert _sysctl(lab) == after
    assert len(_sysctl_entries(sop_env)) == logged + 1
    # A value changed by hand on the host (the file as desired): set again, and logged.
    lab.ssh("srv1", "sysctl -qw net.ipv4.tcp_fin_timeout=45")
    third = _request(sop_env, "srv1", "pr-61")
    _approve(sop_env, third)
    _ok(run_through(sop_env.sop, str(third), *CONFIRM))
    assert _sysctl(lab) == after
    entries = _sysctl_entries(sop_env)
    assert len(entries) == logged + 2
    assert "-net.ipv4.tcp_fin_timeout = 45\n+net.ipv4.tcp_fin_timeout = 30\n" in (
        entries[-1].substance
    )


def test_sysctl_change_that_breaks_ping_is_rolled_back(
    sop_env, lab, tmp_path, monkeypatch, sysctl_clean
):
    before = sysctl_clean
    logged = len(_log(sop_env))
    breaking = desired(
        tmp_path,
        "breaking",
        "srv1",
        sysctl_config_values={
            "net.ipv4.tcp_fin_timeout": 45,
            "net.ipv4.icmp_echo_ignore_all": 1,  # srv1 stops answering ping
        },
    )
    point_inventory(str(breaking))
    request_id = _request(sop_env, "srv1", "pr-62")
    _approve(sop_env, request_id)
    failed = run_through(sop_env.sop, str(request_id), *CONFIRM)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert _sysctl(lab) == before, "file or runtime values not restored"
    assert _answers_ping(lab), "srv1 does not answer ping after the rollback"
    assert len(_log(sop_env)) == logged, "a failed change was logged"
    error = _assert_cancelled(sop_env, request_id, "post-change test failed on srv1")
    assert f"ping of {lab.address('srv1')} from the controller got no answer" in error, error
    assert f"rolled back: {SYSCTL_FILE} equals the file before" in error, error
    assert "runtime values equal those before" in error, error
    assert "net.ipv4.icmp_echo_ignore_all = 0" in error, error


def test_two_devices_the_passed_one_is_logged_the_failed_one_rolled_back(
    sop_env, lab, tmp_path, monkeypatch, sysctl_clean
):
    """Issue 16: in a run over several devices, a device whose change passed its test is
    logged even when another failed; the failed one is rolled back; the report says
    which is which.  The second device is the backup host, made a server of this
    desired configuration only, whose change stops it answering ping."""
    logged = len(_log(sop_env))
    inventory = desired(
        tmp_path, "two", "srv1", sysctl_config_values={"net.ipv4.tcp_fin_timeout": 30}
    )
    hosts_file = inventory / "hosts.yml"
    hosts_file.write_text(
        hosts_file.read_text().replace(
            "        srv2:\n",
            "        backup:\n          ansible_host: 10.77.1.13\n        srv2:\n",
        )
    )
    (inventory / "host_vars" / "backup.yml").write_text(
        "sysctl_config_managed: true\nsysctl_config_values:\n  net.ipv4.icmp_echo_ignore_all: 1\n"
    )
    point_inventory(str(inventory))
    ignore_all = "cat /proc/sys/net/ipv4/icmp_echo_ignore_all"
    try:
        assert lab.ssh("backup", ignore_all).stdout.strip() == "0"
        out = _ok(
            sop_env.sop(
                "request", "3.1", "--target", "srv1", "--target", "backup",
                "--param", "config_ref=pr-71", "--reason", "dua perangkat, satu gagal",
                operator="budi",
            )
        ).stdout  # fmt: skip
        request_id = int(out.split()[1])
        _approve(sop_env, request_id)
        failed = run_through(sop_env.sop, str(request_id), *CONFIRM)
        assert failed.returncode == 1, failed.stdout + failed.stderr
        # srv1 passed: changed and logged.
        assert _sysctl(lab)["net.ipv4.tcp_fin_timeout"] == "30"
        log = _log(sop_env)[logged:]
        assert [e.device for e in log] == ["srv1"], [(e.device, e.notes) for e in log]
        assert "+net.ipv4.tcp_fin_timeout = 30" in log[0].substance
        # backup failed: rolled back (runtime value and no file), answers ping, not logged.
        assert lab.ssh("backup", ignore_all).stdout.strip() == "0"
        assert lab.ssh("backup", f"test -e {SYSCTL_FILE}", check=False).returncode == 1
        assert sop_icmp.ping(lab.address("backup"), count=2, timeout=1.0)[1] is not None
        with sop_env.ctx().session() as session:
            docs = {
                d.device: d.result
                for d in session.scalars(
                    select(ConfigDocument).join(Run).where(Run.request_id == request_id)
                )
            }
        assert docs["srv1"]["status"] == "passed"
        assert docs["backup"]["status"] == "rolled_back", docs
        assert all(docs["backup"]["verified"].values()), docs["backup"]
        assert "post-change test failed on backup" in docs["backup"]["error"]
        paths = _ok(sop_env.sop("config", "docs", str(request_id))).stdout.split()
        report = Path(paths[1]).read_text()
        assert "| srv1 | lulus uji coba, dicatat pada daftar log konfigurasi |" in report
        assert "| backup | gagal uji coba: dibatalkan dan dikembalikan" in report
    finally:
        lab.ssh(
            "backup",
            f"sysctl -qw net.ipv4.icmp_echo_ignore_all=0; rm -f {SYSCTL_FILE} {SYSCTL_FILE}.*~",
        )
