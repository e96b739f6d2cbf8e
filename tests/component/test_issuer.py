"""The SSH certificate issuer against a petugas with an ordinary Unix account (issue 15,
part 5): the real daemon as root on its own socket, a CA of the test's own, the office
of tests/support/office.py (budi's Unix account is the throwaway user; sari and ahmad
act with their own key folders)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sop_runner.config import REPO_ROOT
from tests.support.attacker import RUNUSER
from tests.support.issuer import RunningIssuer, ask_as, make_ca, serving
from tests.support.office import Office, office_for

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="needs root: the issuer, a root-owned CA key, a throwaway user"
)

CONTROLLER = "10.9.9.9"
REQUEST = (
    "request", "6.1", "--target", "ctl1", "--reason", "disk penuh",
    "--param", "cleanup_path=/var/tmp/sop-issuer-test", "--param", "max_age_days=30",
)  # fmt: skip


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    with office_for(tmp_path) as made:
        yield made


@pytest.fixture
def issuer(office: Office, tmp_path: Path) -> Iterator[RunningIssuer]:
    ca_key = make_ca(tmp_path / "ca")
    with serving(office.setup.trust_file, ca_key, [CONTROLLER]) as running:
        yield running


def _ask(office: Office, issuer: RunningIssuer, name: str = "budi", **fields: object) -> dict:
    """Ask the issuer from budi's account, with the key folder of `name`, as `name` unless
    the fields say otherwise."""
    fields.setdefault("operator", name)
    return ask_as(office.user, issuer.socket, office.keys_of(name), **fields)


def _certificate_text(certificate: str, tmp_path: Path) -> str:
    path = tmp_path / "step-cert.pub"
    path.write_text(certificate + "\n")
    return subprocess.run(
        ["ssh-keygen", "-L", "-f", str(path)], capture_output=True, text=True, check=True
    ).stdout


def test_the_petugas_cannot_read_the_ca_key(office, issuer):
    key = Path(str(issuer.ca_public_key).removesuffix(".pub"))
    assert (key.stat().st_uid, key.stat().st_mode & 0o777) == (0, 0o600)
    read = subprocess.run(
        [RUNUSER, "-u", office.user, "--", "cat", str(key)], capture_output=True, text=True
    )
    assert read.returncode != 0 and "BEGIN OPENSSH PRIVATE KEY" not in read.stdout


def test_no_certificate_before_approval_then_exactly_the_request_hosts(office, issuer, tmp_path):
    created = office.sop(*REQUEST)
    assert created.returncode == 0, created.stderr
    refused = _ask(office, issuer, kind="step", request=1, step=5)
    assert "memerlukan persetujuan sah dari penanggung_jawab" in refused["error"], refused
    # The step before the first gate (read-only monitoring) is certified on the signed request.
    early = _ask(office, issuer, kind="step", request=1, step=1)
    assert early["principals"] == ["ctl1"] and early["key_id"].endswith("step 1 operator budi")
    approved = office.sop("approve", "1", name="sari")
    assert approved.returncode == 0, approved.stderr
    issued = _ask(office, issuer, kind="step", request=1, step=5)
    assert issued["principals"] == ["ctl1"], "ctl2 is not in the request"
    assert issued["key_id"] == "sop request 1 run - step 5 operator budi"
    with sqlite3.connect(office.store) as conn:
        expires = conn.execute("SELECT expires_at FROM approvals").fetchone()[0]
    # Mutu Baku 1-3 days + margin is longer than the approval (24 h): the approval bounds it.
    assert datetime.fromisoformat(issued["valid_before"]) == datetime.fromisoformat(expires)
    text = _certificate_text(issued["certificate"], tmp_path)
    assert f"source-address {CONTROLLER}" in text and "permit-port-forwarding" not in text
    assert "Principals: \n                ctl1\n" in text
    log = issuer.log_entries()
    assert [e["decision"] for e in log] == ["refused", "issued", "issued"]
    assert log[-1]["caller"]["user"] == office.user and log[-1]["serial"] == issued["serial"]
    with sqlite3.connect(office.store) as conn:
        contents = [json.loads(row[0]) for row in conn.execute("SELECT content FROM audit_entries")]
    actions = [c["action"] for c in contents if c["actor"] == "issuer"]
    assert actions == ["certificate.refused", "certificate.issued", "certificate.issued"]


def test_another_operators_name_a_forged_approval_a_plan_or_a_done_request_get_nothing(
    office, issuer
):
    assert office.sop(*REQUEST).returncode == 0
    assert office.sop(*REQUEST).returncode == 0
    assert office.sop("approve", "1", name="sari").returncode == 0
    # sari's key in hand (stolen) does not make budi's account sari.
    stolen = _ask(office, issuer, name="sari", kind="step", request=1, step=5)
    assert "bukan akun operator sari" in stolen["error"], stolen
    # budi's account claiming sari, signed with budi's key.
    claimed = _ask(office, issuer, kind="step", request=1, step=5, operator="sari", signer="budi")
    assert "bukan akun operator sari" in claimed["error"], claimed
    # A forged approval written into the store (budi owns the SQLite file) opens nothing.
    with sqlite3.connect(office.store) as conn:
        row = conn.execute("SELECT * FROM approvals WHERE request_id = 1").fetchone()
        columns = [c[1] for c in conn.execute("PRAGMA table_info(approvals)")]
        forged = dict(zip(columns, row, strict=True))
        forged.update(id=None, request_id=2, signature="00" * 64)
        conn.execute(
            f"INSERT INTO approvals ({', '.join(columns)}) VALUES "
            f"({', '.join('?' for _ in columns)})",
            [forged[c] for c in columns],
        )
    forged_answer = _ask(office, issuer, kind="step", request=2, step=5)
    assert "memerlukan persetujuan sah" in forged_answer["error"], forged_answer
    # A preview without a request is for root's service only.
    plan = _ask(office, issuer, kind="plan", targets=["ctl2"])
    assert "hanya diberi sertifikat untuk root" in plan["error"], plan
    # A done request's approval opens nothing any more.
    with sqlite3.connect(office.store) as conn:
        conn.execute("UPDATE requests SET status = 'done' WHERE id = 1")
    done = _ask(office, issuer, kind="step", request=1, step=5)
    assert done["error"].startswith("issuer menolak: permintaan 1 berstatus selesai"), done
    # An old ask (replayed) is not answered.
    old = (datetime.now(UTC) - timedelta(hours=1)).isoformat(timespec="seconds")
    replayed = _ask(office, issuer, kind="step", request=2, step=1, asked_at=old)
    assert "dari jam issuer" in replayed["error"], replayed
    assert not [e for e in issuer.log_entries()[1:] if e["decision"] == "issued"]


def test_sop_run_loads_each_steps_certificate_into_the_runs_own_agent(office, issuer):
    cleanup = Path("/var/tmp/sop-issuer-test")  # the request's cleanup_path, on ctl1
    cleanup.mkdir(exist_ok=True)
    office.own(cleanup)
    try:
        _run_and_check(office, issuer)
    finally:
        shutil.rmtree(cleanup, ignore_errors=True)


def _run_and_check(office: Office, issuer: RunningIssuer) -> None:
    assert office.sop(*REQUEST).returncode == 0
    assert office.sop("approve", "1", name="sari").returncode == 0
    confirms = ("--confirm", "2=ok", "--confirm", "3=ok", "--confirm", "4=ok", "--confirm", "6=ok")
    ran = office.sop("run", "1", *confirms)
    # ctl1 is critical only for ctl2: the run needs no Pimpinan; it reaches the end.
    assert ran.returncode == 0, ran.stdout + ran.stderr
    issued = [e for e in issuer.log_entries() if e["decision"] == "issued"]
    assert [e["key_id"] for e in issued] == [
        "sop request 1 run 1 step 1 operator budi",
        "sop request 1 run 1 step 5 operator budi",
    ]
    # The run's agent is gone with the run: no folder of it is left (other runs on this
    # machine, root's among them, may have folders of their own there meanwhile).
    leftovers = subprocess.run(
        ["find", "/tmp", "-maxdepth", "1", "-name", "sop-run-*", "-user", office.user],
        capture_output=True,
        text=True,
    )
    assert leftovers.stdout.strip() == ""


def test_the_issuer_refuses_to_start_with_a_ca_key_others_can_read(office, tmp_path):
    ca_key = make_ca(tmp_path / "ca")
    ca_key.chmod(0o640)
    refused = pytest.raises(RuntimeError, match="harus berkas milik root dengan mode 0600")
    with refused, serving(office.setup.trust_file, ca_key, [CONTROLLER]):
        pass
    started = subprocess.run(
        [sys.executable, "-m", "sop_runner.issuer", "serve", "--trust-file", "/nonexistent"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )
    assert started.returncode == 2 and len(started.stderr.strip().splitlines()) == 1
