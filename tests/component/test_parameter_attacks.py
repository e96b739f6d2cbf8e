"""Issue 15's attacks on parameters, replays and impact, played by a petugas with an
ordinary Unix account (tests/support/office.py).

The gated playbook is SOP 6.1's repair (resource_repair.yml: it deletes old files
under cleanup_path), run on the controller itself (ansible_connection local) as the
petugas, so "the attack worked" is seen on disk: a marker file appears, a file
outside the approved folder is gone.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.office import Office, office_for

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="needs root: a root-owned trust file and a throwaway Unix user"
)

CONFIRM = ("--confirm", "2=analisis", "--confirm", "3=laporan", "--confirm", "4=rekomendasi")


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    with office_for(tmp_path) as made:
        yield made


@pytest.fixture
def workdir(office: Office) -> Iterator[Path]:
    """The folder the approved repair may clean (under /var/tmp), with one old file in it."""
    folder = Path(f"/var/tmp/sop-{office.user}")
    folder.mkdir()
    office.own(folder)
    _old_file(office, folder / "old.log")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _old_file(office: Office, path: Path) -> Path:
    path.write_text("kept unless the repair really ran\n")
    past = time.time() - 40 * 86400
    os.utime(path, (past, past))
    return office.own(path)


def _request(office: Office, folder: Path, target: str = "ctl1") -> str:
    made = office.sop(
        "request", "6.1", "--target", target, "--reason", "disk penuh",
        "--param", f"cleanup_path={folder}", "--param", "max_age_days=30",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    return made.stdout.split()[1]


def _approved(office: Office, folder: Path, target: str = "ctl1") -> str:
    request_id = _request(office, folder, target)
    approved = office.sop("approve", request_id, name="sari")
    assert approved.returncode == 0, approved.stderr
    return request_id


def _params_file(office: Office, folder: Path) -> Path:
    """The parameters file a petugas gives a plain ansible-playbook (docs/using-sop.md)."""
    path = office.home / "params.yml"
    path.write_text(
        f"sop_params: !unsafe\n  cleanup_path: {json.dumps(str(folder))}\n  max_age_days: 30\n"
    )
    return office.own(path)


def _repair(office: Office, request_id: str, folder: Path, *extra: str):  # type: ignore[no-untyped-def]
    return office.play(
        "resource_repair.yml", "-l", "ctl1",
        "-e", f"sop_request={request_id}", "-e", f"@{_params_file(office, folder)}", *extra,
    )  # fmt: skip


def _refused(result, *words: str) -> None:  # type: ignore[no-untyped-def]
    out = result.stdout + result.stderr
    assert result.returncode != 0, out[-3000:]
    assert "sop_gate menolak" in out, out[-3000:]
    for word in words:
        assert word in out, out[-3000:]


def _marker(office: Office) -> Path:
    marker = Path(f"/tmp/pwned-{office.user}")
    marker.unlink(missing_ok=True)
    return marker


def test_jinja_in_an_extra_var_is_never_evaluated(office, workdir):
    request_id = _approved(office, workdir)
    marker = _marker(office)
    result = _repair(
        office, request_id, workdir,
        "-e", f"cleanup_path={{{{ lookup('pipe', 'touch {marker}') }}}}", "-e", "max_age_days=30",
    )  # fmt: skip
    _refused(result, "cleanup_path")
    assert not marker.exists(), "a parameter was templated: the lookup ran"
    assert (workdir / "old.log").exists()


def test_an_ansible_setting_given_as_extra_var_is_refused_before_it_is_used(office, workdir):
    request_id = _approved(office, workdir)
    marker = _marker(office)
    result = _repair(
        office, request_id, workdir,
        "-e", f"cleanup_path={workdir}", "-e", "max_age_days=30",
        "-e", f"ansible_python_interpreter={{{{ lookup('pipe', 'touch {marker}') }}}}/bin/python3",
    )  # fmt: skip
    _refused(result, "ansible_python_interpreter")
    assert not marker.exists(), "ansible_python_interpreter from -e was templated"
    assert (workdir / "old.log").exists()


def test_an_extra_var_overriding_a_registered_variable_is_refused(office, workdir):
    request_id = _approved(office, workdir)
    victim = _old_file(office, office.home / "outside-the-approved-folder.txt")
    result = _repair(
        office, request_id, workdir,
        "-e", f"cleanup_path={workdir}", "-e", "max_age_days=30",
        "-e", json.dumps({"old_files": {"files": [{"path": str(victim)}]}}),
    )  # fmt: skip
    _refused(result, "old_files")
    assert victim.exists(), "an extra var replaced what the play found and deleted another file"
    assert (workdir / "old.log").exists()


@pytest.mark.parametrize("path", ["/etc", "/", "/usr/lib", "/boot", "/var/lib/mysql", "/root"])
def test_a_path_the_procedure_does_not_allow_is_refused_at_request(office, path):
    made = office.sop(
        "request", "6.1", "--target", "ctl1", "--reason", "disk penuh",
        "--param", f"cleanup_path={path}", "--param", "max_age_days=30",
    )  # fmt: skip
    assert made.returncode == 2, made.stdout + made.stderr
    assert made.stderr.startswith("sop: error: --param cleanup_path:"), made.stderr
    assert len(made.stderr.strip().splitlines()) == 1
    assert not office.store.exists() or office.count("requests") == 0


def test_the_approver_sees_the_parameters_signed(office, workdir):
    request_id = _request(office, workdir)
    status = office.sop("status", request_id, name=None)
    assert status.returncode == 0, status.stderr
    assert f"cleanup_path = {workdir}" in status.stdout and "max_age_days = 30" in status.stdout
    approved = office.sop("approve", request_id, name="sari")
    assert approved.returncode == 0, approved.stderr
    assert f"cleanup_path = {workdir}" in approved.stdout, approved.stdout


def test_a_done_request_replayed_through_ansible_playbook_is_refused(office, workdir):
    request_id = _approved(office, workdir)
    done = office.sop("run", request_id, *CONFIRM, "--confirm", "6=laporan akhir")
    assert done.returncode == 0, done.stderr
    assert not (workdir / "old.log").exists()
    again = _old_file(office, workdir / "old.log")
    _refused(_repair(office, request_id, workdir), f"permintaan {request_id} berstatus selesai")
    assert again.exists(), "the approvals of a done request opened the gate again"


def test_a_cancelled_request_is_refused_by_the_gate_and_by_sop_run(office, workdir):
    request_id = _approved(office, workdir)
    cancelled = office.sop("cancel", request_id, "--reason", "tidak jadi")
    assert cancelled.returncode == 0, cancelled.stderr
    _refused(_repair(office, request_id, workdir), f"permintaan {request_id} berstatus dibatalkan")
    run = office.sop("run", request_id, *CONFIRM, "--confirm", "6=laporan akhir")
    assert run.returncode == 4 and "berstatus dibatalkan" in run.stderr, run.stderr
    assert (workdir / "old.log").exists()
    assert office.sop("audit", "verify", name=None).returncode == 0


def test_removing_services_yml_no_longer_removes_a_gate(office, workdir):
    # ctl2 serves the critical simpeg: the request fixed that impact when it was made
    # (6.1 names no Pimpinan, issue 16: the PJ's approval is its only gate).
    request_id = _approved(office, workdir, target="ctl2")
    status = office.sop("status", request_id, name=None)
    assert "simpeg (critical)" in status.stdout
    (office.inventory / "services.yml").unlink()  # the petugas owns the inventory folder
    run = office.sop("run", request_id, *CONFIRM, "--confirm", "6=laporan akhir")
    assert run.returncode == 4, run.stdout + run.stderr
    assert "dampak" in run.stderr and "simpeg" in run.stderr, run.stderr
    assert (workdir / "old.log").exists(), "a gate vanished with services.yml"


def test_a_step_before_the_gate_checks_the_request(office, workdir):
    # SOP 6.1 step 1 (resource_monitor.yml) reads only, but runs for a signed request only.
    result = office.play("resource_monitor.yml", "-l", "ctl1", "-e", "sop_request=999")
    _refused(result, "tidak ada permintaan bernomor 999")
    request_id = _request(office, workdir)
    monitored = office.play(
        "resource_monitor.yml", "-l", "ctl1",
        "-e", f"sop_request={request_id}", "-e", f"@{_params_file(office, workdir)}",
    )  # fmt: skip
    assert monitored.returncode == 0, monitored.stdout[-3000:]
    assert "changed=0" in monitored.stdout
