"""The issuer's pure parts: lifetimes, key ids, asks and their signatures, the agent message."""

from __future__ import annotations

import base64
import struct
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sop_runner.errors import SopError
from sop_runner.issuer import agent, certs
from sop_runner.issuer.ask import Ask, check_time, parse_ask
from sop_runner.issuer.policy import sftp_host
from sop_runner.issuer.vendor import key_fingerprint

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def _public(key: Ed25519PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )


def test_lifetime_is_mutu_baku_plus_margin_and_never_past_an_approval():
    margin = timedelta(minutes=10)
    assert certs.step_lifetime(NOW, 600, margin, []) == NOW + timedelta(minutes=20)
    assert certs.step_lifetime(NOW, None, margin, []) == NOW + margin
    soon = NOW + timedelta(minutes=3)
    assert certs.step_lifetime(NOW, 3 * 86400, margin, [NOW + timedelta(days=1), soon]) == soon
    with pytest.raises(SopError, match="tidak ada waktu tersisa"):
        certs.step_lifetime(NOW, 600, margin, [NOW])


def test_key_ids_name_the_request_run_step_and_operator():
    assert certs.step_key_id(5, 3, 5, "budi") == "sop request 5 run 3 step 5 operator budi"
    assert certs.step_key_id(5, None, 1, "budi") == "sop request 5 run - step 1 operator budi"
    assert certs.plan_key_id("root") == "sop plan by root"


def test_an_ask_is_signed_over_every_field_and_a_changed_field_breaks_it():
    key = Ed25519PrivateKey.generate()
    ask = Ask("step", "budi", _public(key), NOW.isoformat(), request=4, run=2, step=5)
    signed = ask.signed_with(lambda text: key.sign(text.encode()).hex())
    received = parse_ask(signed.as_line().strip())
    assert received == signed
    key.public_key().verify(bytes.fromhex(received.signature), received.payload().encode())
    other = Ask("step", "budi", _public(key), NOW.isoformat(), request=4, run=2, step=6)
    assert other.payload() != ask.payload()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b"not json", "bukan satu objek JSON"),
        (b"[]", "bukan satu objek JSON"),
        (b'{"kind": "step"}', "operator: tidak ada atau bukan teks"),
        (
            b'{"kind": "root", "operator": "budi", "public_key": "k", "asked_at": "t",'
            b' "signature": "s"}',
            "kind: 'root' tidak diizinkan",
        ),
        (
            b'{"kind": "step", "operator": "budi", "public_key": "k", "asked_at": "t",'
            b' "signature": "s", "request": -1}',
            "request: -1 tidak diizinkan",
        ),
        (
            b'{"kind": "step", "operator": "budi", "public_key": "k", "asked_at": "t",'
            b' "signature": "s", "hosts": ["srv1"]}',
            "hosts: field tidak dikenal",
        ),
    ],
)
def test_a_malformed_ask_is_one_line_naming_the_field(line, message):
    with pytest.raises(SopError, match=message):
        parse_ask(line)


def test_an_ask_from_another_time_is_refused():
    ask = Ask("step", "budi", "k", (NOW - timedelta(minutes=6)).isoformat())
    with pytest.raises(SopError, match="lebih dari 300 detik"):
        check_time(ask, NOW)
    check_time(Ask("step", "budi", "k", (NOW - timedelta(minutes=4)).isoformat()), NOW)


def test_only_ed25519_keys_are_certified_for_steps():
    with pytest.raises(SopError, match="'ssh-rsa' tidak diizinkan"):
        certs.public_key_of("ssh-rsa AAAA x")
    key = Ed25519PrivateKey.generate()
    assert certs.public_key_of(_public(key)) is not None


def test_the_agent_message_carries_the_certificate_the_key_and_a_lifetime():
    ca, key = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    grant = certs.Grant("id", ("srv1",), NOW, NOW + timedelta(minutes=5), ("10.77.1.1",))
    line = certs.sign(ca, key.public_key(), grant).public_bytes().decode()
    message = agent.add_certificate_message(key, line, "id", 300)
    assert message[0] == agent.ADD_ID_CONSTRAINED
    size = struct.unpack(">I", message[1:5])[0]
    assert message[5 : 5 + size] == b"ssh-ed25519-cert-v01@openssh.com"
    assert base64.b64decode(line.split()[1]) in message
    assert message[-5:] == bytes([agent.CONSTRAIN_LIFETIME]) + struct.pack(">I", 300)


def test_sftp_repository_hosts_and_vendor_key_fingerprints():
    assert sftp_host("sftp:root@backup:/srv/restic/x") == "backup"
    assert sftp_host("sftp:backup:/srv") == "backup"
    assert sftp_host("/srv/restic") is None and sftp_host(7) is None
    key = Ed25519PrivateKey.generate()
    assert key_fingerprint(_public(key)).startswith("SHA256:")
    with pytest.raises(SopError, match="bukan baris kunci publik OpenSSH"):
        key_fingerprint("ssh-ed25519")
