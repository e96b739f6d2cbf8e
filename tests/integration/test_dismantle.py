"""SOP 5.1 on the lab: a disk of srv2 wiped through SSH by the disk_wipe module, and the
whole procedure on srv2, whose step 5 halts it (started again afterwards).

The runs on this machine's own loop devices (the full procedure, the refusals,
check mode, idempotence) are in tests/component/test_dismantle.py.
"""

from __future__ import annotations

import json
import socket
import subprocess

import pytest
from sqlalchemy import select

from sop_runner.config import REPO_ROOT
from tests.support.sop import ok, run_through
from tests.support.wipe_disks import BIN


@pytest.mark.lab
def test_lab_disk_wiped_over_ssh(lab: object) -> None:
    """Wipe one of srv2's loop disks through SSH with the module (check, then for real)."""
    disks = lab.state.wipe_disks  # type: ignore[attr-defined]
    if not disks:
        pytest.skip("the lab exposes no wipe_disks on srv2")
    disk = disks[0]
    args = json.dumps({"device": disk, "allowed_devices": [disk], "log_dir": "/var/tmp/sop-wipe"})
    # The module over SSH, by the lab's admin path (no gate here: the gated runs of 5.1
    # are in tests/component/test_dismantle.py; the automation account takes certificates).
    state = lab.state  # type: ignore[attr-defined]
    admin = ["-e", f"ansible_user={state.admin_user}",
             "-e", f"ansible_ssh_private_key_file={state.ssh_key}"]  # fmt: skip
    try:
        for mode in (["--check"], []):
            cp = subprocess.run(
                [str(BIN / "ansible"), "-i", str(lab.inventory), "srv2", "-m", "disk_wipe",  # type: ignore[attr-defined]
                 "-a", args, *mode, *admin],
                capture_output=True, text=True, cwd=REPO_ROOT, env=lab.ansible_env(),  # type: ignore[attr-defined]
                timeout=300,
            )  # fmt: skip
            assert cp.returncode == 0, cp.stdout + cp.stderr
        read = lab.ssh(  # type: ignore[attr-defined]
            "srv2", f"cmp -n $(blockdev --getsize64 {disk}) {disk} /dev/zero && echo ALLZERO"
        )
        assert "ALLZERO" in read.stdout
    finally:
        # The lab is shared by the session: give the disk its pattern back.
        from sop_runner.lab.disks import refill

        refill(disk, 0)


def _port_open(address: str, port: int = 22) -> bool:
    try:
        with socket.create_connection((address, port), timeout=2):
            return True
    except OSError:
        return False


