"""SOP 4.2 OS upgrade (and 4.1 hardware upgrade) against the lab's srv2, whose packages are
old: real apt, real restic to the backup host's SFTP repository, real testinfra over SSH,
through `sop request/approve/run`.

Each test sets up what it needs: the ones that need srv2's pending updates take the
``srv2_behind`` fixture, which rolls srv2 back when a test before it upgraded it (in
file order the upgrade comes last, so no rollback is needed)."""

from __future__ import annotations

import json
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from sop_runner.config import REPO_ROOT
from sop_runner.lab.hosts import SRV2_RESTART
from sop_runner.procedures.register import spec_history
from sop_runner.procedures.upgrade.models import UpgradePackageChange, UpgradeRecord
from sop_runner.store.models import Request, Run, StepRecord
from tests.support.remote_restic import restic_on
from tests.support.sop import run_through

pytestmark = [pytest.mark.lab, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

BIN = Path(REPO_ROOT / ".venv" / "bin")
HUMAN_42 = [3, 4, 5, 6, 10, 11]
HUMAN_41 = [3, 4, 5, 7, 9, 10]
SNAPSHOTS = "/var/lib/sop-pusatdata/upgrade"  # apt_dist_upgrade's versions before


@pytest.fixture
def srv2_behind(lab):
    """srv2 with its pending updates not installed, as the lab brings it up.

    When an earlier test of the session upgraded it, roll every package back to the
    versions kept before that upgrade (apt_rollback, from apt's cache) and restart
    its application, so that this test does not depend on the tests run before it.
    """
    if _pending(lab) == 0:
        oldest = lab.ssh("srv2", f"ls -1tr {SNAPSHOTS}/before-*.json | head -n 1").stdout.strip()
        result = lab.ansible("srv2", "apt_rollback", f"snapshot_path={oldest}")["srv2"]
        assert result.get("verified"), result
        lab.ssh("srv2", SRV2_RESTART)
        _wait_for_arsip(lab)
    assert _pending(lab) > 0


def _ok(result):
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def _window(minutes_before: int = 5, minutes_after: int = 60) -> str:
    now = datetime.now(UTC)
    fmt = "%Y-%m-%dT%H:%M+00:00"
    return (
        f"{(now - timedelta(minutes=minutes_before)).strftime(fmt)}/"
        f"{(now + timedelta(minutes=minutes_after)).strftime(fmt)}"
    )


def _request(lab_env, extra_requirements="[]", extra_checks="[]") -> str:
    out = _ok(
        lab_env.sop(
            "request",
            "4.2",
            "--target",
            "srv2",
            "--reason",
            "pembaruan keamanan bookworm",
            "--param",
            "target_release=latest",
            "--param",
            f"extra_requirements={extra_requirements}",
            "--param",
            f"extra_checks={extra_checks}",
            "--param",
            f"repository={lab_env.repo}",
            "--param",
            f"maintenance_window={_window()}",
            operator="budi",
        )
    ).stdout
    request_id = out.split()[1]
    _ok(lab_env.sop("approve", request_id, operator="sari"))  # step 1: the order to analyse
    return request_id


def _run_42(lab_env, request_id):
    # The penanggung jawab's and the Pimpinan's steps are theirs: the run is handed over.
    args = [a for step in HUMAN_42 for a in ("--confirm", f"{step}=selesai")]
    args += ["--choose", "3=sesuai"]  # step 3 is the document's branch (issue 16)
    return run_through(lab_env.sop, request_id, *args)


def _run(lab_env, request_id):
    """Given a 4.2 request approved at step 1, run it as the document has it: the run
    stops before step 6 (exit 3) until the Pimpinan, seeing the analysis, approves the
    upgrade; then it goes on from there.  Return the last `sop run`."""
    result = _run_42(lab_env, request_id)
    if result.returncode == 3 and "langkah 6" in result.stderr:
        _ok(lab_env.sop("approve", request_id, operator="ahmad"))
        result = _run_42(lab_env, request_id)
    return result


def _run_failing(lab_env, **params) -> tuple[str, str]:
    """Given 4.2 request parameters, make, approve and run the request, which must fail;
    return its id and what `sop run` said."""
    rid = _request(lab_env, **params)
    result = _run(lab_env, rid)
    assert result.returncode != 0
    return rid, result.stdout + result.stderr


def _versions(lab) -> dict[str, str]:
    out = lab.ssh("srv2", "dpkg-query -W -f '${Package} ${Version}\\n'").stdout
    return dict(line.split(" ", 1) for line in out.splitlines())


def _pending(lab) -> int:
    sim = lab.ssh("srv2", "apt-get -s -o Debug::NoLocking=1 dist-upgrade").stdout
    return sum(1 for line in sim.splitlines() if line.startswith("Inst "))


def _arsip_status(lab) -> str:
    return lab.ssh(
        "srv2",
        "python3 -c 'import urllib.request as u; "
        'print(u.urlopen("http://127.0.0.1:8081/").status)\'',
        check=False,
    ).stdout.strip()


def _wait_for_arsip(lab, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while _arsip_status(lab) != "200":
        assert time.monotonic() < deadline, "srv2's arsip did not answer after its restart"
        time.sleep(0.5)


def _hw_request(lab_env, expected_spec: str) -> str:
    out = _ok(
        lab_env.sop(
            "request",
            "4.1",
            "--target",
            "srv2",
            "--reason",
            "tambah RAM",
            "--param",
            "change=RAM tambahan",
            "--param",
            f"expected_spec={expected_spec}",
            operator="budi",
        )
    ).stdout
    rid = out.split()[1]
    _ok(lab_env.sop("approve", rid, operator="sari"))
    return rid


def _run_41(lab_env, rid):
    args = [a for s in HUMAN_41 for a in ("--confirm", f"{s}=selesai")]
    # Step 7 is the document's branch: the upgrade was not cancelled (issue 16).
    args += ["--choose", "7=berhasil"]
    return run_through(lab_env.sop, rid, *args)


def _records(lab_env, kind):
    with lab_env.ctx().session() as session:
        return [
            (r.host, r.ok, r.data)
            for r in session.scalars(select(UpgradeRecord).where(UpgradeRecord.kind == kind))
        ]


def test_upgrade_without_the_pimpinan_is_refused_by_plain_ansible(lab_env, lab, srv2_behind):
    """The order at step 1 covers the analysis only: the upgrade (step 8) waits for the
    Pimpinan's approval at step 6, which a plain ansible-playbook cannot go around."""
    before = _versions(lab)
    rid = _request(lab_env)
    cp = subprocess.run(
        [
            str(BIN / "ansible-playbook"),
            "-i",
            str(lab.inventory),
            "playbooks/os_upgrade_apply.yml",
            "-l",
            "srv2",
            "-e",
            json.dumps(lab_env.extravars(rid)),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert cp.returncode != 0
    assert "langkah 6" in cp.stdout and "pimpinan" in cp.stdout, cp.stdout
    assert _versions(lab) == before


def test_incompatible_spec_postpones_the_upgrade(lab_env, lab, srv2_behind, tmp_path):
    before = _versions(lab)
    rid, said = _run_failing(lab_env, extra_requirements="[openssh-server >= 99]")
    assert "POSTPONED" in said
    assert _versions(lab) == before, "something was upgraded"
    assert _pending(lab) > 0
    with lab_env.ctx().session() as session:
        run = session.scalars(select(Run)).one()
        assert run.status == "failed" and "POSTPONED" in (run.error or "")
    paths = _ok(lab_env.sop("upgrade", "report", rid, "--out", str(tmp_path))).stdout.split()
    analysis = Path(paths[0]).read_text()
    assert "Laporan hasil analisis kesesuaian sistem operasi" in analysis
    assert "openssh-server >= 99" in analysis and "tidak sesuai" in analysis
    assert "DITUNDA" in Path(paths[1]).read_text()
    (record,) = _records(lab_env, "upgrade_analysis")
    assert record[1] is False and any("openssh-server" in r for r in record[2]["reasons"])
    assert not _records(lab_env, "upgrade_backups") and not _records(lab_env, "upgrade_packages")
    en = _ok(lab_env.sop("upgrade", "report", rid, "--lang", "en", "--out", str(tmp_path))).stdout
    assert "POSTPONED" in Path(en.split()[1]).read_text()


def test_failing_post_test_rolls_back_and_is_verified(lab_env, lab, srv2_behind, tmp_path):
    before = _versions(lab)
    rid, said = _run_failing(lab_env, extra_checks="[port 8099]")
    assert "UPGRADE FAILED" in said
    after = _versions(lab)
    assert after == before, {
        k: (before.get(k), after.get(k))
        for k in set(before) ^ set(after) or [k for k in before if before[k] != after.get(k)]
    }
    (tests,) = _records(lab_env, "upgrade_tests")
    assert tests[1] is False
    assert [c["check"] for c in tests[2]["checks"] if not c["ok"]] == ["port 8099"]
    with lab_env.ctx().session() as session:
        changes = session.scalars(select(UpgradePackageChange)).all()
        assert len(changes) >= 10  # the upgrade really happened before the rollback
    (recovery,) = _records(lab_env, "upgrade_recovery")
    assert recovery[1] is True, recovery
    assert len(recovery[2]["rolled_back"]) == len(changes)
    assert _arsip_status(lab) == "200"
    text = Path(
        _ok(lab_env.sop("upgrade", "report", rid, "--out", str(tmp_path))).stdout.split()[1]
    ).read_text()
    assert "dipulihkan dan terverifikasi" in text


def test_compatible_upgrade_backs_up_upgrades_and_tests(lab_env, lab, srv2_behind, tmp_path):
    before = _versions(lab)
    pending = _pending(lab)
    assert pending > 0
    rid = _request(lab_env)
    # The analysis (steps 2–4) runs, then the run waits for the Pimpinan (exit 3) ...
    waiting = _run_42(lab_env, rid)
    assert waiting.returncode == 3 and "langkah 6" in waiting.stderr, waiting.stderr
    assert _versions(lab) == before and not _records(lab_env, "upgrade_backups")
    # ... who approves seeing the analysis' verdict, and the run goes on from step 6.
    approved = _ok(lab_env.sop("approve", rid, operator="ahmad")).stdout
    assert "diputuskan atas hasil langkah 2, 3, 4" in approved
    assert "Sesuai dengan lingkungan dan aplikasi" in approved, approved
    _ok(_run_42(lab_env, rid))
    after = _versions(lab)
    assert _pending(lab) == 0
    changed = {k for k in before if before[k] != after.get(k)}
    assert len(changed) == pending
    with lab_env.ctx().session() as session:
        rows = session.scalars(select(UpgradePackageChange)).all()
        assert {r.package for r in rows} == changed
        assert all(
            before[r.package] == r.version_before and after[r.package] == r.version_after
            for r in rows
        )
    (backup,) = _records(lab_env, "upgrade_backups")
    assert backup[1] is True and backup[2]["checked"] is True
    snaps = json.loads(
        restic_on(lab, "srv2", lab_env.repo, lab_env.restic_password, "snapshots --json").stdout
    )
    assert [s["short_id"] for s in snaps] == [backup[2]["snapshot_id"][:8]]
    assert f"sop-request={rid}" in snaps[0]["tags"]
    (tests,) = _records(lab_env, "upgrade_tests")
    assert tests[1] is True and tests[2]["figures"]
    paths = _ok(lab_env.sop("upgrade", "report", rid, "--out", str(tmp_path))).stdout.split()
    report = Path(paths[1]).read_text()
    assert (
        "BERHASIL" in report and "python3.11" in report and backup[2]["snapshot_id"][:8] in report
    )
    assert "Kondisi eksisting" in Path(paths[2]).read_text()


def test_hardware_upgrade_keeps_spec_history(lab_env, lab, tmp_path):
    rid = _hw_request(lab_env, "[cpu_count >= 1, memory_mb >= 64]")
    _ok(_run_41(lab_env, rid))
    with lab_env.ctx().session() as session:
        history = spec_history(session, "srv2")
        assert [h.phase for h in history] == ["before", "after"]
        assert history[1].spec["cpu_count"] >= 1 and history[1].spec["memory_mb"] >= 64
    text = Path(
        _ok(lab_env.sop("upgrade", "report", rid, "--out", str(tmp_path))).stdout.split()[0]
    ).read_text()
    assert "Laporan hasil peningkatan perangkat keras" in text and "riwayat spesifikasi" in text

    # Step 6's test fails: the run takes step 7's "batal" (issue 16), the failure its
    # reason signed by the petugas; step 8 does not apply; run and request dibatalkan.
    cancelled = _hw_request(lab_env, "[memory_mb >= 999999999]")
    result = _run_41(lab_env, cancelled)
    assert result.returncode == 1 and "CANCELLED" in result.stdout + result.stderr
    with lab_env.ctx().session() as session:
        assert len(spec_history(session, "srv2")) == 2  # nothing added by the cancelled one
        run = session.scalars(select(Run).where(Run.request_id == int(cancelled))).one()
        steps = {
            r.step_number: r
            for r in session.scalars(select(StepRecord).where(StepRecord.run_id == run.id))
        }
        assert (run.status, session.get(Request, int(cancelled)).status) == (
            "cancelled",
            "cancelled",
        )
        assert run.error.startswith("dibatalkan pada langkah 7: step 6 (hw_upgrade_test.yml)")
        assert (steps[6].status, steps[7].status, steps[7].data["choice"]) == (
            "failed",
            "done",
            "batal",
        )
        # Signed by the petugas whose run met the failure (run_through hands it to dewi).
        assert "memory_mb >= 999999999" in steps[7].note
        assert steps[7].confirmed_by == steps[6].confirmed_by == "dewi"
        assert steps[7].signed and steps[7].signed["signature"]
        assert [steps[n].status for n in (8, 9, 10)] == ["not_applicable"] * 3


def test_backup_before_the_upgrade_holds_the_database_dumps(lab_env, lab):
    """Issue 16: "Backup semua data" (4.2 step 7) of a host that runs databases dumps each
    of them through the SOP 7.2 path (db_backup) beside its files, and the dumps hold the
    data.  Step 7 alone on srv1, as `sop run` carries out an automated step
    (execution.run_step): srv1's system is the controller's, never upgraded here."""
    from sop_runner import execution

    out = _ok(
        lab_env.sop(
            "request", "4.2", "--target", "srv1", "--reason", "pembaruan keamanan srv1",
            "--param", "target_release=latest", "--param", f"repository={lab_env.repo}",
            "--param", f"maintenance_window={_window()}", operator="budi",
        )
    ).stdout  # fmt: skip
    rid = out.split()[1]
    _ok(lab_env.sop("approve", rid, operator="sari"))
    # The Pimpinan approves after the analysis (steps 2–4), where the run waits.
    assert _run_42(lab_env, rid).returncode == 3
    _ok(lab_env.sop("approve", rid, operator="ahmad"))
    record = execution.run_step(lab_env.ctx(), int(rid), 7, "budi")
    assert record.status == "done", record.note
    (backup,) = _records(lab_env, "upgrade_backups")
    assert backup[1] is True, backup
    dumps = {d["source"]: d for d in backup[2]["databases"]}
    assert sorted(dumps) == ["mariadb/appdb", "postgresql/appdb"]
    assert all(d["status"] == "ok" and d["snapshot_id"] for d in dumps.values())
    snaps = json.loads(
        restic_on(lab, "srv1", lab_env.repo, lab_env.restic_password, "snapshots --json").stdout
    )
    by_id = {s["short_id"]: s for s in snaps}  # the modules hand back restic's short ids
    files = by_id[backup[2]["snapshot_id"][:8]]
    assert sorted(files["paths"]) == ["/etc", "/srv"]
    maria = dumps["mariadb/appdb"]
    assert "kind=database" in by_id[maria["snapshot_id"][:8]]["tags"]
    dumped = restic_on(
        lab, "srv1", lab_env.repo, lab_env.restic_password,
        f"dump {maria['snapshot_id']} /{maria['filename']}",
    ).stdout  # fmt: skip
    assert "CREATE TABLE" in dumped and "INSERT INTO" in dumped
    marker = lab.ssh("srv1", f"cat {SNAPSHOTS}/backup-{rid}.json").stdout
    assert json.loads(marker)["dumps"] == [d["snapshot_id"] for d in backup[2]["databases"]]
