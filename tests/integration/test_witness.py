"""The audit trail's witness on the lab's backup host, end to end.

Signed actions append to a store; after each, a signed checkpoint goes over SSH
to the forced-command account `sopwitness` on backup.  Then the store's owner
tampers — cuts the tail, recomputes the chain, deletes the newest request with
its entries — and `sop audit verify`, reading the witness back, says what and
where.  An unreachable witness is "cannot verify", never "intact"; the
account cannot rewrite its own log.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text

from sop_runner import keys
from sop_runner.store import engine_for, session_scope
from sop_runner.store.models import Request
from sop_runner.trust import registry
from sop_runner.trust.trail import publish_head, signed_append
from sop_runner.trust.trustfile import TrustRoot
from sop_runner.trust.witness import WitnessUnavailable, fetch, log_id, publish
from tests.support.lab import Lab
from tests.support.sop import run_sop
from tests.support.trail import unguarded
from tests.support.trust import TrustSetup, make_trust_root, with_witness

pytestmark = pytest.mark.lab
OPERATORS = {"ahmad": ["pimpinan"], "sari": ["penanggung_jawab"], "budi": ["petugas"]}


@dataclass
class Anchored:
    """A trust root whose witness is the lab's backup host, and a store of its own."""

    setup: TrustSetup
    trust: TrustRoot
    lab: Lab

    @property
    def url(self) -> str:
        return self.trust.store

    def act(self, count: int = 1, name: str = "budi") -> None:
        """A person's signed requests, each followed by a checkpoint on the witness."""
        operator = registry.current(self.trust).operator(name)
        for _ in range(count):
            with session_scope(self.url) as session:
                row = Request(
                    procedure_id="6.1",
                    targets=["srv1"],
                    params={},
                    reason="uji saksi",
                    requested_by=name,
                    created_at="2026-11-30T08:00:00+00:00",
                )
                session.add(row)
                session.flush()
                signed_append(
                    session,
                    self.setup.key_dir,
                    operator,
                    1,
                    "request.created",
                    f"request/{row.id}",
                    {"procedure": "6.1"},
                )
            publish_head(
                engine_for(self.url), self.trust, name, keys.load_key(self.setup.key_dir, name)
            )

    def sop(self, *args: str, trust_file: Path | None = None) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "SOP_TRUST_FILE": str(trust_file or self.setup.trust_file),
            "SOP_KEY_DIR": str(self.setup.key_dir),
            "SOP_DB_URL": self.url,
            "SOP_DATA_DIR": str(self.setup.folder / "data"),
        }
        return run_sop(*args, env=env, timeout=120)

    def tamper(self, sql: str, **params: object) -> None:
        with unguarded(engine_for(self.url)) as conn:
            conn.execute(text(sql), params)

    def fix_head(self) -> None:
        self.tamper(
            "UPDATE audit_head SET length = (SELECT MAX(seq) FROM audit_entries), "
            "head_hash = (SELECT entry_hash FROM audit_entries ORDER BY seq DESC LIMIT 1)"
        )


def _witness_part(lab: Lab, port: int | None = None) -> dict[str, object]:
    info = lab.state.witness
    return {
        "ssh": {
            "host": str(info["address"]),
            "port": int(port or info["port"]),  # type: ignore[call-overload]
            "user": str(info["user"]),
            "identity_file": str(info["identity_file"]),
            "known_hosts": str(info["known_hosts"]),
        }
    }


@pytest.fixture
def anchored(lab: Lab, tmp_path: Path) -> Iterator[Anchored]:
    setup = make_trust_root(OPERATORS, tmp_path / "keys")
    trust = with_witness(setup, _witness_part(lab))
    yield Anchored(setup, trust, lab)
    setup.remove()


def test_checkpoints_reach_the_witness_and_the_trail_verifies(anchored):
    anchored.act(3)
    checkpoints = fetch(anchored.trust)
    assert [c.size for c in checkpoints] == [1, 2, 3]
    assert {c.log for c in checkpoints} == {log_id(anchored.trust.store)}
    log = anchored.lab.ssh("backup", f"cat {anchored.lab.state.witness['log']}").stdout
    assert checkpoints[-1].line() in log.splitlines()
    result = anchored.sop("audit", "verify")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "rantai audit utuh: 3 entri; disaksikan sampai entri 3" in result.stdout


def test_cut_tail_with_the_head_fixed_fails_and_says_where(anchored):
    anchored.act(4)
    anchored.tamper("DELETE FROM audit_entries WHERE seq >= 3")
    anchored.tamper("DELETE FROM requests WHERE id >= 3")
    anchored.fix_head()
    result = anchored.sop("audit", "verify")
    assert result.returncode == 1, result.stdout
    assert "rantai audit RUSAK di entri 3: truncated:" in result.stdout
    assert "entries 3..4 were deleted" in result.stdout and "utuh" not in result.stdout


