"""Checkpoints: one signed canonical line each, read back strictly, named by their log."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from sop_runner import i18n, keys
from sop_runner.trust import fingerprint
from sop_runner.trust.witness import (
    MAX_LINE,
    checkpoint_problem,
    log_id,
    make_checkpoint,
    parse_line,
    syslog_line,
)


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests name what is refused in the messages' own words (English); that the
    default is Indonesian is tested in test_trust_words.py."""
    monkeypatch.setattr(i18n, "_chosen", "en")


@pytest.fixture
def key(tmp_path):
    public = keys.init_key(tmp_path, "budi")
    return keys.load_key(tmp_path, "budi"), public


def test_checkpoint_is_one_canonical_line_that_reads_back(key):
    private, public = key
    cp = make_checkpoint("sop-pusatdata/abc", 12, "ab" * 32, "budi", private)
    line = cp.line()
    assert "\n" not in line and len(line) < MAX_LINE
    assert sorted(json.loads(line)) == [
        "fingerprint",
        "head_hash",
        "log",
        "signature",
        "signer",
        "size",
        "time",
    ]
    assert parse_line(line) == cp
    assert cp.fingerprint == fingerprint(public)
    assert checkpoint_problem(cp, {cp.fingerprint: ("budi", public)}) is None


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"extra": 1}, "exactly the keys"),
        ({"size": -1}, "size"),
        ({"size": "12"}, "size"),
        ({"head_hash": "AB" * 32}, "head_hash"),
        ({"signer": "Budi"}, "signer"),
        ({"log": "Sop Log"}, "log"),
        ({"signature": "zz"}, "signature"),
    ],
)
def test_a_line_that_is_not_exactly_a_checkpoint_is_refused(key, change, problem):
    cp = make_checkpoint("sop-pusatdata/abc", 1, "ab" * 32, "budi", key[0])
    data = {**json.loads(cp.line()), **change}
    with pytest.raises(ValueError, match=problem):
        parse_line(json.dumps(data))


def test_oversized_and_non_json_lines_are_refused():
    with pytest.raises(ValueError, match="longer than"):
        parse_line("x" * (MAX_LINE + 1))
    with pytest.raises(ValueError, match="not JSON"):
        parse_line("size=3")


def test_checkpoint_signature_binds_every_field(key):
    private, public = key
    cp = make_checkpoint("sop-pusatdata/abc", 5, "cd" * 32, "budi", private)
    known = {cp.fingerprint: ("budi", public)}
    for changed in (replace(cp, size=4), replace(cp, head_hash="ee" * 32), replace(cp, log="x")):
        assert checkpoint_problem(changed, known) == "its signature does not verify"
    assert "is 'sari'" in str(checkpoint_problem(cp, {cp.fingerprint: ("sari", public)}))


def test_log_id_is_the_store_without_driver_or_password():
    one = log_id("postgresql://sop:secret@db.local/sop")
    assert one == log_id("postgresql+psycopg://sop:other@db.local/sop")
    assert one != log_id("postgresql://sop@db.local/sop2")
    assert one.startswith("sop-pusatdata/") and "secret" not in one


def test_syslog_line_is_rfc5424_with_the_checkpoint_as_message(key):
    cp = make_checkpoint("sop-pusatdata/abc", 5, "cd" * 32, "budi", key[0])
    line = syslog_line(cp).decode()
    assert line.startswith("<133>1 ") and " sop-pusatdata " in line
    assert line.endswith(" checkpoint - " + cp.line())


def test_lab_inventory_names_the_witness_the_lab_builds():
    import yaml

    from sop_runner.config import REPO_ROOT
    from sop_runner.lab import witness as lab_witness

    inventory = yaml.safe_load((REPO_ROOT / "inventory/lab/hosts.yml").read_text())
    backup = inventory["all"]["children"]["backup_hosts"]["hosts"]["backup"]
    assert backup["witness_user"] == lab_witness.USER
    assert backup["witness_log"] == lab_witness.LOG
    assert backup["witness_identity_file"] == str(lab_witness.KEY)
    assert backup["witness_known_hosts"] == str(lab_witness.KNOWN_HOSTS)
