"""SOP 1.3 steps 2–3: the environment rules (plugins/module_utils/sop_software_env.py) and
the software spec beside the inventory (sop_runner/procedures/software/spec.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from ansible.module_utils.sop_software_env import evaluate, listening_ports, ram_mb, reasons

from sop_runner import i18n
from sop_runner.catalog import load_catalog
from sop_runner.config import REPO_ROOT
from sop_runner.errors import SopError
from sop_runner.procedures.software.params import branch_of
from sop_runner.procedures.software.spec import load_spec


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests read the English messages (the msgids); Indonesian: test_core_words.py."""
    monkeypatch.setattr(i18n, "_chosen", "en")


FACTS = {
    "os_id": "debian",
    "os_version": "12",
    "os_name": "Debian GNU/Linux 12 (bookworm)",
    "cpu_cores": 2,
    "ram_mb": 3900,
    "disk_free_mb": {"/": 10_000},
    "packages": {"libc6": "2.36-9", "python3": "3.11.2-1"},
    "listening_ports": [22, 8081],
}


def test_a_host_that_has_everything_meets_the_spec():
    requires = {
        "os": {"id": "debian", "min_version": "12"},
        "cpu_cores": 1,
        "ram_mb": 64,
        "disk_free_mb": {"/": 50},
        "packages": ["libc6"],
        "ports_free": [8090],
    }
    results = evaluate(requires, FACTS)
    assert [r["check"] for r in results] == [
        "os",
        "cpu_cores",
        "ram_mb",
        "disk_free_mb:/",
        "package:libc6",
        "port_free:8090",
    ]
    assert all(r["ok"] for r in results) and reasons(results) == []


def test_each_unmet_requirement_is_named_with_what_was_found():
    requires = {
        "os": {"id": "debian", "min_version": "13"},
        "ram_mb": 4_194_304,
        "disk_free_mb": {"/srv": 1},
        "packages": ["postgresql-15"],
        "ports_free": [8081],
    }
    lines = reasons(evaluate(requires, FACTS))
    assert lines == [
        "os: needs debian >= 13, found debian 12",
        "ram_mb: needs 4194304, found 3900",
        "disk_free_mb:/srv: needs 1, found None",
        "package:postgresql-15: needs installed, found None",
        "port_free:8081: needs free, found in use",
    ]


def test_versions_compare_as_numbers_not_text():
    newer = {**FACTS, "os_version": "12.10"}
    assert evaluate({"os": {"id": "debian", "min_version": "12.9"}}, newer)[0]["ok"]
    assert not evaluate({"os": {"id": "ubuntu"}}, FACTS)[0]["ok"]


def test_an_unknown_requirement_is_refused():
    with pytest.raises(ValueError, match="'gpu' is not allowed"):
        evaluate({"gpu": 1}, FACTS)


def test_proc_readers():
    tcp = (
        "  sl  local_address rem_address   st\n"
        "   0: 00000000:1F91 00000000:0000 0A 00000000:00000000\n"
        "   1: 0100007F:0016 0100007F:9C40 01 00000000:00000000\n"
    )
    assert listening_ports([tcp]) == [8081]
    assert ram_mb("MemTotal:        4000000 kB\nMemFree: 1 kB\n") == 3906


def test_the_lab_specs_load_and_carry_their_digest():
    spec = load_spec(REPO_ROOT / "inventory" / "lab", "busybox-httpd")
    assert spec.install["package"] == "busybox" and spec.source_code_handed_over
    assert spec.digest.startswith("sha256:") and len(spec.digest) == 71


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: x\n", "name: 'x' must be the file's name|title: missing"),
        ("[1, 2]\n", "a spec is a mapping"),
    ],
)
def test_a_wrong_spec_is_refused_naming_the_field(tmp_path: Path, text: str, message: str):
    (tmp_path / "software").mkdir()
    (tmp_path / "software" / "x.yml").write_text(text)
    with pytest.raises(SopError, match=message):
        load_spec(tmp_path, "x")


def test_a_spec_name_cannot_leave_the_folder(tmp_path: Path):
    with pytest.raises(SopError, match=r"'\.\./x' is not allowed"):
        load_spec(tmp_path, "../x")
    with pytest.raises(SopError, match="no spec 'y'"):
        load_spec(tmp_path, "y")


def test_step_3_follows_step_2s_analysis():
    procedure = load_catalog().get("1.3")
    assert procedure.step(2).kind == "automated" and procedure.step(3).kind == "human"
    assert [c.key for c in procedure.step(3).choices] == ["tersedia", "tidak_tersedia"]
    with pytest.raises(SopError, match="no environment analysis of ctl2"):
        branch_of(["ctl1", "ctl2"], {"ctl1": []})
    met = evaluate({"ram_mb": 64}, FACTS)
    assert branch_of(["ctl1", "ctl2"], {"ctl1": met, "ctl2": met}).choice == "tersedia"
    port = evaluate({"ports_free": [8081]}, FACTS)
    outcome = branch_of(["ctl1", "ctl2"], {"ctl1": met, "ctl2": port})
    assert outcome.choice == "tidak_tersedia"
    assert outcome.note == "tidak terpenuhi — ctl2: port_free:8081 (butuh free, ada in use)"
    assert outcome.data == {"unmet": {"ctl2": ["port_free:8081 (butuh free, ada in use)"]}}
