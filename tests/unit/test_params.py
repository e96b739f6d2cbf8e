"""Request parameters against the per-procedure parameter schema (sop_runner/params.py)."""

from __future__ import annotations

from typing import Any

import pytest

from sop_runner import i18n
from sop_runner.catalog import load_catalog
from sop_runner.config import REPO_ROOT
from sop_runner.errors import SopError
from sop_runner.params import allowed_text, validate
from sop_runner.playbooks import gated_params
from sop_runner.requests import parse_params

CATALOG = load_catalog()
HOSTS = ("srv1", "srv2", "gw", "backup")
REPO = "sftp:root@backup:/srv/restic/srv1"
WINDOW = "2025-06-01T22:00+07:00/2025-06-02T02:00+07:00"


@pytest.fixture(autouse=True)
def _english(monkeypatch):
    # What is refused, asserted in the msgids; the Indonesian words: test_params_words.py.
    monkeypatch.setattr(i18n, "_chosen", "en")


def _ok(procedure: str, *pairs: str, **kwargs: Any) -> dict[str, Any]:
    return validate(CATALOG.get(procedure), parse_params(list(pairs)), hosts=HOSTS, **kwargs)


def _refused(procedure: str, *pairs: str, **kwargs: Any) -> str:
    with pytest.raises(SopError) as info:
        _ok(procedure, *pairs, **kwargs)
    message = str(info.value)
    assert "\n" not in message and message.startswith("--param")
    return message


# --- what the guides, the tests and `sop grant` pass is accepted -------------------------

GOOD = [
    # Issue 16: a monitoring request needs no repair parameters; a repair request
    # (after the analysis) follows the monitoring request and fixes them.
    ("6.1", []),
    ("6.1", ["follows=12", "cleanup_path=/var/tmp/app", "max_age_days=30"]),
    ("7.1", ["paths=[/srv/sopdata]", f"repository={REPO}"]),
    ("7.2", ["databases=[mariadb/appdb, postgresql/appdb]", f"repository={REPO}"]),
    ("7.3", ["snapshot=5f1c0a6b", "target=/", "overwrite=false", f"repository={REPO}"]),
    (
        "7.4",
        [
            "snapshot=12345678",
            "engine=mariadb",
            "database=appdb",
            "overwrite=true",
            "repository=/mnt/backup/restic",
        ],
    ),
    ("7.5", [f"repository={REPO}", "max_age_days=365"]),
    ("7.5", ["repository=s3:https://s3.example.id/bucket/srv1"]),
    (
        "5.1",
        [
            "devices=[/dev/loop3]",
            "wipe_method=clear",
            "destination=penggunaan ulang internal",
            "wipe_log_dir=/tmp/pytest-of-root/wipe-logs",
        ],
    ),
    ("4.1", ["change=RAM 16 → 32 GB", "expected_spec=[memory_mb >= 32000, cpu_count >= 4]"]),
    (
        "4.2",
        [
            "target_release=latest",
            "extra_requirements=[openssh-server >= 99]",
            "extra_checks=[port 22, process sshd, package openssh-server >= 1:9, "
            "http http://127.0.0.1:8080/ Portal]",
            "repository=sftp:root@backup:/srv/restic/srv2",
            "maintenance_window=2025-06-01T22:00+07:00/2025-06-02T02:00+07:00",
        ],
    ),
    ("4.2", ["target_release=12", f"repository={REPO}", f"maintenance_window={WINDOW}"]),
    ("3.1", ["config_ref=pr-1"]),
    ("3.1", ["config_ref=42"]),
    (
        "2.4",
        [
            "grant_state=present",
            "grant_user=Andi Wijaya",
            "grant_source=10.77.2.10",
            "grant_target=srv1",
            "grant_port=22",
            "grant_protocol=tcp",
            "grant_ends_at=1767225600",
        ],
    ),
]


@pytest.mark.parametrize(("procedure", "pairs"), GOOD)
def test_what_the_guides_and_tests_pass_is_accepted(procedure: str, pairs: list[str]) -> None:
    typed = _ok(procedure, *pairs)
    assert set(parse_params(pairs)) <= set(typed)


