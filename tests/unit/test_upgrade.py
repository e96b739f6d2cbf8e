"""SOP 4.1/4.2 pure helpers: Debian version comparison, requirement syntax and evaluation,
the verdict, apt output parsing, the outcome of a run."""

from __future__ import annotations

import importlib
import json
import sys

import pytest
from ansible.module_utils import sop_os_upgrade as ou
from ansible.modules import apt_rollback as rb

from sop_runner.procedures.upgrade.models import UpgradeRecord
from sop_runner.procedures.upgrade.verdicts import figures_rows, outcome

FACTS = {
    "release": "12.15",
    "codename": "bookworm",
    "kernel": "6.1.0-18-amd64",
    "packages": {"python3.11": "3.11.2-6+deb12u8", "openssh-server": "1:9.2p1-2+deb12u10"},
    "held": [],
    "simulation": {
        "upgrades": {"python3.11": {"from": "3.11.2-6+deb12u8", "to": "3.11.2-6+deb12u9"}},
        "installs": {},
        "removals": {},
    },
    "simulation_rc": 0,
    "candidates": {
        "openssh-server": {"installed": "1:9.2p1-2+deb12u10", "candidate": "1:9.2p1-2+deb12u10"}
    },
    "apt_releases": [{"codename": "bookworm", "version": "12.15", "suite": "oldstable"}],
    "disk_free_mb": {"/": 3000},
    "kernel_modules": ["overlay"],
}


@pytest.mark.parametrize(
    ("a", "b", "sign"),
    [
        ("1.0", "1.0", 0),
        ("1.0~rc1", "1.0", -1),
        ("1.0", "1.0+deb12u1", -1),
        ("3.11.2-6+deb12u9", "3.11.2-6+deb12u8", 1),
        ("1:9.2p1-2", "9.9", 1),
        ("2026f-0+deb12u1", "2026b-0+deb12u1", 1),
        ("1.10", "1.9", 1),
        ("1.0-1", "1.0-1.1", -1),
        ("5.36.0-7+deb12u4", "5.36.0-7+deb12u3", 1),
        ("3.0.20-1~deb12u2", "3.0.22-1~deb12u2", -1),
    ],
)
def test_debian_version_order(a: str, b: str, sign: int) -> None:
    result = ou.compare_versions(a, b)
    assert (result > 0) - (result < 0) == sign
    reverse = ou.compare_versions(b, a)
    assert (reverse > 0) - (reverse < 0) == -sign


def test_a_required_version_without_epoch_ignores_the_epoch() -> None:
    assert not ou.satisfies("1:9.2p1-2+deb12u10", ">=", "99")
    assert ou.satisfies("1:9.2p1-2+deb12u10", ">=", "9.2")
    assert ou.satisfies("1:9.2p1-2+deb12u10", ">=", "0:1.0")


@pytest.mark.parametrize(
    "bad", ["", "python3 >=", "disk_free_mb:/ >= lots", "release", "kernel_module:x >= 1", "a b c"]
)
def test_malformed_requirements_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="requirement"):
        ou.parse_requirement(bad)


def test_requirements_are_held_against_the_version_after_the_upgrade() -> None:
    reqs = [
        {"application": "arsip", "text": "python3.11 >= 3.11.2-6+deb12u9"},
        {"application": "arsip", "text": "openssh-server >= 99"},
        {"application": "arsip", "text": "release >= 12"},
        {"application": "arsip", "text": "disk_free_mb:/ >= 5000"},
        {"application": "arsip", "text": "kernel_module:overlay"},
        {"application": "arsip", "text": "php8.2 >= 8.2"},
    ]
    results = ou.evaluate(reqs, FACTS)
    assert [r["ok"] for r in results] == [True, False, True, False, True, False]
    assert results[0]["now"] == "3.11.2-6+deb12u8" and results[0]["after"] == "3.11.2-6+deb12u9"
    assert "at most 1:9.2p1-2+deb12u10" in results[1]["reason"]
    assert "3000 MiB" in results[3]["reason"]
    assert "not installed" in results[5]["reason"]


def test_verdict() -> None:
    ok = ou.evaluate([{"application": "a", "text": "python3.11 >= 3.11"}], FACTS)
    assert ou.verdict(ok, FACTS) == {"compatible": True, "reasons": [], "warnings": []}
    bad = ou.evaluate([{"application": "a", "text": "openssh-server >= 99"}], FACTS)
    decision = ou.verdict(bad, FACTS)
    assert not decision["compatible"] and decision["reasons"][0].startswith("a: openssh-server")
    assert ou.verdict(ok, FACTS, "trixie")["reasons"][0].startswith("target release 'trixie'")
    assert ou.verdict(ok, FACTS, "bookworm")["compatible"]
    assert ou.verdict(ok, FACTS, "12")["compatible"]
    assert not ou.verdict(ok, FACTS, min_free_mb=4000)["compatible"]
    assert not ou.verdict(ok, {**FACTS, "simulation_rc": 100})["compatible"]
    held = ou.verdict(ok, {**FACTS, "held": ["openssl"]})
    assert held["compatible"] and "openssl" in held["warnings"][0]