def test_newest_request_deleted_with_its_entries_fails(anchored):
    anchored.act(3)
    anchored.tamper("DELETE FROM audit_entries WHERE content LIKE '%request/3%'")
    anchored.tamper("DELETE FROM requests WHERE id = 3")
    anchored.fix_head()
    result = anchored.sop("audit", "verify")
    assert result.returncode == 1, result.stdout
    assert "truncated" in result.stdout and "entries 3..3 were deleted" in result.stdout


def test_recomputed_chain_fails(anchored):
    from sop_runner.audit import GENESIS, link_hash

    anchored.act(3)
    with unguarded(engine_for(anchored.url)) as conn:
        rows = conn.execute(text("SELECT seq, content FROM audit_entries ORDER BY seq")).all()
        prev = GENESIS
        for seq, content in rows:
            if seq == 1:  # request 1 was for another procedure, says the rewritten trail
                content = content.replace('"procedure":"6.1"', '"procedure":"7.5"')
            digest = link_hash(prev, content)
            conn.execute(
                text(
                    "UPDATE audit_entries SET content=:c, prev_hash=:p, entry_hash=:h WHERE seq=:s"
                ),
                {"c": content, "p": prev, "h": digest, "s": seq},
            )
            prev = digest
        conn.execute(text("UPDATE audit_head SET head_hash = :h"), {"h": prev})
    result = anchored.sop("audit", "verify")
    assert result.returncode == 1, result.stdout
    assert "recomputed" in result.stdout and "every checkpoint on the witness (3)" in result.stdout
    # The signer's signature no longer covers what the entry says.
    assert "rantai audit RUSAK di entri 1: bad-signature:" in result.stdout


def test_unreachable_witness_is_reported_never_intact(anchored, tmp_path):
    anchored.act(1)
    # Port 2 on backup: nothing listens there, as when the witness's sshd is down.
    elsewhere = tmp_path / "etc-down" / "trust.yml"
    down = with_witness(anchored.setup, _witness_part(anchored.lab, port=2), elsewhere)
    result = anchored.sop("audit", "verify", trust_file=elsewhere)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "rantai audit tidak dapat diverifikasi: " in result.stdout, result.stdout
    assert "saksi tidak terjangkau: ssh sopwitness@" in result.stdout  # Indonesian by default
    assert "utuh" not in result.stdout and "intact" not in result.stdout
    with pytest.raises(WitnessUnavailable, match="saksi tidak terjangkau"):
        publish(down, fetch(anchored.trust)[0])


def _as_witness_account(lab: Lab, command: str, stdin: str = "") -> subprocess.CompletedProcess:
    info = lab.state.witness
    return subprocess.run(
        [
            "ssh",
            "-F",
            "/dev/null",
            "-i",
            str(info["identity_file"]),
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            f"UserKnownHostsFile={info['known_hosts']}",
            "-o",
            "StrictHostKeyChecking=yes",
            f"{info['user']}@{info['address']}",
            command,
        ],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_witness_account_cannot_rewrite_its_log(lab, anchored):
    anchored.act(1)
    log = str(lab.state.witness["log"])
    before = lab.ssh("backup", f"cat {log}").stdout
    for command in (f"sh -c ': > {log}'", f"cp /dev/null {log}", "append; get", "/bin/sh"):
        done = _as_witness_account(lab, command)
        assert done.returncode == 2 and "only 'append' and 'get'" in done.stderr, command
    forged = before.splitlines()[-1].replace('"size":1', '"size":1,"note":"x"')
    done = _as_witness_account(lab, "append", forged + "\n")
    assert done.returncode == 2 and "exactly the keys" in done.stderr
    assert lab.ssh("backup", f"cat {log}").stdout == before
    # Even with a shell, the account (and root itself) can only append: chattr +a.
    assert lab.state.witness["append_only"] is True
    assert "a" in lab.ssh("backup", f"lsattr {log}").stdout.split()[0]
    shell = lab.ssh("backup", f"runuser -u sopwitness -- sh -c ': > {log}'", check=False)
    assert shell.returncode != 0 and "Operation not permitted" in shell.stderr
    assert lab.ssh("backup", f"truncate -s 0 {log}", check=False).returncode != 0
    assert lab.ssh("backup", f"cat {log}").stdout == before


def test_a_signed_command_publishes_its_checkpoint_by_itself(anchored):
    made = anchored.sop(
        "request", "6.1", "--target", "srv1", "--reason", "disk penuh", "--as", "budi",
        "--param", "cleanup_path=/var/tmp/sop-witness", "--param", "max_age_days=30",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "checkpoint not published" not in made.stderr
    checkpoints = [c for c in fetch(anchored.trust) if c.log == log_id(anchored.trust.store)]
    assert [(c.size, c.signer) for c in checkpoints] == [(1, "budi")]
    result = anchored.sop("audit", "verify")
    assert result.returncode == 0 and "disaksikan sampai entri 1" in result.stdout, result.stdout
