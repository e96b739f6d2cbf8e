"""The lab is real: SSH, Ansible, hostnames, own files, databases, firewall, SFTP, disks."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from sop_runner.lab import disks as lab_disks
from sop_runner.lab import plan
from sop_runner.lab.databases import tcp_ready

pytestmark = pytest.mark.lab

HOSTS = ["gw", "srv1", "srv2", "backup", "rtr1"]


def _run(*cmd: str, timeout: float = 60, **options: Any) -> subprocess.CompletedProcess[str]:
    """Given a command (and input=, env=), return its finished run, output as text."""
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, check=False, **options
    )


def _out(*cmd: str) -> str:
    """Given a command that must succeed, return what it printed."""
    cp = _run(*cmd)
    assert cp.returncode == 0, f"{cmd}: {cp.stderr}"
    return cp.stdout


def _tcp_from_netns(netns: str, address: str, port: int, timeout: float = 1.0) -> bool:
    """Given a namespace and a target, return whether a TCP connection from there succeeds."""
    code = (
        "import socket,sys\n"
        f"s=socket.socket(); s.settimeout({timeout})\n"
        f"sys.exit(0 if s.connect_ex(('{address}', {port})) == 0 else 1)\n"
    )
    cp = _run("ip", "netns", "exec", netns, "python3", "-c", code, timeout=timeout + 10)
    return cp.returncode == 0


def test_ansible_reaches_every_host_over_ssh(lab):
    results = lab.ansible("all", "ping")
    assert sorted(results) == sorted(HOSTS)
    for host, res in results.items():
        assert res.get("ping") == "pong", f"{host}: {res}"


def test_each_host_reports_its_own_hostname(lab):
    results = lab.ansible("all", "ansible.builtin.command", "hostname")
    assert sorted(results) == sorted(HOSTS)
    for host, res in results.items():
        assert res.get("rc") == 0, f"{host}: {res}"
        assert res["stdout"].strip() == host
    for host in HOSTS:
        assert lab.ssh(host, "cat /etc/hostname").stdout.strip() == host


def test_files_written_on_srv1_stay_on_srv1(lab):
    """Each host has a root of its own: srv1's files are not on backup, srv2 or here."""
    name = f"/srv/sop-lab-marker-{uuid.uuid4().hex}"
    lab.ssh("srv1", f"echo written-on-srv1 > {name}")
    assert lab.ssh("srv1", f"cat {name}").stdout.strip() == "written-on-srv1"
    assert lab.ssh("backup", f"test -e {name}", check=False).returncode == 1
    assert lab.ssh("srv2", f"test -e {name}", check=False).returncode == 1
    assert not Path(name).exists()


def test_mariadb_answers_on_srv1_over_tcp(lab):
    env = dict(os.environ, MYSQL_PWD=plan.DB_PASSWORD_FILE.read_text().strip())
    query = "SELECT @@hostname, (SELECT COUNT(*) FROM pegawai), (SELECT COUNT(*) FROM layanan_log)"
    cp = _run(
        "mysql", "--no-defaults", "-h", lab.address("srv1"), "-P", str(plan.MARIADB_PORT),
        "-u", plan.DB_USER, "--batch", "--skip-column-names", plan.DB_NAME, "-e", query,
        env=env, timeout=30,
    )  # fmt: skip
    assert cp.returncode == 0, cp.stderr
    hostname, pegawai, logs = cp.stdout.split()
    assert hostname == "srv1"
    assert int(pegawai) >= 200 and int(logs) >= 200


def test_postgresql_answers_on_srv1_over_tcp(lab):
    psycopg = pytest.importorskip("psycopg")
    with psycopg.connect(
        host=lab.address("srv1"),
        port=plan.POSTGRES_PORT,
        user=plan.DB_USER,
        password=plan.DB_PASSWORD_FILE.read_text().strip(),
        dbname=plan.DB_NAME,
        connect_timeout=5,
    ) as conn:
        row = conn.execute(
            "SELECT host(inet_server_addr()), (SELECT count(*) FROM pegawai),"
            " (SELECT count(*) FROM layanan_log)"
        ).fetchone()
    assert row is not None
    assert row[0] == lab.address("srv1")
    assert row[1] >= 200 and row[2] >= 200