@pytest.mark.lab
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_lab_full_dismantle_halts_srv2_and_leaves_it_unreachable(lab_env, lab, tmp_path):
    """SOP 5.1 through `sop run` on srv2: its disk wiped, then step 5 halts it with
    `shutdown -h now` and checks from the controller that it no longer answers; the
    register keeps the history; srv2 is started again afterwards (the lab is shared)."""
    from sop_runner.lab import hosts, restart_host
    from sop_runner.lab.disks import refill
    from sop_runner.procedures.dismantle.models import DiskWipe
    from sop_runner.procedures.register import history

    env = lab_env
    disks = lab.state.wipe_disks
    if len(disks) < 2:
        pytest.skip("the lab exposes fewer than two wipe_disks on srv2")
    disk = disks[1]
    address = lab.address("srv2")
    ok(env.sop(
        "register", "add", "srv2", "--asset", "ASET-LAB-0002", "--owner", "Diskominfo",
        "--function", "arsip dokumen", operator="budi",
    ))  # fmt: skip
    made = ok(env.sop(
        "request", "5.1", "--target", "srv2", "--reason", "server arsip diganti",
        "--param", f"devices=[{disk}]", "--param", "wipe_method=clear",
        "--param", "destination=penggunaan ulang internal",
        "--param", "wipe_log_dir=/var/tmp/sop-wipe", operator="budi",
    ))  # fmt: skip
    request_id = made.stdout.split()[1]
    try:
        waiting = run_through(env.sop, request_id, "--confirm", "2=hasil analisis dilaporkan")
        assert waiting.returncode == 3 and "pimpinan" in waiting.stderr, waiting.stderr
        ok(env.sop("approve", request_id, operator="ahmad"))
        assert _port_open(address)
        # Check mode says what would be halted and halts nothing.
        check = subprocess.run(
            # Its own (empty) ssh-agent: a play gets its certificate only in an agent.
            ["ssh-agent", str(BIN / "ansible-playbook"), "-i", str(lab.inventory), "-l", "srv2",
             "--check", "playbooks/dismantle_shutdown.yml"],
            capture_output=True, text=True, cwd=REPO_ROOT, env=lab.ansible_env(), timeout=300,
        )  # fmt: skip
        assert check.returncode == 0, check.stdout[-2000:] + check.stderr[-2000:]
        assert "would halt srv2" in check.stdout, check.stdout[-2000:]
        assert _port_open(address) and hosts.init_pid("srv2") is not None
        done = run_through(
            env.sop, request_id, "--confirm", "7=dokumentasi dibuat",
            "--confirm", "8=laporan diserahkan",
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        # Step 5 really halted srv2: no process of it is left, its SSH port is closed.
        assert hosts.init_pid("srv2") is None
        assert not _port_open(address)
        assert lab.ssh("srv2", "true", check=False, timeout=20).returncode != 0
        with env.ctx().session() as session:
            changes = [(c.from_status, c.to_status, c.note) for c in history(session, "srv2")]
        assert [c[:2] for c in changes] == [
            (None, "active"),
            ("active", "decommissioning"),
            ("decommissioning", "offline"),
            ("offline", "disposed"),
        ]
        assert "shutdown -h now" in changes[2][2] and "no longer answers" in changes[2][2]
        # The boot disk cannot be wiped from the running system: once step 5 halted srv2 it
        # is erased offline by an external tool (nwipe, as from boot media) and recorded
        # with the tool's log.  srv2's root is no disk in the lab: its other loop disk
        # stands in for the boot disk.
        boot = disks[0]
        nwipe_log = tmp_path / "nwipe.log"
        erased = subprocess.run(
            ["nwipe", "--autonuke", "--nogui", "--nousb", "--method=zero", "--verify=last",
             f"--logfile={nwipe_log}", boot],
            # nwipe prints the disk's raw serial number: not always text.
            capture_output=True, text=True, errors="replace", timeout=300,
        )  # fmt: skip
        assert erased.returncode == 0, erased.stdout[-1000:] + erased.stderr[-1000:]
        recorded = ok(env.sop(
            "dismantle", "boot-disk", request_id, "--host", "srv2", "--device", boot,
            "--log", str(nwipe_log), operator="budi",
        ))  # fmt: skip
        assert "terverifikasi" in recorded.stdout and "TIDAK" not in recorded.stdout
        # The certificate of sanitization: the performer signs, a second person validates.
        refused = env.sop("dismantle", "sign", request_id, operator="dewi")
        assert refused.returncode == 2 and "orang kedua" in refused.stderr
        for who in ("budi", "sari"):
            ok(env.sop("dismantle", "sign", request_id, operator=who))
        out = tmp_path / "docs"
        for lang in ("id", "en"):
            ok(env.sop("dismantle", "report", request_id, "--lang", lang, "--out", str(out)))
        report_id = (out / f"laporan-penghentian-5.1-{request_id}-id.md").read_text()
        report = (out / f"laporan-penghentian-5.1-{request_id}-en.md").read_text()
        assert "Sertifikat Sanitasi Media" in report_id and "LULUS" in report_id
        with env.ctx().session() as session:
            wipes = {w.device: w for w in session.scalars(select(DiskWipe))}
            log_sha = wipes[disk].log_sha256
            assert wipes[boot].log_text == nwipe_log.read_bytes().decode("utf-8", "replace")
            boot_sha = wipes[boot].log_sha256
        for field in (
            "Media property number: ASET-LAB-0002",
            "Media type: loop (file-backed)",
            "Method type: **Clear**",
            "Tool used (including version): sop-pusatdata disk_wipe",
            "Verification method: full read-back, compared with zeros",
            "Post-sanitization destination: penggunaan ulang internal",
            f"SHA-256 of the wipe log: `{log_sha}` (stored log matches the hash)",
            "Signature (performer): budi",
            "Validation (second person): sari",
        ):
            assert field in report, field
        # Two certificates, each signed twice: the data disk's and the boot disk's, whose
        # certificate carries the external tool and its log's hash.
        assert report.count("valid ed25519 signature") == 4
        assert "Tool used (including version): nwipe 0.33" in report
        assert f"SHA-256 of the wipe log: `{boot_sha}` (stored log matches the hash)" in report
        assert "boot disk (system disk), erased offline" in report
        assert "offline | disposed" in report and "PASSED" in report
        feasibility = (out / f"analisis-kelayakan-5.1-{request_id}-id.md").read_text()
        assert "ASET-LAB-0002" in feasibility and "arsip" in feasibility
        assert (out / f"laporan-penghentian-5.1-{request_id}-en.html").exists()
    finally:
        if hosts.init_pid("srv2") is None:
            restart_host("srv2")
            lab.refresh()
        refill(disk, 1)
        refill(disks[0], 0)
    assert lab.ssh("srv2", "hostname").stdout.strip() == "srv2"
