"""The operators registry holds only what a threshold of the pimpinan's root keys signed."""

from __future__ import annotations

import json
import os
import pwd
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from sop_runner import i18n, keys
from sop_runner.audit import canonical
from sop_runner.errors import SopError
from sop_runner.trust import registry
from sop_runner.trust.trustfile import RootKey
from tests.support.trust import make_trust_root, operator_entries, publish_version


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests name what is refused in the messages' own words (English); that the
    default is Indonesian is tested in test_trust_words.py."""
    monkeypatch.setattr(i18n, "_chosen", "en")


OPERATORS = {
    "ahmad": ["pimpinan"],
    "sari": ["penanggung_jawab"],
    "budi": ["petugas"],
}
NOW = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)


@pytest.fixture
def setup(tmp_path):
    return make_trust_root(OPERATORS, tmp_path / "keys", base=tmp_path, owner_uid=os.getuid())


@pytest.fixture
def setup2(tmp_path):
    """Two root keys (ahmad, rina), both needed."""
    return make_trust_root(
        OPERATORS,
        tmp_path / "keys",
        root_keys=["ahmad", "rina"],
        threshold=2,
        base=tmp_path,
        owner_uid=os.getuid(),
    )


def drop_version(setup, entries, keyids=(), signer_keys=(), previous=None, version=None):
    """Write a version straight into the registry folder, as someone bypassing `sop` would."""
    head = registry.current(setup.trust) if previous is None else None
    signed = {
        "version": version or head.version + 1,
        "previous": previous or head.digest,
        "issued_at": NOW.isoformat(),
        "operators": entries,
    }
    signatures = [
        {
            "keyid": keyid,
            "signature": keys.load_key(setup.key_dir, key).sign(canonical(signed).encode()).hex(),
        }
        for keyid, key in zip(keyids, signer_keys, strict=True)
    ]
    path = setup.registry / f"{signed['version']}.json"
    path.write_text(json.dumps({"signed": signed, "signatures": signatures}))
    return path


def test_version_1_signed_by_the_root_key_verifies(setup):
    assert registry.verify(setup.trust) == []
    head = registry.current(setup.trust)
    assert (head.version, head.previous, head.signed_by) == (1, None, ("ahmad",))
    assert [o.name for o in head.operators] == ["ahmad", "budi", "sari"]


def test_threshold_publishes_only_when_enough_root_keys_signed(setup2):
    doc = publish_version(setup2, {**OPERATORS, "eko": ["petugas"]}, signers=["ahmad"])
    assert not (setup2.registry / "2.json").exists()
    assert registry.current(setup2.trust).version == 1
    registry.sign(setup2.trust, doc, keys.load_key(setup2.key_dir, "rina"), "draft")
    assert registry.publish(setup2.trust, doc) == setup2.registry / "2.json"
    assert registry.current(setup2.trust).signed_by == ("ahmad", "rina")


def test_one_root_key_signing_twice_counts_once(setup2):
    entries = operator_entries(setup2, {**OPERATORS, "eko": ["petugas"]})
    drop_version(setup2, entries, keyids=["ahmad", "ahmad"], signer_keys=["ahmad", "ahmad"])
    assert "version 2: signed by 1 of 2 required root keys" in registry.verify(setup2.trust)[0]


def test_a_version_added_without_signature_is_named_and_stops_current(setup):
    drop_version(setup, operator_entries(setup, {**OPERATORS, "eko": ["petugas"]}))
    assert registry.verify(setup.trust) == [
        "version 2: signed by 0 of 1 required root keys "
        "(operator 'eko' was added as petugas without the pimpinan's signature)"
    ]
    # Not silently version 1: the newer version that does not verify is an error.
    with pytest.raises(SopError, match="does not verify: version 2: signed by 0 of 1"):
        registry.current(setup.trust)


def test_a_role_given_to_oneself_with_ones_own_key_is_refused(setup):
    entries = operator_entries(setup, {**OPERATORS, "budi": ["petugas", "penanggung_jawab"]})
    drop_version(setup, entries, keyids=["budi"], signer_keys=["budi"])
    problems = registry.verify(setup.trust)
    assert problems == [
        "version 2: signed by 0 of 1 required root keys (operator 'budi' was given the role "
        "penanggung_jawab without the pimpinan's signature)",
        "version 2: signature 'budi' is not from a root key of the trust file; "
        "it was made with the key of operator 'budi'",
    ]
    # Claiming the root key's id does not help: the signature is checked with the root key.
    (setup.registry / "2.json").unlink()
    drop_version(setup, entries, keyids=["ahmad"], signer_keys=["budi"])
    assert "signature of root key 'ahmad' does not verify" in registry.verify(setup.trust)[1]
    # And `sop operators sign` refuses his key outright.
    (setup.registry / "2.json").unlink()
    doc, _ = registry.propose(setup.trust, {"operators": entries}, NOW)
    with pytest.raises(SopError, match="is not a root key of the trust file"):
        registry.sign(setup.trust, doc, keys.load_key(setup.key_dir, "budi"), "draft")


def test_a_signed_version_changed_afterwards_does_not_verify(setup):
    path = setup.registry / "1.json"
    data = json.loads(path.read_text())
    data["signed"]["operators"][1]["roles"] = ["penanggung_jawab"]
    path.write_text(json.dumps(data))
    problems = registry.verify(setup.trust)
    assert "version 1: signed by 0 of 1 required root keys" in problems[0]
    assert "signature of root key 'ahmad' does not verify" in problems[1]


def test_the_chain_must_be_unbroken(setup):
    publish_version(setup, {**OPERATORS, "eko": ["petugas"]})
    publish_version(setup, {**OPERATORS, "eko": ["petugas"], "dewi": ["petugas"]})
    # A version signed by the root but not following the one before it.
    entries = operator_entries(setup, OPERATORS)
    drop_version(setup, entries, ["ahmad"], ["ahmad"], previous="ab" * 32, version=4)
    third = registry.read_document(setup.registry / "3.json").digest
    assert registry.verify(setup.trust) == [
        "version 4: does not follow version 3 (its 'previous' is abababababab…, "
        f"version 3 is {third[:12]}…); the chain is broken"
    ]
    (setup.registry / "4.json").unlink()
    (setup.registry / "2.json").unlink()
    assert registry.verify(setup.trust) == [
        f"version 2: missing from {setup.registry} (versions 1..3 must all be there)"
    ]


def test_rollback_to_an_older_version_is_refused(setup):
    publish_version(setup, {**OPERATORS, "eko": ["petugas"]})
    assert registry.current(setup.trust, accepted_version=2).version == 2
    (setup.registry / "2.json").unlink()  # eko's removal undone by deleting the newest version
    problems = registry.verify(setup.trust, accepted_version=2)
    assert problems == [
        f"registry {setup.registry}: the newest version is 1 but version 2 was accepted "
        "already: newer versions were removed (rollback)"
    ]
    with pytest.raises(SopError, match="rollback"):
        registry.current(setup.trust, accepted_version=2)


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("budi\u200d", r"'budi\\u200d' contains U\+200D ZERO WIDTH JOINER"),
        ("bu\u200fdi", r"contains U\+200F RIGHT-TO-LEFT MARK"),
        ("s\u0430ri", r"contains U\+0430 CYRILLIC SMALL LETTER A"),
        ("Budi", r"'Budi' has upper-case letters"),
        ("ｂｕｄｉ", r"contains U\+FF42 FULLWIDTH LATIN SMALL LETTER B"),
        ("b", r"'b' is not allowed; expected 2–32 characters"),
        ("budi santoso", r"'budi santoso' is not allowed; expected 2–32"),
    ],
)
def test_names_outside_the_safe_set_are_refused(setup, name, words):
    entries = operator_entries(setup, OPERATORS)
    entries[2]["name"] = name
    with pytest.raises(SopError, match=r"^operators\.yml: operators\[2\]\.name: .*" + words):
        registry.propose(setup.trust, {"operators": entries}, NOW, source="operators.yml")


@pytest.mark.parametrize(
    ("first", "second", "words"),
    [
        ("budi", "budi", "'budi' is declared twice"),
        ("joko", "j0ko", "'j0ko' looks like 'joko'"),
        ("maya", "rnaya", "'rnaya' looks like 'maya'"),
        ("budi", "bu.di", "'bu.di' looks like 'budi'"),
        ("dewi", "dew-i", "'dew-i' looks like 'dewi'"),
    ],
)
def test_duplicate_and_look_alike_names_are_refused(setup, first, second, words):
    entries = operator_entries(setup, {first: ["petugas"], "x" + second: ["petugas"]})
    entries[0]["name"], entries[1]["name"] = first, second
    entries[1]["unix_user"] = "other"
    with pytest.raises(SopError, match=r"operators\[1\]\.name: " + words):
        registry.propose(setup.trust, {"operators": entries}, NOW)


def test_a_key_shared_by_two_operators_is_refused(setup):
    entries = operator_entries(setup, {**OPERATORS, "eko": ["petugas"]})
    entries[3]["public_key"] = entries[2]["public_key"]
    with pytest.raises(
        SopError, match=r"operators\[3\]\.public_key: the key of 'eko' is also the key of 'budi'"
    ):
        registry.propose(setup.trust, {"operators": entries}, NOW)


def test_identity_rules_hold_even_in_a_version_the_root_signed(setup):
    entries = operator_entries(setup, {**OPERATORS, "eko": ["petugas"]})
    entries[3]["public_key"] = entries[2]["public_key"]
    drop_version(setup, entries, ["ahmad"], ["ahmad"])
    assert registry.verify(setup.trust) == [
        "version 2: operators[3].public_key: the key of 'eko' is also the key of 'budi'; "
        "one key per operator, each person makes their own with `sop keys init`"
    ]


def test_unix_users_map_to_operators_and_are_unique(setup, monkeypatch):
    setup.unix_users["budi"] = "budi.s"
    publish_version(setup, OPERATORS)
    head = registry.current(setup.trust)
    assert head.by_unix_user("budi.s").name == "budi"
    assert head.by_unix_user("budi") is None
    entries = operator_entries(setup, OPERATORS)
    entries[1]["unix_user"] = entries[0]["unix_user"]
    with pytest.raises(SopError, match=r"operators\[1\]\.unix_user: 'ahmad' is already the Unix"):
        registry.propose(setup.trust, {"operators": entries}, NOW)
    entries[1]["unix_user"] = "Sari"
    with pytest.raises(SopError, match=r"operators\[1\]\.unix_user: 'Sari' has upper-case"):
        registry.propose(setup.trust, {"operators": entries}, NOW)
    # The Unix user comes from the uid: $USER is the caller's to set.
    monkeypatch.setenv("USER", "ahmad")
    assert registry.current_unix_user() == pwd.getpwuid(os.getuid()).pw_name


def test_proposal_schema_errors_name_the_field(setup):
    entries = operator_entries(setup, OPERATORS)
    entries[0]["roles"] = ["admin"]
    with pytest.raises(SopError, match=r"^ops.yml: operators\[0\]\.roles\[0\]: 'admin' is not"):
        registry.propose(setup.trust, {"operators": entries}, NOW, source="ops.yml")
    del entries[0]["roles"]
    with pytest.raises(SopError, match=r"operators\[0\]\.roles: missing"):
        registry.propose(setup.trust, {"operators": entries}, NOW)


def test_a_proposal_that_changes_nothing_is_refused(setup):
    with pytest.raises(SopError, match="the same operators as version 1; nothing to propose"):
        registry.propose(setup.trust, {"operators": operator_entries(setup, OPERATORS)}, NOW)


def test_a_stale_draft_cannot_be_signed(setup):
    stale, _ = registry.propose(
        setup.trust, {"operators": operator_entries(setup, {**OPERATORS, "eko": ["petugas"]})}, NOW
    )
    publish_version(setup, {**OPERATORS, "dewi": ["petugas"]})
    with pytest.raises(SopError, match="version 2 is already published with other content"):
        registry.check_draft(setup.trust, stale, "draft")


def test_changes_are_said_in_words():
    old = [
        {"name": "budi", "roles": ["petugas"], "public_key": "A", "unix_user": "budi"},
        {"name": "rudi", "roles": ["petugas"], "public_key": "B", "unix_user": "rudi"},
    ]
    new = [
        {"name": "budi", "roles": ["penanggung_jawab"], "public_key": "C", "unix_user": "budi"},
        {"name": "eko", "roles": ["petugas"], "public_key": "D", "unix_user": "eko"},
    ]
    assert registry.changes(old, new) == [
        "operator 'eko' was added as petugas",
        "operator 'rudi' was removed",
        "operator 'budi' was given the role penanggung_jawab",
        "operator 'budi' lost the role petugas",
        "the key of 'budi' was replaced",
    ]


def test_an_empty_registry_says_how_to_start(tmp_path):
    setup = make_trust_root(OPERATORS, tmp_path / "keys", base=tmp_path, owner_uid=os.getuid())
    (setup.registry / "1.json").unlink()
    assert "holds no version yet; propose version 1" in registry.verify(setup.trust)[0]


def test_raising_the_threshold_is_met_by_signing_the_versions_in_place(setup):
    publish_version(setup, {**OPERATORS, "eko": ["petugas"]})
    rina = keys.init_key(setup.key_dir, "rina")
    raised = replace(
        setup.trust, threshold=2, root_keys=(*setup.trust.root_keys, RootKey("rina", rina))
    )
    assert [p[:47] for p in registry.verify(raised)] == [
        "version 1: signed by 1 of 2 required root keys ",
        "version 2: signed by 1 of 2 required root keys ",
    ]
    for number in (1, 2):
        path = setup.registry / f"{number}.json"
        doc = registry.read_document(path)
        said = registry.check_draft(raised, doc, str(path))
        assert said == (
            ["the first version, with 3 operator(s)"]
            if number == 1
            else ["operator 'eko' was added as petugas"]
        )
        registry.sign(raised, doc, keys.load_key(setup.key_dir, "rina"), str(path))
        assert registry.publish(raised, doc) == path
    assert registry.verify(raised) == []
    assert registry.current(raised).signed_by == ("ahmad", "rina")


def test_a_far_version_number_is_one_problem_not_a_long_loop(setup):
    drop_version(setup, operator_entries(setup, OPERATORS), previous="ab" * 32, version=999999999)
    problems = registry.verify(setup.trust)
    assert problems[0] == (
        f"versions 2..999999998: missing from {setup.registry} "
        "(versions 1..999999999 must all be there)"
    )
    assert len(problems) == 2 and problems[1].startswith("version 999999999: signed by 0 of 1")