def test_db_password_file_is_private(lab):
    assert plan.DB_PASSWORD_FILE.stat().st_mode & 0o777 == 0o600


def test_gw_drops_ext_to_srv1_unless_granted(lab):
    srv1 = lab.address("srv1")
    gw = plan.host("gw").netns
    assert tcp_ready(srv1, 8080), "the web service on srv1 must answer from the controller"
    assert not _tcp_from_netns(plan.EXT_NETNS, srv1, 8080), "gw let ext in without a grant"
    base = ["ip", "netns", "exec", gw, "nft"]
    set_ref = [plan.NFT_FAMILY, plan.NFT_TABLE, plan.NFT_GRANT_SET]
    listing = _out(*base, "-j", "list", "set", *set_ref)
    the_set = next(i["set"] for i in json.loads(listing)["nftables"] if "set" in i)
    assert the_set["type"] == ["ipv4_addr", "ipv4_addr", "inet_proto", "inet_service"]
    assert "timeout" in the_set["flags"]
    element = f"{{ {plan.EXT_ADDR} . {srv1} . tcp . 8080 timeout 60s }}"
    _out(*base, "add", "element", *set_ref, element)
    try:
        assert _tcp_from_netns(plan.EXT_NETNS, srv1, 8080), "a grant did not open the port"
        assert not _tcp_from_netns(plan.EXT_NETNS, srv1, 22), "the grant opened another port"
    finally:
        _out(*base, "flush", "set", *set_ref)
    assert not _tcp_from_netns(plan.EXT_NETNS, srv1, 8080), "the port stayed open"


def test_srv1_has_no_default_route_but_reaches_ext_via_gw(lab):
    routes = _out("ip", "-n", plan.host("srv1").netns, "route")
    assert "default" not in routes
    assert f"{plan.EXT_NET} via {plan.GW_MGMT_ADDR}" in routes


def test_sftp_and_restic_on_backup(lab, tmp_path):
    # Names of this run alone: the test passes however often it runs on one lab.
    token = uuid.uuid4().hex
    src = tmp_path / "payload.txt"
    src.write_text(f"sop-lab sftp {token}\n")
    remote, smoke = f"/srv/restic/payload-{token}.txt", f"/srv/restic/lab-smoke-{token}"
    back = tmp_path / "back.txt"
    batch = f"put {src} {remote}\nget {remote} {back}\nls /srv/restic\n"
    cp = _run("sftp", "-F", lab.ssh_config, "-b", "-", "backup", input=batch, timeout=30)
    assert cp.returncode == 0, cp.stderr
    assert back.read_text() == src.read_text()
    assert lab.ssh("srv1", f"test -e {remote}", check=False).returncode == 1
    env = dict(os.environ, RESTIC_PASSWORD="sop-lab-test", RESTIC_CACHE_DIR=str(tmp_path))
    repo = [
        "-r",
        f"sftp:backup:{smoke}",
        "-o",
        f"sftp.command=ssh -F {lab.ssh_config} backup -s sftp",
    ]
    for args in (["init"], ["backup", "--host", "controller", str(src)]):
        cp = _run("restic", *repo, *args, env=env)
        assert cp.returncode == 0, cp.stderr
    snaps = _run("restic", *repo, "snapshots", "--json", env=env)
    assert snaps.returncode == 0, snaps.stderr
    assert len(json.loads(snaps.stdout)) == 1
    assert lab.ssh("backup", f"test -f {smoke}/config").returncode == 0


