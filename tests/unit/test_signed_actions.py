"""Signed actions: the person's own key over every field; any change breaks the signature."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
from datetime import UTC, datetime

import pytest

from sop_runner import i18n, keys
from sop_runner.audit import GENESIS, canonical
from sop_runner.errors import SopError
from sop_runner.trust import fingerprint, registry, short_fingerprint
from sop_runner.trust.actions import FIELDS, SignedAction, sign_action, verify_action
from tests.support.trust import make_trust_root, publish_version


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests name what is refused in the messages' own words (English); that the
    default is Indonesian is tested in test_trust_words.py."""
    monkeypatch.setattr(i18n, "_chosen", "en")


OPERATORS = {"ahmad": ["pimpinan"], "sari": ["penanggung_jawab"], "budi": ["petugas"]}
NOW = datetime(2025, 1, 6, 8, 30, 15, 123456, tzinfo=UTC)
HEAD = hashlib.sha256(b"head").hexdigest()


@pytest.fixture
def setup(tmp_path):
    return make_trust_root(OPERATORS, tmp_path / "keys", base=tmp_path, owner_uid=os.getuid())


def approve(setup, name="sari", head=HEAD):
    current = registry.current(setup.trust)
    return sign_action(
        setup.key_dir,
        current.operator(name),
        "approve",
        "request/7",
        {"step": 5, "reason": "setuju", "request_hash": "ab" * 32},
        head,
        current.version,
        NOW,
    )


def test_the_payload_holds_every_field(setup):
    signed = approve(setup)
    sari = registry.current(setup.trust).operator("sari")
    assert signed.payload == {
        "action": "approve",
        "subject": "request/7",
        "data": {"step": 5, "reason": "setuju", "request_hash": "ab" * 32},
        "signer": "sari",
        "fingerprint": sari.fingerprint,
        "time": "2025-01-06T08:30:15.123456+00:00",
        "audit_head": HEAD,
        "registry_version": 1,
    }
    assert tuple(sorted(signed.payload)) == tuple(sorted(FIELDS))
    assert len(signed.signature) == 128
    assert verify_action(signed, registry.current(setup.trust)) == []


def test_it_survives_storage_as_json(setup):
    stored = json.loads(json.dumps(approve(setup).as_dict()))
    assert verify_action(SignedAction.from_dict(stored), registry.history(setup.trust)) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("action", "reject"),
        ("subject", "request/8"),
        ("data", {"step": 6, "reason": "setuju", "request_hash": "ab" * 32}),
        ("signer", "budi"),
        ("fingerprint", "SHA256:" + "A" * 43),
        ("time", "2025-01-06T08:30:16.123456+00:00"),
        ("audit_head", GENESIS),
        ("registry_version", 1),  # signed under version 2; version 1 holds the same key
    ],
)
def test_tampering_any_field_breaks_it(setup, field, value):
    publish_version(setup, {**OPERATORS, "eko": ["petugas"]})  # so version 2 exists
    signed = approve(setup)
    assert signed.payload["registry_version"] == 2 and signed.payload[field] != value
    tampered = SignedAction({**signed.payload, field: value}, signed.signature)
    assert verify_action(tampered, registry.history(setup.trust)) != []


def test_tampering_the_signature_or_the_fields_list_breaks_it(setup):
    signed = approve(setup)
    history = registry.history(setup.trust)
    flipped = ("0" if signed.signature[0] != "0" else "1") + signed.signature[1:]
    assert (
        "signature of 'sari' does not verify"
        in (verify_action(SignedAction(signed.payload, flipped), history)[0])
    )
    extra = SignedAction({**signed.payload, "role": "pimpinan"}, signed.signature)
    assert "fields role not allowed" in verify_action(extra, history)[0]
    partial = {k: v for k, v in signed.payload.items() if k != "audit_head"}
    assert (
        "fields audit_head missing"
        in verify_action(SignedAction(partial, signed.signature), history)[0]
    )


def test_fingerprint_form(setup):
    public = setup.public_keys["budi"]
    expected = base64.b64encode(hashlib.sha256(base64.b64decode(public)).digest()).decode()
    assert fingerprint(public) == "SHA256:" + expected.rstrip("=")
    assert len(fingerprint(public)) == len("SHA256:") + 43
    assert short_fingerprint(public) == expected[:12]
    assert registry.current(setup.trust).operator("budi").fingerprint == fingerprint(public)
    with pytest.raises(ValueError):
        fingerprint("not a key")


def test_nobody_signs_in_another_persons_name_without_their_key(setup, tmp_path):
    mine = tmp_path / "budi-keys"
    mine.mkdir(mode=0o700)
    shutil.copy(keys.key_path(setup.key_dir, "budi"), keys.key_path(mine, "budi"))
    sari = registry.current(setup.trust).operator("sari")
    with pytest.raises(SopError, match="key of 'sari': not found"):
        sign_action(mine, sari, "approve", "request/7", {}, HEAD, 1, NOW)
    # His own key saved under her name is not her key.
    shutil.copy(keys.key_path(mine, "budi"), keys.key_path(mine, "sari"))
    with pytest.raises(SopError, match="not the key registry version 1 holds for 'sari'"):
        sign_action(mine, sari, "approve", "request/7", {}, HEAD, 1, NOW)


def test_old_actions_verify_against_the_version_in_force(setup):
    before = approve(setup, "budi")
    keys.init_key(setup.key_dir, "budi", force=True)  # budi lost his key and made a new one
    setup.public_keys.pop("budi")
    publish_version(setup, OPERATORS)
    history = registry.history(setup.trust)
    assert verify_action(before, history) == []
    assert "not in the registry given" in verify_action(before, history[-1])[0]
    after = approve(setup, "budi")
    assert after.payload["registry_version"] == 2 and verify_action(after, history) == []
    # Signed with the old key but claiming the new version: refused.
    forged = SignedAction({**before.payload, "registry_version": 2}, before.signature)
    assert any("does not verify" in p for p in verify_action(forged, history))


def test_bad_head_or_naive_time_is_refused(setup):
    budi = registry.current(setup.trust).operator("budi")
    with pytest.raises(SopError, match="audit head: 'abc' is not a SHA-256"):
        sign_action(setup.key_dir, budi, "confirm", "run/1", {}, "abc", 1, NOW)
    with pytest.raises(SopError, match="timezone-aware"):
        sign_action(setup.key_dir, budi, "confirm", "run/1", {}, HEAD, 1, datetime(2025, 1, 6))


def test_a_fingerprint_that_is_not_the_signers_key_is_refused(setup):
    # Signed by budi's own key, but naming another key as his: the paraf must name his key.
    signed = approve(setup, "budi")
    payload = {**signed.payload, "fingerprint": fingerprint(setup.public_keys["sari"])}
    resigned = keys.load_key(setup.key_dir, "budi").sign(canonical(payload).encode()).hex()
    problems = verify_action(SignedAction(payload, resigned), registry.history(setup.trust))
    assert problems == [
        f"fingerprint {payload['fingerprint']!r} is not the key of 'budi' in registry version 1 "
        f"({fingerprint(setup.public_keys['budi'])})"
    ]