def test_values_come_back_typed_with_defaults_filled_in() -> None:
    assert _ok("7.5", f"repository={REPO}") == {"repository": REPO, "max_age_days": 365}
    restore = _ok("7.3", "snapshot=5f1c0a6b", "target=/srv", f"repository={REPO}")
    assert restore["overwrite"] is False
    upgrade = _ok("4.2", f"repository={REPO}", f"maintenance_window={WINDOW}")
    assert (upgrade["target_release"], upgrade["extra_checks"]) == ("latest", [])
    # Given as text by another caller (-e max_age_days=400): an integer all the same.
    spec = CATALOG.get("7.5")
    assert validate(spec, {"repository": REPO, "max_age_days": "400"})["max_age_days"] == 400
    assert validate(spec, {"repository": REPO, "max_age_days": 365}) == {
        "repository": REPO,
        "max_age_days": 365,
    }


def test_a_reconciliation_request_of_2_4_takes_the_grants_list_alone() -> None:
    grants = [
        {
            "source": "10.77.2.0/24",
            "destination": "10.77.1.11",
            "port": 22,
            "protocol": "tcp",
            "expires_at": 1767225600,
        }
    ]
    procedure = CATALOG.get("2.4")
    assert validate(procedure, {"grants": grants}) == {"grants": grants}
    assert validate(procedure, {"grants": []}) == {"grants": []}
    with pytest.raises(SopError, match=r"^--param grants: given together with grant_state"):
        validate(procedure, {"grants": grants, "grant_state": "present"})
    with pytest.raises(SopError, match=r"^--param grants: entry 1: key 'port': 3306"):
        validate(procedure, {"grants": [{**grants[0], "port": 3306}]})
    with pytest.raises(SopError, match=r"^--param grants: entry 1: 'owner' is not one of its"):
        validate(procedure, {"grants": [{**grants[0], "owner": "x"}]})
    partial = {k: v for k, v in grants[0].items() if k != "destination"}
    with pytest.raises(SopError, match=r"key 'destination' is missing"):
        validate(procedure, {"grants": [partial]})


# --- what is refused, with one line naming the parameter and what is allowed --------------