def test_loop_disks_exist_and_hold_their_pattern(lab):
    assert len(lab.state.disks) == plan.DISK_COUNT
    assert lab.state.wipe_disks == [d["device"] for d in lab.state.disks]
    system_disks = {line.split()[0] for line in Path("/proc/mounts").read_text().splitlines()}
    for i, disk in enumerate(lab.state.disks):
        dev = disk["device"]
        assert dev not in system_disks
        assert dev in lab_disks.lab_loop_devices()
        size = int(_out("blockdev", "--getsize64", dev))
        assert size == plan.DISK_SIZE
        block = lab_disks.pattern_block(i)
        with open(dev, "rb") as f:
            head = f.read(64 * 1024)
            f.seek(size - 64 * 1024)
            tail = f.read(64 * 1024)
        assert head == block * (len(head) // len(block))
        assert tail == block * (len(tail) // len(block))
        # srv2 sees the same device, and no other disk of the machine.
        out = lab.ssh("srv2", f"test -b {dev} && head -c 512 {dev} | md5sum").stdout.split()[0]
        assert out == hashlib.md5(block).hexdigest()
    listing = lab.ssh("srv2", "ls /dev").stdout.split()
    assert not [d for d in listing if d.startswith(("vd", "sd", "nvme", "xvd"))]
    results = lab.ansible("srv2", "ansible.builtin.debug", "var=wipe_disks")
    assert results["srv2"]["wipe_disks"] == lab.state.wipe_disks


def test_rtr1_runs_frr_reachable_over_ssh(lab):
    conf = lab.ssh("rtr1", "vtysh -c 'show running-config'").stdout
    assert "hostname rtr1" in conf
    assert f"ip route {plan.EXT_NET} {plan.GW_TRANSIT_ADDR}" in conf
    static = lab.ssh("rtr1", "show ip route static", user=plan.NETADMIN_USER).stdout
    assert plan.EXT_NET in static
    kernel = _out("ip", "-n", plan.host("rtr1").netns, "route", "show", plan.EXT_NET)
    assert "proto static" in kernel or "proto zebra" in kernel
    links = _out("ip", "-n", plan.host("rtr1").netns, "-o", "link", "show", "type", "veth")
    assert len(links.splitlines()) >= 2


def test_srv2_is_an_older_debian_with_an_upgrade_pending(lab):
    assert lab.ssh("srv2", "python3 -c 'import apt'").returncode == 0
    sim = lab.ssh("srv2", "apt-get -s -o Debug::NoLocking=1 dist-upgrade").stdout
    pending = [line for line in sim.splitlines() if line.startswith("Inst ")]
    assert pending, "srv2 has nothing to upgrade"
    assert lab.ssh("srv2", "test ! -e /work").returncode == 0, "srv2 is not its own root"


def test_service_catalog_points_at_real_services(lab):
    catalog = yaml.safe_load(lab.services.read_text())
    services = catalog["services"]
    assert 3 <= len(services) <= 4
    assert {s["criticality"] for s in services} == {"critical", "normal"}
    for s in services:
        assert {"name", "title", "opd", "criticality", "hosts"} <= set(s)
        for h in s["hosts"]:
            assert h in lab.state.hosts
            if "port" in s:
                assert tcp_ready(lab.address(h), s["port"]), f"{s['name']} on {h}:{s['port']}"


def test_testinfra_against_srv1(lab):
    testinfra = pytest.importorskip("testinfra")
    host = testinfra.get_host("ssh://srv1", ssh_config=lab.ssh_config)
    assert host.check_output("hostname") == "srv1"
    assert host.file("/etc/hostname").content_string.strip() == "srv1"
    for port in (22, plan.MARIADB_PORT, plan.POSTGRES_PORT, 8080):
        assert host.socket(f"tcp://0.0.0.0:{port}").is_listening, port
    assert host.file("/root/.bashrc").content_string == "# sop-lab\n"


def test_down_leaves_nothing_then_up_again(lab):
    from sop_runner.lab import down, status, up

    t0 = time.monotonic()
    down()
    down_s = time.monotonic() - t0
    try:
        left = status()
        assert left["netns"] == [] and not _out("ip", "netns", "list").count(plan.NETNS_PREFIX)
        assert left["processes"] == 0
        assert left["mounts"] == []
        assert "sop-lab" not in Path("/proc/self/mountinfo").read_text()
        assert left["loop_devices"] == []
        assert str(plan.DISK_DIR) not in _out("losetup", "-a")
        ps = _out("ps", "-eo", "stat=,args=")
        live = [
            line
            for line in ps.splitlines()
            if not line.startswith("Z") and ("/sop-lab/" in line or "sop-lab_sshd" in line)
        ]
        assert live == []
        assert not plan.STATE_FILE.exists()
        assert down_s <= 2.0, f"down took {down_s:.2f} s"
    finally:
        state = up()
        lab.refresh()
    assert state.up_seconds <= 10.0
