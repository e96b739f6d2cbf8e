"""`--json` for scripts and AWX (issue 17): every listing and status command prints JSON that
validates against its schema in docs/schemas/, and `sop requests` says what waits for whom."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from sop_runner.config import REPO_ROOT
from tests.support.sop import ok

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

SCHEMAS = REPO_ROOT / "docs" / "schemas"
REQUEST = (
    "request", "6.1", "--target", "ctl1", "--reason", "disk penuh",
    "--param", "cleanup_path=/var/tmp/sop-17j", "--param", "max_age_days=30",
)  # fmt: skip


def _valid(name: str, text: str) -> dict:
    """Given a schema name and printed JSON, return the data; fail unless it validates."""
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    data = json.loads(text)
    errors = sorted(Draft202012Validator(schema).iter_errors(data), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]
    return data


def test_every_schema_is_a_valid_json_schema():
    names = sorted(p.name for p in SCHEMAS.glob("*.schema.json"))
    assert len(names) >= 9, names
    for path in SCHEMAS.glob("*.schema.json"):
        Draft202012Validator.check_schema(json.loads(path.read_text()))


@SQLITE
def test_catalog_views_validate(sop_env):
    listed = _valid("list", ok(sop_env.sop("list", "--json")).stdout)
    assert listed["lang"] == "id" and len(listed["procedures"]) >= 22
    config = next(p for p in listed["procedures"] if p["id"] == "3.1")
    assert "Konfigurasi" in config["title"] and config["steps"] > 0
    shown = _valid("show", ok(sop_env.sop("show", "5.1", "--json", "--lang", "en")).stdout)
    assert shown["id"] == "5.1" and shown["lang"] == "en" and shown["errata"]


@SQLITE
def test_status_and_requests_say_who_must_act(sop_env):
    first = ok(sop_env.sop(*REQUEST, "--quiet", operator="budi")).stdout
    assert first == "1\n"
    second = ok(sop_env.sop(*REQUEST, "--quiet", operator="rudi")).stdout.strip()
    status = _valid("status", ok(sop_env.sop("status", "1", "--json")).stdout)
    assert status["request"]["params"] == {"cleanup_path": "/var/tmp/sop-17j", "max_age_days": 30}
    assert status["runs"] == []
    assert status["waiting_for"] == [
        {"what": "approval", "step": 5, "role": "penanggung_jawab", "not": "budi"}
    ]
    # rudi (penanggung jawab) may approve budi's request, not his own.
    for_rudi = _valid(
        "requests", ok(sop_env.sop("requests", "--pending-for", "rudi", "--json")).stdout
    )
    assert [r["id"] for r in for_rudi["requests"]] == [1]
    for_sari = _valid(
        "requests", ok(sop_env.sop("requests", "--pending-for", "sari", "--json")).stdout
    )
    assert [r["id"] for r in for_sari["requests"]] == [1, int(second)]
    mine = _valid(
        "requests", ok(sop_env.sop("requests", "--mine", "--json", operator="rudi")).stdout
    )
    assert [r["id"] for r in mine["requests"]] == [int(second)]
    ok(sop_env.sop("approve", "1", operator="sari"))
    after = _valid("requests", ok(sop_env.sop("requests", "--state", "open", "--json")).stdout)
    waits = {r["id"]: r["waiting_for"] for r in after["requests"]}
    assert waits[1] == [{"what": "run", "step": None, "role": "petugas", "not": None}]
    people = ok(sop_env.sop("requests")).stdout
    assert "menunggu: persetujuan" in people and "`sop run 1`" in people
    # A run that stops for a confirmation is shown, with why.
    assert sop_env.sop("run", "1", operator="budi").returncode == 3
    status = _valid("status", ok(sop_env.sop("status", "1", "--json")).stdout)
    (run,) = status["runs"]
    assert run["status"] == "waiting" and "--confirm 2=NOTE" in run["error"]
    assert [s["number"] for s in run["steps"]] == [1]
    shown = ok(sop_env.sop("status", "1")).stdout
    assert "pelaksanaan 1 oleh budi: menunggu" in shown and "max_age_days = 30" in shown
    refused = sop_env.sop("requests", "--state", "halfway")
    assert refused.returncode == 2 and "--state" in refused.stderr


@SQLITE
def test_audit_grants_register_and_backup_views_validate(sop_env):
    ok(sop_env.sop(*REQUEST, operator="budi"))
    audit = _valid("audit", ok(sop_env.sop("audit", "show", "--last", "5", "--json")).stdout)
    assert audit["entries"] and audit["entries"][-1]["action"] == "request.created"
    grants = _valid("grants", ok(sop_env.sop("grant", "list", "--all", "--json")).stdout)
    assert grants["grants"] == []
    ok(sop_env.sop("register", "add", "ctl1", "--function", "uji", operator="budi"))
    devices = _valid("register", ok(sop_env.sop("register", "list", "--json")).stdout)
    assert [d["name"] for d in devices["devices"]] == ["ctl1"]
    schedule = sop_env.sop(
        "backup", "schedule", "--target", "ctl1", "--repository", "/var/tmp/r",
        "--path", "/srv", "--format", "systemd", "--json", "--as", "budi",
    )  # fmt: skip
    data = _valid("backup-schedule", ok(schedule).stdout)
    assert "--quiet" in data["entries"]["file"] and "sop-backup-file.timer" in data["files"]
    operators = _valid("operators", ok(sop_env.sop("operators", "show", "--json")).stdout)
    assert {o["name"] for o in operators["operators"]} >= {"budi", "sari", "ahmad"}
    overdue = sop_env.sop("backup", "overdue", "--json")
    assert overdue.returncode in (0, 1), overdue.stderr
    _valid("backup-overdue", overdue.stdout)


def test_docs_name_every_schema():
    text = (REPO_ROOT / "docs" / "json.md").read_text()
    for path in Path(SCHEMAS).glob("*.schema.json"):
        assert path.name in text, path.name
