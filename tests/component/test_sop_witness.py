"""The witness account's forced command (scripts/sop-witness) and the syslog witness.

sop-witness runs here as it runs on the witness host: the command asked for in
SSH_ORIGINAL_COMMAND, one line on stdin.  It appends exactly one checkpoint and
refuses everything else with the log untouched.  The syslog witness is a real
UDP and TCP listener on this machine.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
from pathlib import Path

import pytest

from sop_runner import i18n, keys
from sop_runner.config import REPO_ROOT
from sop_runner.trust.trustfile import SyslogWitness, TrustRoot
from sop_runner.trust.witness import WitnessUnavailable, make_checkpoint, parse_line, publish
from tests.support.sop import run_sop

SCRIPT = REPO_ROOT / "scripts" / "sop-witness"


@pytest.fixture
def checkpoint(tmp_path):
    keys.init_key(tmp_path / "keys", "budi")
    return make_checkpoint(
        "sop-pusatdata/test", 7, "ab" * 32, "budi", keys.load_key(tmp_path / "keys", "budi")
    )


@pytest.fixture
def log(tmp_path) -> Path:
    path = tmp_path / "checkpoints.log"
    path.touch(mode=0o640)
    return path


def witness(log: Path, asked: str | None, stdin: bytes = b"") -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin"}
    if asked is not None:
        env["SSH_ORIGINAL_COMMAND"] = asked
    return subprocess.run(
        [str(SCRIPT), "--log", str(log)], input=stdin, capture_output=True, env=env, timeout=30
    )


def test_append_then_get_gives_the_checkpoint_back(log, checkpoint):
    done = witness(log, "append", checkpoint.line().encode() + b"\n")
    assert done.returncode == 0 and done.stdout == b"ok\n", done.stderr
    assert log.read_text() == checkpoint.line() + "\n"
    got = witness(log, "get")
    assert got.returncode == 0 and parse_line(got.stdout.decode().strip()) == checkpoint


@pytest.mark.parametrize(
    ("asked", "why"),
    [
        ("sh -c ': > /var/lib/sop-witness/checkpoints.log'", "only 'append' and 'get'"),
        ("append; rm -f x", "only 'append' and 'get'"),
        ("get --all", "only 'append' and 'get'"),
        ("", "only 'append' and 'get'"),
        (None, "only 'append' and 'get'"),
    ],
)
def test_any_other_command_is_refused(log, checkpoint, asked, why):
    log.write_text(checkpoint.line() + "\n")
    done = witness(log, asked, checkpoint.line().encode())
    assert done.returncode == 2 and why in done.stderr.decode()
    assert log.read_text() == checkpoint.line() + "\n"


def _variants(checkpoint) -> list[tuple[bytes, str]]:
    line = checkpoint.line()
    data = json.loads(line)
    return [
        (line.encode() + b"\n" + line.encode() + b"\n", "more than one line"),
        (line.encode() + b"\r\n", "more than one line"),
        (json.dumps({**data, "note": "x"}).encode(), "exactly the keys"),
        (json.dumps({k: v for k, v in data.items() if k != "signer"}).encode(), "exactly the keys"),
        (line.replace('"size":7', '"size":7,"size":8').encode(), "a key appears twice"),
        (line.replace('"size":7', '"size":NaN').encode(), "NaN is not allowed"),
        (line.replace('"size":7', '"size":-7').encode(), "size"),
        (line.replace('"size":7', '"size":"7"').encode(), "size"),
        (line.replace(checkpoint.head_hash, "x" * 64).encode(), "head_hash"),
        (b"[" + line.encode() + b"]", "exactly the keys"),
        (b"\xff\xfe", "not a JSON object"),
        (line.encode() + b" " * 5000, "longer than 4096 bytes"),
    ]


def test_anything_but_one_checkpoint_line_is_refused(log, checkpoint):
    for stdin, why in _variants(checkpoint):
        done = witness(log, "append", stdin)
        assert done.returncode == 2, (stdin[:80], done.stdout)
        assert why in done.stderr.decode(), (stdin[:80], done.stderr)
    assert log.read_bytes() == b""


def test_missing_log_is_not_created(tmp_path, checkpoint):
    missing = tmp_path / "none.log"
    done = witness(missing, "append", checkpoint.line().encode())
    assert done.returncode == 1 and not missing.exists()


def test_parallel_appends_each_land_whole(log, checkpoint):
    line = checkpoint.line().encode()
    procs = [
        subprocess.Popen(
            [str(SCRIPT), "--log", str(log)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            env={"PATH": "/usr/bin:/bin", "SSH_ORIGINAL_COMMAND": "append"},
        )
        for _ in range(12)
    ]
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write(line)
        proc.stdin.close()
    assert all(proc.wait(timeout=30) == 0 for proc in procs)
    lines = log.read_text().splitlines()
    assert len(lines) == 12 and all(parse_line(text) == checkpoint for text in lines)


# --- syslog ---------------------------------------------------------------------------


def _trust(collector: SyslogWitness) -> TrustRoot:
    return TrustRoot(
        path=Path("/etc/sop-pusatdata/trust.yml"),
        threshold=1,
        root_keys=(),
        store="sqlite:////var/lib/sop-pusatdata/sop.db",
        inventory=Path("/srv/inventory"),
        registry=Path("/var/lib/sop-pusatdata/registry"),
        witness_syslog=collector,
    )


def test_checkpoint_reaches_a_udp_syslog_collector(checkpoint):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
        server.bind(("127.0.0.1", 0))
        server.settimeout(5)
        publish(_trust(SyslogWitness("127.0.0.1", server.getsockname()[1], "udp")), checkpoint)
        message = server.recv(8192).decode()
    assert message.startswith("<133>1 ") and message.endswith(checkpoint.line())


def test_checkpoint_reaches_a_tcp_syslog_collector_octet_counted(checkpoint):
    received: list[bytes] = []
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)

        def accept() -> None:
            conn, _ = server.accept()
            with conn:
                while chunk := conn.recv(8192):
                    received.append(chunk)

        thread = threading.Thread(target=accept)
        thread.start()
        publish(_trust(SyslogWitness("127.0.0.1", server.getsockname()[1], "tcp")), checkpoint)
        thread.join(timeout=5)
    length, _, message = b"".join(received).partition(b" ")
    assert int(length) == len(message) and message.endswith(checkpoint.line().encode())


def test_syslog_collector_that_is_down_is_reported(checkpoint, monkeypatch):
    monkeypatch.setattr(i18n, "_chosen", "en")  # the words of the msgid; test_trust_words: id
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(WitnessUnavailable, match=r"witness unreachable: syslog tcp://127\.0\.0\.1"):
        publish(_trust(SyslogWitness("127.0.0.1", port, "tcp")), checkpoint)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root: a root-owned trust file")
def test_sop_audit_checkpoint_publishes_and_verify_needs_a_readable_witness(tmp_path):
    from tests.support.trust import make_trust_root, with_witness

    setup = make_trust_root({"ahmad": ["pimpinan"], "budi": ["petugas"]}, tmp_path / "keys")
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
            server.bind(("127.0.0.1", 0))
            server.settimeout(5)
            witness = {"syslog": {"host": "127.0.0.1", "port": server.getsockname()[1]}}
            with_witness(setup, witness)
            env = {
                **os.environ,
                **setup.env(),
                "SOP_DB_URL": setup.trust.store,
                "SOP_DATA_DIR": str(tmp_path / "data"),
            }

            def sop(*args: str) -> subprocess.CompletedProcess[str]:
                return run_sop(*args, env=env, timeout=120)

            done = sop("audit", "checkpoint", "--as", "budi")
            assert done.returncode == 0, done.stderr
            assert "checkpoint diterbitkan: 0 entri" in done.stdout
            message = server.recv(8192).decode()
        line = message.split(" checkpoint - ", 1)[1]
        assert parse_line(line).signer == "budi"
        stranger = sop("audit", "checkpoint", "--as", "mallory")
        assert stranger.returncode == 2 and "'mallory' tidak ada di registri versi 1" in (
            stranger.stderr
        )
        # Syslog cannot be read back: verification says it cannot verify, never "intact".
        verified = sop("audit", "verify")
        assert verified.returncode == 3, verified.stdout + verified.stderr
        assert "tidak dapat diverifikasi" in verified.stdout and "utuh" not in verified.stdout
    finally:
        setup.remove()
