"""A trust document that fitted its schema is remembered by its exact content (issue 17,
`sop status` start-up), never a document that differs from it in any value or type."""

from __future__ import annotations

import copy
import datetime
import subprocess
import sys

import pytest

from sop_runner.trust import schema

# A registry document as `sop operators` publishes it (one operator).
REGISTRY = {
    "signatures": [
        {
            "keyid": "ahmad",
            "signature": "4b" * 64,
        }
    ],
    "signed": {
        "issued_at": "2026-11-30T13:02:24+00:00",
        "operators": [
            {
                "full_name": "Budi",
                "jabatan": "Petugas Pusat Data",
                "name": "budi",
                "nip": None,
                "public_key": "8ilZfX3Va5qHDYJSqIJ5em3P1I5U7wsfXBQjcBJIhYc=",
                "roles": ["petugas"],
                "unix_user": "budi",
            }
        ],
        "previous": None,
        "version": 1,
    },
}


@pytest.fixture
def markers(tmp_path, monkeypatch):
    monkeypatch.setattr(schema, "CACHE_DIR", tmp_path / "__pycache__")
    return tmp_path / "__pycache__"


def _registry() -> dict:
    return copy.deepcopy(REGISTRY)


def test_a_valid_document_leaves_a_marker_and_is_then_not_validated(markers, monkeypatch):
    doc = _registry()
    assert schema.schema_problem("registry", doc) is None
    assert len(list(markers.glob("trust-valid-*"))) == 1

    def refuse(name):  # the marker answers: no validator is built
        raise AssertionError("validated again")

    monkeypatch.setattr(schema, "_validator", refuse)
    assert schema.schema_problem("registry", doc) is None


def test_a_document_differing_in_a_value_or_a_type_is_validated_in_full(markers):
    doc = _registry()
    assert schema.schema_problem("registry", doc) is None
    signed = doc["signed"]
    as_date = {**doc, "signed": {**signed, "issued_at": datetime.date(2026, 11, 30)}}
    assert schema.schema_problem("registry", as_date) is not None
    as_text = {**doc, "signed": {**signed, "version": "1"}}
    assert schema.schema_problem("registry", as_text) is not None
    assert schema.schema_problem("registry", {**doc, "extra": 1}) is not None
    assert len(list(markers.glob("trust-valid-*"))) == 1  # a failure leaves none


def test_a_marker_for_another_schema_does_not_count(markers):
    doc = _registry()
    assert schema.schema_problem("registry", doc) is None
    assert schema.schema_problem("trust", doc) is not None


def test_an_unwritable_cache_validates_each_time(tmp_path, monkeypatch):
    monkeypatch.setattr(schema, "CACHE_DIR", tmp_path / "missing" / "deeper" / "__pycache__")
    assert schema.schema_problem("registry", _registry()) is None
    assert not (tmp_path / "missing").exists()


def test_a_remembered_document_needs_no_jsonschema(markers):
    doc = _registry()
    assert schema.schema_problem("registry", doc) is None
    code = (
        "import sys, pickle\n"
        "from pathlib import Path\n"
        "from sop_runner.trust import schema\n"
        f"schema.CACHE_DIR = Path({str(markers)!r})\n"
        f"doc = pickle.loads({__import__('pickle').dumps(doc)!r})\n"
        "assert schema.schema_problem('registry', doc) is None\n"
        "print('jsonschema' in sys.modules)\n"
    )
    seen = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert seen.stdout.strip() == "False", seen.stderr