@pytest.mark.parametrize(
    ("procedure", "pairs", "words"),
    [
        # The three: accepted before, failing only later in the module.
        ("5.1", ["devices=[/dev/loop*]", "wipe_method=clear", "destination=x"],
         ["--param devices: entry 1: '/dev/loop*' has a wildcard", "under /dev/"]),
        ("7.5", [f"repository={REPO}", "max_age_days=0"],
         ["--param max_age_days: 0 is below 365", "allowed: a whole number from 365"]),
        ("7.5", [f"repository={REPO}", "max_age_days=abc"],
         ["--param max_age_days: 'abc' is not a whole number"]),
        ("7.5", [f"repository={REPO}", "max_age_days=364"], ["364 is below 365"]),
        ("7.5", [f"repository={REPO}", "max_age_days=true"], ["True is not a whole number"]),
        ("7.5", [f"repository={REPO}", "max_age_days=365.5"], ["365.5 is not a whole number"]),
        # Issue 16: a policy for database dumps is no shorter than a year either.
        ("7.5", [f"repository={REPO}", "database_max_age_days=364"], ["364 is below 365"]),
        # Unknown names: an extra variable would override the playbook's own.
        ("7.5", [f"repository={REPO}", "retention_today=2030-01-01"],
         ["--param retention_today: procedure 7.5 has no such parameter",
          "allowed: database_max_age_days, max_age_days, repository"]),
        ("6.2", ["x=1"], ["procedure 6.2 has no such parameter; allowed: none"]),
        ("3.1", ["config_ref=pr-1", "config_digest=sha256:00"],
         ["--param config_digest: computed by `sop request 3.1` itself"]),
        # Devices: absolute /dev/ paths, no wildcard, no '..', each once, at least one.
        ("5.1", ["devices=[/dev/sd?]", "wipe_method=clear", "destination=x"], ["wildcard"]),
        ("5.1", ["devices=[/dev/../etc/shadow]", "wipe_method=clear", "destination=x"],
         ["has '..'"]),
        ("5.1", ["devices=[sda]", "wipe_method=clear", "destination=x"], ["'sda' is relative"]),
        ("5.1", ["devices=[/tmp/disk.img]", "wipe_method=clear", "destination=x"],
         ["is not under /dev/"]),
        ("5.1", ["devices=[/dev/]", "wipe_method=clear", "destination=x"],
         ["is not under /dev/"]),
        ("5.1", ["devices=[/dev//sda]", "wipe_method=clear", "destination=x"],
         ["not normalised"]),
        ("5.1", ["devices=[/dev/sdb, /dev/sdb]", "wipe_method=clear", "destination=x"],
         ["names an entry twice"]),
        ("5.1", ["devices=[]", "wipe_method=clear", "destination=x"], ["fewer than 1"]),
        ("5.1", ["devices=/dev/sdb", "wipe_method=clear", "destination=x"],
         ["'/dev/sdb' is not a list"]),
        ("5.1", ["devices=[/dev/sdb]", "wipe_method=shred", "destination=x"],
         ["'shred' is not one of them", "allowed: clear, purge, auto"]),
        ("5.1", ["devices=[/dev/sdb]", "wipe_method=clear", "destination=gudang {{ x }}"],
         ["--param destination", "brace"]),
        ("5.1", ["devices=[/dev/sdb]", "wipe_method=clear", "destination=no"],
         ["False is not text"]),
        ("5.1", ["devices=[/dev/sdb]", "wipe_method=clear"],
         ["--param destination: procedure 5.1 needs it"]),
        ("6.1", ["follows=0"], ["0 is below 1"]),
        ("6.1", ["cleanup_path=/", "max_age_days=30"], ["'/' is never allowed"]),
        ("6.1", ["cleanup_path=/var/tmp/", "max_age_days=30"], ["not normalised"]),
        ("6.1", ["cleanup_path=/var/./tmp", "max_age_days=30"], ["not normalised"]),
        ("6.1", ["cleanup_path=/var/tmp/*.log", "max_age_days=30"], ["wildcard"]),
        ("7.2", ["databases=[oracle/x]", f"repository={REPO}"],
         ["entry 1: 'oracle/x' does not fit", "ENGINE/NAME"]),
        ("7.2", ["databases=[mariadb/a b]", f"repository={REPO}"], ["does not fit"]),
        ("7.3", ["snapshot=latest", "target=/", f"repository={REPO}"], ["'latest' does not fit"]),
        ("7.3", ["snapshot=5f1c0a6b", "target=/", "overwrite=maybe", f"repository={REPO}"],
         ["'maybe' is not true or false"]),
        ("7.5", ["repository=srv/restic"], ["is not a restic repository"]),
        ("7.5", ["repository=sftp:root@backup:/srv/restic/../srv2"], ["has '..'"]),
        ("7.5", ["repository=/srv/restic; rm -rf /"], ["is not a restic repository"]),
        ("2.4", ["grant_state=present", "grant_user=a", "grant_source=10.0.0.0/8",
                 "grant_target=srv1", "grant_port=22", "grant_protocol=tcp",
                 "grant_ends_at=1"], ["'10.0.0.0/8' is wider than /16"]),
        ("2.4", ["grant_state=present", "grant_user=a", "grant_source=10.77.2.10",
                 "grant_target=nohost", "grant_port=22", "grant_protocol=tcp",
                 "grant_ends_at=1"], ["'nohost' is not a host of the inventory"]),
        ("2.4", ["grant_state=present", "grant_user=a", "grant_source=10.77.2.10",
                 "grant_target=srv1", "grant_port=443", "grant_protocol=tcp",
                 "grant_ends_at=1"], ["443 is never allowed", "except 21, 53, 80, 443, 3306"]),
        ("4.1", ["change=RAM", "expected_spec=[memory_mb>=64]"], ["does not fit"]),
        ("4.2", [f"repository={REPO}", "maintenance_window=2025-06-02T02:00+07:00/"
                 "2025-06-01T22:00+07:00"], ["ends before it starts"]),
        ("4.2", [f"repository={REPO}", "maintenance_window=tomorrow"], ["is not START/END"]),
        ("4.2", [f"repository={REPO}", "maintenance_window=2025-06-01T22:00:00+07:00/"
                 "2025-06-02T02:00:00+07:00"], ["is not START/END"]),
        ("4.2", [f"repository={REPO}", "extra_checks=[rm -rf /]", "maintenance_window="
                 "2025-06-01T22:00+07:00/2025-06-02T02:00+07:00"], ["'rm -rf /' does not fit"]),
    ],
)  # fmt: skip
def test_bad_parameters_are_refused_with_one_line(
    procedure: str, pairs: list[str], words: list[str]
) -> None:
    message = _refused(procedure, *pairs)
    for word in words:
        assert word in message, message