def test_apt_simulation_and_policy_parsing() -> None:
    sim = ou.parse_simulation(
        "Inst perl-base [5.36.0-7+deb12u3] (5.36.0-7+deb12u4 Debian-Security:12/oldstable-security"
        " [amd64])\n"
        "Inst libpam-modules-bin [1.5.2-6+deb12u2] (1.5.2-6+deb12u3 Debian-Security:12/x [amd64])"
        " [libpam-modules:amd64 on libpam-modules-bin:amd64] [libpam-modules:amd64 ]\n"
        "Inst newpkg (1.0 Debian:12/stable [all])\nConf perl-base (5.36.0-7+deb12u4 x [amd64])\n"
        "Remv oldpkg [2.0]\n"
    )
    assert sim["upgrades"]["perl-base"]["to"] == "5.36.0-7+deb12u4"
    assert sim["upgrades"]["libpam-modules-bin"]["from"] == "1.5.2-6+deb12u2"
    assert sim["installs"] == {"newpkg": {"to": "1.0", "origin": "Debian:12/stable", "arch": "all"}}
    assert sim["removals"] == {"oldpkg": "2.0"}
    policy = ou.parse_policy_candidates(
        "openssh-server:\n  Installed: 1:9.2p1-2+deb12u10\n  Candidate: 1:9.2p1-2+deb12u10\n"
        "php8.2:\n  Installed: (none)\n  Candidate: (none)\n"
    )
    assert policy["php8.2"] == {"installed": "", "candidate": ""}
    releases = ou.parse_policy_releases(
        " 500 http://deb.debian.org/debian bookworm/main amd64 Packages\n"
        "     release v=12.15,o=Debian,a=oldstable,n=bookworm,l=Debian,c=main,b=amd64\n"
    )
    assert releases == [
        {"codename": "bookworm", "version": "12.15", "suite": "oldstable", "origin": "Debian"}
    ]


def _rec(kind: str, ok: bool, **data: object) -> UpgradeRecord:
    return UpgradeRecord(host="srv2", kind=kind, ok=ok, data=data)


def test_outcome_of_a_run() -> None:
    assert outcome([_rec("upgrade_analysis", False)]) == "postponed"
    done = [_rec("upgrade_analysis", True), _rec("upgrade_packages", True)]
    assert outcome(done) == "in_progress"
    assert outcome([*done, _rec("upgrade_tests", True)]) == "upgraded"
    failed = [*done, _rec("upgrade_tests", False)]
    assert outcome(failed) == "failed"
    assert outcome([*failed, _rec("upgrade_recovery", True)]) == "failed_recovered"
    assert outcome([*failed, _rec("upgrade_recovery", False)]) == "failed"
    assert outcome([_rec("hw_spec_before", True), _rec("hw_spec_after", False)]) == "cancelled"


def test_before_after_figures() -> None:
    rows = figures_rows(
        [
            _rec("upgrade_analysis", True, baseline={"figures": {"web u": {"median_ms": 2.0}}}),
            _rec("upgrade_tests", True, figures={"web u": {"median_ms": 2.5}}),
        ]
    )
    assert rows == [{"host": "srv2", "check": "web u", "before": 2.0, "after": 2.5}]


def test_rollback_cache_file_names() -> None:
    assert rb.deb_name("libcrypt1", "1:4.4.33-2", "amd64") == "libcrypt1_1%3a4.4.33-2_amd64.deb"
    snap = {"a": {"version": "1"}, "b": {"version": "2"}}
    assert rb.differences(
        snap, {"a": {"version": "1"}, "b": {"version": "3"}, "c": {"version": "9"}}
    ) == [
        {"name": "b", "from": "3", "to": "2"},
        {"name": "c", "from": "9", "to": ""},
    ]


def test_testinfra_missing_is_named_as_a_required_library(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without pytest-testinfra the module fails with Ansible's missing-library message."""
    from ansible.module_utils import basic
    from ansible.module_utils.common.text.converters import to_bytes

    monkeypatch.setitem(sys.modules, "testinfra", None)  # import testinfra -> ImportError
    monkeypatch.delitem(sys.modules, "ansible.modules.os_upgrade_testinfra", raising=False)
    module = importlib.import_module("ansible.modules.os_upgrade_testinfra")
    args = {"ANSIBLE_MODULE_ARGS": {"host": "srv2", "inventory": "/nonexistent/hosts.yml"}}
    monkeypatch.setattr(basic, "_ANSIBLE_ARGS", to_bytes(json.dumps(args)))
    monkeypatch.setattr(basic, "_ANSIBLE_PROFILE", "legacy", raising=False)
    with pytest.raises(SystemExit):
        module.main()
    result = json.loads(capsys.readouterr().out)
    assert result["failed"]
    assert "Failed to import the required Python library (pytest-testinfra)" in result["msg"]
    assert "ansible_python_interpreter" in result["msg"]
    monkeypatch.delitem(sys.modules, "ansible.modules.os_upgrade_testinfra")
