"""Issue 15 part 6 on the lab: SOP 2.4 remote access with a real account on the target.

`sop grant open --vendor-key` has the issuer certify the remote user's own key for the
grant (principal vendor@srv1, until the grant's end, source the user's address).  The
user logs in from the lab's ext host during the grant; after the end the certificate is
refused by sshd itself, and after an early revoke too (the KRL pushed to srv1).  To tell
sshd's refusal from the firewall's, the refused logins go to srv1's second sshd port
(2222), which another grant keeps open.  The remote account log shows the sessions read
back from srv1's sshd log for the certificates' key ids.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.component.test_cli_json import _valid
from tests.support.grant_net import GrantEnv, grant_env, lab_net, timestamp
from tests.support.lab import lab_serving

pytestmark = pytest.mark.lab


@pytest.fixture
def env(lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[GrantEnv]:
    net = lab_net(lab)
    made = grant_env(net, tmp_path, monkeypatch)
    with lab_serving(made.sop_env.trust, lab):
        yield made
    net.nft("flush set inet sop grants")


def _vendor_key(folder: Path, name: str) -> Path:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"{name}@vendor", "-f",
         str(folder / name)],
        check=True,
    )  # fmt: skip
    return folder / name


def _login(env: GrantEnv, key: Path, port: int) -> subprocess.CompletedProcess[str]:
    """Log in from ext as vendor@srv1 with the key and its certificate; run `id -un`."""
    return subprocess.run(
        ["ip", "netns", "exec", env.net.ext_ns, "ssh", "-i", str(key),
         "-o", f"CertificateFile={key}-cert.pub", "-o", "IdentitiesOnly=yes",
         "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
         "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=5",
         "-p", str(port), f"vendor@{env.net.srv_addr}", "id -un"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip


def _open(env: GrantEnv, *args: str) -> tuple[int, str]:
    cp = env.sop(
        "grant", "open", "--user", "andi", "--source", env.net.ext_addr, "--target", "srv1",
        "--reason", "perbaikan aplikasi SIMPEG", *args,
    )  # fmt: skip
    assert cp.returncode == 0, cp.stdout + cp.stderr
    return int(cp.stdout.split()[1]), cp.stdout


def test_vendor_certificate_lives_with_its_grant_and_the_log_shows_its_session(env, lab, tmp_path):
    # Port 2222 of srv1 (the same sshd) stays open to ext: refusals there are sshd's own.
    _open(env, "--port", "2222", "--duration", "4m")
    early = _vendor_key(tmp_path, "andi-revoked")
    revoked_id, said = _open(env, "--port", "22", "--duration", "3m", "--vendor-key",
                             f"{early}.pub")  # fmt: skip
    assert f"sertifikat {early}-cert.pub: vendor@srv1 sampai" in said
    assert _login(env, early, 22).stdout.strip() == "vendor"
    cp = env.sop("grant", "revoke", str(revoked_id), "--reason", "pekerjaan selesai")
    assert cp.returncode == 0, cp.stdout + cp.stderr
    refused = _login(env, early, 2222)
    assert refused.returncode == 255 and "Permission denied" in refused.stderr, refused.stderr
    krl = lab.ssh("srv1", "ssh-keygen -Q -l -f /etc/ssh/sop_revoked_keys").stdout
    with env.sop_env.ctx().session() as session:
        from sop_runner.procedures.grants.models import GrantCertificate

        serial = session.query(GrantCertificate).filter_by(grant_id=revoked_id).one().serial
    assert f"serial: {serial}" in krl

    key = _vendor_key(tmp_path, "andi")
    grant_id, _ = _open(env, "--port", "22", "--duration", "12s", "--vendor-key", f"{key}.pub")
    assert _login(env, key, 22).stdout.strip() == "vendor"
    ends = timestamp(env.grant_row(grant_id)["ends_at"])
    time.sleep(max(0.0, ends - time.time()) + 1.5)
    expired = _login(env, key, 2222)
    assert expired.returncode == 255 and "Permission denied" in expired.stderr, expired.stderr

    read = env.sop("grant", "sessions", str(grant_id))
    assert read.returncode == 0, read.stdout + read.stderr
    assert f"vendor@srv1 dari {env.net.ext_addr}:" in read.stdout
    listed = env.sop("grant", "sessions", str(grant_id), "--json")  # issue 17: for scripts
    assert listed.returncode == 0, listed.stdout + listed.stderr
    found = _valid("grant-sessions", listed.stdout)["sessions"]
    assert found and {(s["account"], s["host"], s["source"]) for s in found} == {
        ("vendor", "srv1", env.net.ext_addr)
    }
    report = env.sop("grant", "report", "--lang", "en", "--out", str(tmp_path))
    assert report.returncode == 0, report.stderr
    text = Path(report.stdout.split()[0]).read_text()
    sessions = text.split("## Remote account sessions")[1].split("## Anomalies")[0]
    assert f"| {grant_id} | vendor@srv1 | {env.net.ext_addr}:" in sessions
    assert f"| {revoked_id} | vendor@srv1 | {env.net.ext_addr}:" in sessions
    assert "remote user andi as vendor@srv1 operator budi" in sessions