def test_values_yaml_cannot_parse_are_checked_when_given_as_data() -> None:
    # `sop request` refuses `devices=[/dev/{sda,sdb}]` already as YAML; other callers
    # hand the value over as data, and it is refused all the same.
    procedure = CATALOG.get("5.1")
    given = {"devices": ["/dev/{sda,sdb}"], "wipe_method": "clear", "destination": "x"}
    with pytest.raises(SopError, match=r"^--param devices: entry 1: .* has a wildcard"):
        validate(procedure, given)
    given = {"devices": ["/dev/sdb"], "wipe_method": "clear", "destination": "{{ lookup('x') }}"}
    with pytest.raises(SopError, match=r"^--param destination: .* brace"):
        validate(procedure, given)
    with pytest.raises(SopError, match=r"^--param destination: 'a\\nb' holds a control"):
        validate(procedure, {**given, "destination": "a\nb"})


def test_derived_parameters_are_checked_when_the_whole_request_is() -> None:
    digest = "sha256:" + "0" * 64
    typed = _ok("3.1", "config_ref=pr-1", f"config_digest={digest}", with_derived=True)
    assert typed == {"config_ref": "pr-1", "stops_services": True, "config_digest": digest}
    assert "config_digest" in _refused("3.1", "config_ref=pr-1", with_derived=True)
    assert "sha256:" in _refused("3.1", "config_ref=pr-1", "config_digest=x", with_derived=True)


def test_allowed_words_name_the_constraints() -> None:
    devices = CATALOG.get("5.1").param("devices")
    assert devices is not None
    assert allowed_text(devices) == (
        "a list [a, b, ...] of an absolute, normalised path without wildcards or '..' "
        "under /dev/, at least 1"
    )
    port = CATALOG.get("2.4").param("grant_port")
    assert port is not None
    assert allowed_text(port) == "a whole number from 1 to 65535 except 21, 53, 80, 443, 3306"


# --- the schema covers every parameter the playbooks use ----------------------------------


def test_every_gated_parameter_is_in_its_procedures_schema() -> None:
    for procedure in CATALOG.procedures:
        names = {p.name for p in procedure.params}
        for step in procedure.steps:
            if not step.playbook:
                continue
            for name in gated_params(step.playbook):
                spec = procedure.param(name)
                assert spec is not None, (procedure.id, step.playbook, name, sorted(names))
                # The request must fix it: typed in, filled in by default, or derived.
                assert spec.required or spec.has_default or spec.derived, (procedure.id, name)
    # Playbooks the catalog's steps do not name, run by a feature for the same procedure.
    for playbook, procedure_id in {
        "remote_access_reconcile.yml": "2.4",
        "os_upgrade_recover.yml": "4.2",
    }.items():
        for name in gated_params(playbook):
            assert CATALOG.get(procedure_id).param(name) is not None, (playbook, name)


def test_playbook_variables_a_request_may_set_are_in_the_schema() -> None:
    # Not gated, but read by the playbook and passed by `sop request` (tests, guides).
    assert CATALOG.get("5.1").param("wipe_log_dir") is not None
    text = (REPO_ROOT / "playbooks" / "dismantle_wipe.yml").read_text()
    assert "wipe_log_dir" in text
