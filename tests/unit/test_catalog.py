"""The SOP catalog: the 22 procedures load, match the document's tables, and bad files fail clearly.

The expected values below were written by reading the tables of
/work/shared/sop/SOP-Pusat-Data-Kabupaten-Tegal.txt, independently of the YAML
files, so that a changed YAML file makes these tests fail.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from sop_runner.catalog import (
    PROCEDURES_DIR,
    ROLES,
    SCHEMA_FILE,
    SUBJECTS,
    Catalog,
    Procedure,
    StandardTime,
    Text,
    load_catalog,
)
from sop_runner.errors import SopError

IDS = (
    "1.1",
    "1.2",
    "1.3",
    "1.4",
    "2.1",
    "2.2",
    "2.3",
    "2.4",
    "3.1",
    "3.2",
    "4.1",
    "4.2",
    "5.1",
    "6.1",
    "6.2",
    "6.3",
    "6.4",
    "7.1",
    "7.2",
    "7.3",
    "7.4",
    "7.5",
)

# Short names keep the table below readable, one row per procedure.
P, J, K = "petugas", "penanggung_jawab", "pimpinan"
V, T, U = "vendor", "tamu", "pengguna"

# Actor of every table row, in order (the row count is the step count).
# 7.5 has no table: its steps come from the narrative, as recorded in its errata.
# (7.4's table is whole: its row 4 is the file's last line, without a newline.)
EXPECTED_ACTORS: dict[str, list[str]] = {
    "1.1": [P, P, P],
    "1.2": [J, P, P, P, P, P, P],
    "1.3": [J, P, P, P, V, P, P, P],
    "1.4": [P, P, J, K, V, P, P],
    "2.1": [V, V, V, V, V, V, V, V],
    "2.2": [P, P, P, P, P],
    "2.3": [T, T, T, T, T, T, T, T],
    "2.4": [U, P, U, P, P],
    "3.1": [P, P, J, P, P, P, P, P],
    "3.2": [P, P, P, P],
    "4.1": [J, P, J, K, P, P, P, P, P, P],
    "4.2": [J, P, P, P, J, K, P, P, P, P, P],
    "5.1": [P, J, K, P, P, P, P, P],
    "6.1": [P, P, P, P, P, P],
    "6.2": [P, P, P, P],
    "6.3": [P, P, P, P, P],
    "6.4": [P, P, P, P],
    "7.1": [P, P, P, P],
    "7.2": [P, P, P, P, P],
    "7.3": [P, P, P, P],
    "7.4": [P, P, P, P],
    "7.5": [P, P, P],
}

# Standard time (Mutu Baku: Waktu) of every row, None where the cell is empty.
EXPECTED_TIMES: dict[str, list[str | None]] = {
    "1.1": ["1d", None, None],
    "1.2": [None, "10m", "30m", "10m", "60m", "5m", "30m"],
    "1.3": [None, "10m", None, "30m", None, "1d-3d", "10m", "30m"],
    "1.4": [None, "30m", None, "60m", "1d-3d", "30m", "10m"],
    "2.1": [None, None, "5m", "5m", "8h", None, None, "5m"],
    "2.2": ["5m", None, "3h", None, "5m"],
    "2.3": [None, "5m", "5m", None, "10m", None, "5m", None],
    "2.4": [None, "5m", "60m", "5m", "10m"],
    "3.1": [None, "10m", "10m-60m", "60m", "10m", "10m", "120m", "30m"],
    "3.2": [None, "10m", "10m", "30m"],
    "4.1": [None, "60m", None, "45m", "180m", "240m", None, "10m", "10m", "30m"],
    "4.2": [None, "60m", None, "60m", "10m", "45m", "1d-3d", "180m", "240m", "30m", "30m"],
    "5.1": ["60m", "15m", None, "15m", "30m", "10m", "15m", "15m"],
    "6.1": ["10m", "15m", "30m", "15m", "1d-3d", "30m"],
    "6.2": ["10m", "15m", "30m", "15m"],
    "6.3": ["30m", "10m", "15m", "10m", "15m"],
    "6.4": ["10m", "10m", "5m", "30m"],
    "7.1": ["5m", "5m", "30m-240m", "30m"],
    "7.2": ["5m", "5m", None, "30m-240m", "30m"],
    "7.3": ["5m", "5m", "30m-240m", "30m"],
    "7.4": ["5m", "5m", "30m-240m", "30m"],
    "7.5": [None, None, None],
}

# (step number, approving role, when) of every gate and gated step.
EXPECTED_GATES: dict[str, list[tuple[int, str, str]]] = {
    "1.2": [(1, J, "always")],
    "1.3": [(1, J, "always")],
    "2.1": [(1, J, "always")],
    "2.3": [(1, J, "always")],
    "3.1": [(2, J, "services_affected")],
    "4.1": [(1, J, "always")],
    # The order at step 1 covers the analysis; the Pimpinan approves the upgrade after it.
    "4.2": [(1, J, "always"), (6, K, "services_affected")],
    "5.1": [(3, K, "always")],
    "6.1": [(5, J, "always")],
    # Not in the document's tables: the project's rule that steps destroying data are gated.
    "7.3": [(3, J, "overwrite")],
    "7.4": [(3, J, "overwrite")],
    "7.5": [(2, J, "always")],
}

EXPECTED_REPORTS: dict[str, str | None] = {
    "1.1": None,
    "1.2": "Laporan hasil instalasi",
    "1.3": "Laporan instalasi perangkat lunak",
    "1.4": None,
    "2.1": None,
    "2.2": None,
    "2.3": None,
    "2.4": None,
    "3.1": "Laporan hasil konfigurasi",
    "3.2": None,
    "4.1": "Laporan hasil peningkatan",
    "4.2": "Laporan hasil peningkatan sistem operasi",
    "5.1": "Laporan penghentian perangkat keras",
    "6.1": "Laporan hasil monitoring dan perawatan",
    "6.2": "Laporan monitoring berkala",
    "6.3": None,
    "6.4": None,
    "7.1": "Laporan hasil backup file",
    "7.2": "Laporan hasil backup file",
    "7.3": "Laporan hasil restore file",
    "7.4": "Laporan hasil restore data",
    "7.5": "Laporan hasil backup file",
}


# The parameters a request may fix, per procedure, in file order (sop_runner/params.py):
# name, type, and R (required), D (a default) or X (derived: computed by `sop request`).
# Every parameter the procedure's playbooks use; none for the guided procedures.
EXPECTED_PARAMS: dict[str, list[tuple[str, str, str]]] = {
    "1.1": [("delivery", "integer", "")],
    "1.3": [
        ("software", "string", "R"),
        ("method", "string", "D"),
        ("spec_digest", "string", "RX"),
    ],
    "1.2": [
        (name, "string", "") for name in ("device", "rack", "feed", "switch", "prefix", "interface")
    ],
    "1.4": [
        ("services", "list", "D"),
        ("maintenance_window", "time_window", ""),
        ("facility", "string", ""),
        ("facility_kind", "string", ""),
        ("vendor", "text", ""),
        ("model", "text", ""),
        ("serial", "text", ""),
    ],
    "2.1": [("coordinated", "boolean", "D"), ("visit", "integer", "")],
    "2.2": [("visit", "integer", "")],
    "2.3": [("visit", "integer", "")],
    "2.4": [
        ("grant_state", "string", "R"),
        ("grant_user", "text", "R"),
        ("grant_source", "ipv4_network", "R"),
        ("grant_target", "host", "R"),
        ("grant_port", "integer", "R"),
        ("grant_protocol", "string", "R"),
        ("grant_ends_at", "integer", "R"),
        ("grants", "list", ""),
        ("grant_vendor_key", "string", ""),
        ("grant_account", "string", ""),
        ("grant_key_ids", "list", ""),
        ("grant_revoke_serials", "list", ""),
    ],
    "3.1": [
        ("config_ref", "string", "R"),
        ("stops_services", "boolean", "D"),
        ("config_digest", "string", "RX"),
    ],
    "4.1": [
        ("change", "text", "R"),
        ("expected_spec", "list", "R"),
        ("maintenance_window", "time_window", ""),
    ],
    "4.2": [
        ("target_release", "string", "D"),
        ("extra_requirements", "list", "D"),
        ("extra_checks", "list", "D"),
        ("repository", "repository", "R"),
        ("maintenance_window", "time_window", "R"),
    ],
    "5.1": [
        ("devices", "list", "R"),
        ("wipe_method", "string", "R"),
        ("destination", "text", "R"),
        ("wipe_log_dir", "path", "D"),
    ],
    # Issue 16: none is required; a repair request (follows) fixes the repair's.
    "6.1": [
        ("follows", "integer", ""),
        ("cleanup_path", "path", ""),
        ("max_age_days", "integer", ""),
    ],
    "7.1": [("paths", "list", "R"), ("repository", "repository", "R")],
    "7.2": [("databases", "list", "R"), ("repository", "repository", "R")],
    "7.3": [
        ("snapshot", "string", "R"),
        ("overwrite", "boolean", "D"),
        ("target", "path", "R"),
        ("repository", "repository", "R"),
    ],
    "7.4": [
        ("snapshot", "string", "R"),
        ("overwrite", "boolean", "D"),
        ("engine", "string", "R"),
        ("database", "string", "R"),
        ("repository", "repository", "R"),
    ],
    "7.5": [
        ("repository", "repository", "R"),
        ("max_age_days", "integer", "D"),
        ("database_max_age_days", "integer", ""),
    ],
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


# --- the real catalog --------------------------------------------------------


def test_all_22_procedures_load_in_numeric_order(catalog: Catalog) -> None:
    assert tuple(p.id for p in catalog.procedures) == IDS
    assert catalog.ids == IDS
    assert all(isinstance(p, Procedure) for p in catalog.procedures)


def test_one_file_per_procedure_named_after_its_id() -> None:
    assert sorted(f.stem for f in PROCEDURES_DIR.glob("*.yaml")) == sorted(IDS)


def test_loading_is_cached_per_path(catalog: Catalog) -> None:
    assert load_catalog() is catalog
    assert load_catalog(PROCEDURES_DIR) is catalog


@pytest.mark.parametrize("pid", IDS)
def test_steps_and_actors_match_the_tables(catalog: Catalog, pid: str) -> None:
    procedure = catalog.get(pid)
    assert [s.actor for s in procedure.steps] == EXPECTED_ACTORS[pid]
    assert [s.number for s in procedure.steps] == list(range(1, len(EXPECTED_ACTORS[pid]) + 1))


@pytest.mark.parametrize("pid", IDS)
def test_standard_times_match_the_tables(catalog: Catalog, pid: str) -> None:
    procedure = catalog.get(pid)
    expected = [None if t is None else StandardTime.parse(t) for t in EXPECTED_TIMES[pid]]
    assert [s.standard_time for s in procedure.steps] == expected


_PRINTED = re.compile(r"^(\d+)\s*(?:[-–]\s*(\d+))?\s*(menit|jam|hari)$", re.IGNORECASE)
_PRINTED_UNIT = {"menit": 60, "jam": 3600, "hari": 86400}


def test_printed_times_agree_with_normalized_times(catalog: Catalog) -> None:
    # The printed text and the normalized value are typed separately; they must
    # say the same thing, or the reports would contradict the overrun checks.
    for procedure in catalog.procedures:
        for step in procedure.steps:
            assert (step.standard_time is None) == (step.standard_time_text is None), (
                procedure.id,
                step.number,
            )
            if step.standard_time is None:
                continue
            match = _PRINTED.match(step.standard_time_text.id.strip())
            assert match, (procedure.id, step.number, step.standard_time_text.id)
            size = _PRINTED_UNIT[match[3].lower()]
            low = int(match[1]) * size
            high = int(match[2]) * size if match[2] else low
            assert step.standard_time == StandardTime(low, high), (procedure.id, step.number)


def test_gates_follow_the_document(catalog: Catalog) -> None:
    found = {
        p.id: [(s.number, s.gate_role, s.gate_when) for s in p.gates]
        for p in catalog.procedures
        if p.gates
    }
    assert found == EXPECTED_GATES


def test_automated_steps_and_their_playbooks(catalog: Catalog) -> None:
    automated = [
        (p.id, s.number, s.playbook)
        for p in catalog.procedures
        for s in p.steps
        if s.kind == "automated"
    ]
    assert automated == [
        ("1.3", 2, "software_environment.yml"),
        ("1.3", 6, "software_install.yml"),
        ("1.3", 7, "software_register.yml"),
        ("2.4", 2, "remote_access_grant.yml"),
        ("3.1", 4, "config_apply.yml"),
        ("4.1", 2, "hw_upgrade_before.yml"),
        ("4.1", 6, "hw_upgrade_test.yml"),
        ("4.1", 8, "hw_upgrade_register.yml"),
        ("4.2", 2, "os_upgrade_analysis.yml"),
        ("4.2", 7, "os_upgrade_backup.yml"),
        ("4.2", 8, "os_upgrade_apply.yml"),
        ("4.2", 9, "os_upgrade_test.yml"),
        ("5.1", 1, "dismantle_feasibility.yml"),
        ("5.1", 4, "dismantle_wipe.yml"),
        ("5.1", 5, "dismantle_shutdown.yml"),
        ("5.1", 6, "dismantle_register.yml"),
        ("6.1", 1, "resource_monitor.yml"),
        ("6.1", 5, "resource_repair.yml"),
        ("6.2", 1, "network_monitor.yml"),  # issue 20: the security scan
        ("7.1", 3, "backup_files.yml"),
        ("7.2", 4, "backup_databases.yml"),
        ("7.3", 3, "restore_files.yml"),
        ("7.4", 3, "restore_database.yml"),
        ("7.5", 2, "retention.yml"),
    ]
    repair = catalog.get("6.1").step(5)
    assert (repair.gate_role, repair.gate_when) == ("penanggung_jawab", "always")
    assert "persetujuan penanggung jawab" in repair.notes.id
    # The repair belongs to a repair request (follows), the monitoring to the other.
    monitoring, repairing = {}, {"follows": 1, "cleanup_path": "/var/tmp", "max_age_days": 9}
    assert [s.applies(monitoring) for s in catalog.get("6.1").steps] == [1, 1, 1, 1, 0, 1]
    assert [s.applies(repairing) for s in catalog.get("6.1").steps] == [0, 0, 0, 0, 1, 1]


@pytest.mark.parametrize("pid", IDS)
def test_parameters_of_each_procedure(catalog: Catalog, pid: str) -> None:
    found = [
        (p.name, p.type, ("R" if p.required else "") + ("D" if p.has_default else "")
         + ("X" if p.derived else ""))
        for p in catalog.get(pid).params
    ]  # fmt: skip
    assert found == EXPECTED_PARAMS.get(pid, [])
    for param in catalog.get(pid).params:
        assert param.description.id and param.description.en


def test_parameter_constraints_the_issue_names(catalog: Catalog) -> None:
    age = catalog.get("7.5").param("max_age_days")
    assert age is not None and (age.rule("minimum"), age.default) == (365, 365)
    devices = catalog.get("5.1").param("devices")
    assert devices is not None and devices.items is not None
    assert (devices.items.type, devices.items.rule("prefix")) == ("path", "/dev/")
    assert devices.rule("min_items") == 1 and devices.rule("unique") is True
    port = catalog.get("2.4").param("grant_port")
    assert port is not None and port.rule("exclude") == (21, 53, 80, 443, 3306)
    assert catalog.get("2.4").param("grant_state").alternative_to == "grants"  # type: ignore[union-attr]


def test_kinds_and_fields_are_consistent(catalog: Catalog) -> None:
    for procedure in catalog.procedures:
        assert procedure.steps, procedure.id
        assert len(procedure.goals) >= 1
        for step in procedure.steps:
            assert step.kind in ("human", "automated", "gate")
            assert step.actor in ROLES + SUBJECTS
            assert step.actor in procedure.actors
            if step.kind == "gate":
                assert step.gate_role in ("pimpinan", "penanggung_jawab")
            assert (step.gate_role is None) == (step.gate_when is None)
            assert (step.playbook is not None) == (step.kind == "automated")
            assert step.doc_number.isdigit()


@pytest.mark.parametrize(("pid", "report"), EXPECTED_REPORTS.items())
def test_report_names(catalog: Catalog, pid: str, report: str | None) -> None:
    procedure = catalog.get(pid)
    assert (procedure.report.id if procedure.report else None) == report


def test_doc_numbers_are_as_printed_in_the_tables(catalog: Catalog) -> None:
    # Every table in the document is numbered 1..n; the numbering errata of 4.2
    # and 5.1 are in the narrative, and are kept as errata and step notes.
    for procedure in catalog.procedures:
        assert [s.doc_number for s in procedure.steps] == [
            str(n) for n in range(1, len(procedure.steps) + 1)
        ], procedure.id
    assert "Numbered 11 in the narrative" in catalog.get("4.2").step(10).notes.en
    assert "Numbered 12 in the narrative" in catalog.get("4.2").step(11).notes.en


def _errata_en(procedure: Procedure) -> str:
    return " | ".join(e.en for e in procedure.errata)


def test_known_errata_are_kept(catalog: Catalog) -> None:
    assert "numbered 3.1.2" in _errata_en(catalog.get("3.2"))
    assert "skip step 10" in _errata_en(catalog.get("4.2"))
    assert "repeat step 1 as step 2" in _errata_en(catalog.get("5.1"))
    assert "5.2 SOP Penghentian (Dismantle) Sistem Operasi" in _errata_en(catalog.get("5.1"))


def test_catalog_level_errata(catalog: Catalog) -> None:
    errata = " | ".join(e.en for e in catalog.errata)
    assert "5.2 SOP Penghentian (Dismantle) Sistem Operasi" in errata
    assert "7.3, 7.4 and 7.5 are not listed" in errata
    assert "there is no table 7.5" in errata
    # The table of 7.4 is not truncated: no erratum may say so (issue 16).
    assert "breaks off" not in errata and "truncat" not in errata
    assert all(isinstance(e, Text) for e in catalog.errata)
    # A catalog-level erratum is also the erratum of the procedure it was found at.
    assert catalog.errata[0] in catalog.get("5.1").errata


def test_further_errata_found_in_the_tables(catalog: Catalog) -> None:
    assert "swaps narrative steps 5 and 6" in _errata_en(catalog.get("1.3"))
    assert "swaps narrative steps 1 and 2" in _errata_en(catalog.get("2.1"))
    assert "step 8" in _errata_en(catalog.get("2.3"))
    assert '"Pengguna" (user)' in _errata_en(catalog.get("6.1"))
    assert "no table for 7.5" in _errata_en(catalog.get("7.5"))


def test_procedure_3_1_reads_as_in_the_document(catalog: Catalog) -> None:
    procedure = catalog.get("3.1")
    assert procedure.title == Text("SOP Konfigurasi Perangkat", "Device configuration")
    assert procedure.chapter.get("en") == "Configuration"
    assert procedure.actors == ("penanggung_jawab", "petugas")
    assert [d.id for d in procedure.companion_documents] == [
        "Daftar Log konfigurasi Pusat Data",
        "Dokumentasi konfigurasi",
        "Laporan hasil konfigurasi",
    ]
    assert [g.id for g in procedure.goals] == [
        "Panduan dalam melakukan konfigurasi perangkat pada Pusat Data",
        "Memastikan perangkat dikonfigurasi dan berfungsi dengan baik",
    ]
    step = procedure.step(2)
    assert step.activity.id.startswith("Meminta izin kepada penanggung jawab")
    assert step.prerequisite == Text("Laporan analisis", "Analysis report")
    assert step.standard_time_text == Text("10 Menit", "10 minutes")
    assert step.standard_time.text("en") == "10 minutes"
    assert procedure.step(8).output.get("id") == "Laporan hasil konfigurasi"


def test_unknown_procedure(catalog: Catalog) -> None:
    with pytest.raises(
        SopError, match=r"prosedur '9\.9' tidak dikenal; yang dikenal: 1\.1, 1\.2, .*, 7\.5$"
    ):
        catalog.get("9.9")


def test_unknown_step(catalog: Catalog) -> None:
    with pytest.raises(SopError, match=r"prosedur 3\.1 tidak mempunyai langkah 9; langkahnya 1–8$"):
        catalog.get("3.1").step(9)
    with pytest.raises(SopError, match="tidak mempunyai langkah 0"):
        catalog.get("3.1").step(0)


def test_text_get() -> None:
    text = Text("Laporan", "Report")
    assert (text.get("id"), text.get("en"), text.get()) == ("Laporan", "Report", "Laporan")
    with pytest.raises(SopError, match="bahasa 'fr' tidak diizinkan"):
        text.get("fr")


def _walk(node: Any, where: str, found: list[str]) -> None:
    if isinstance(node, dict):
        if node.get("type") == "object" or "properties" in node:
            if node.get("additionalProperties") is not False:
                found.append(f"{where}: additionalProperties is not false")
            for key, sub in node.get("properties", {}).items():
                if not isinstance(sub, dict) or "description" not in sub:
                    found.append(f"{where}/properties/{key}: no description")
        for key, sub in node.items():
            if key not in ("examples", "default"):
                _walk(sub, f"{where}/{key}", found)
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            _walk(sub, f"{where}/{i}", found)


def test_schema_is_closed_and_described() -> None:
    schema = yaml.safe_load(SCHEMA_FILE.read_text(encoding="utf-8"))
    problems: list[str] = []
    _walk(schema, "", problems)
    assert problems == []
    assert all("description" in d for d in schema["$defs"].values())


# --- malformed files ---------------------------------------------------------


def _broken(tmp_path: Path, pid: str, mutate: Callable[[dict[str, Any]], None]) -> Path:
    """Given a procedure id and a change, return a catalog copy with that file changed."""
    target = tmp_path / "procedures"
    shutil.copytree(PROCEDURES_DIR, target)
    file = target / f"{pid}.yaml"
    data = yaml.safe_load(file.read_text(encoding="utf-8"))
    mutate(data)
    file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


def _error(path: Path) -> str:
    with pytest.raises(SopError) as info:
        load_catalog(path)
    message = str(info.value)
    assert "\n" not in message  # one clear line
    return message


def test_the_copy_itself_loads(tmp_path: Path) -> None:
    path = _broken(tmp_path, "3.1", lambda d: None)
    assert load_catalog(path).get("3.1") == load_catalog().get("3.1")


def test_unknown_key(tmp_path: Path) -> None:
    path = _broken(tmp_path, "3.1", lambda d: d["steps"][0].update(colour="red"))
    message = _error(path)
    assert message.startswith(f"{path / '3.1.yaml'}: steps/0/colour: unknown key; allowed: ")
    assert "activity, actor" in message


def test_unknown_top_level_key(tmp_path: Path) -> None:
    path = _broken(tmp_path, "2.4", lambda d: d.update(owner="x"))
    assert "2.4.yaml: owner: unknown key; allowed: " in _error(path)


def test_bad_actor(tmp_path: Path) -> None:
    path = _broken(tmp_path, "3.1", lambda d: d["steps"][3].update(actor="satpam"))
    assert _error(path).endswith(
        "3.1.yaml: steps/3/actor: 'satpam' is not allowed; allowed: pimpinan, "
        "penanggung_jawab, petugas, vendor, tamu, pengguna, opd"
    )


def test_actor_not_among_the_procedures_actors(tmp_path: Path) -> None:
    path = _broken(tmp_path, "3.1", lambda d: d["steps"][3].update(actor="vendor"))
    assert _error(path).endswith(
        "3.1.yaml: steps/3/actor: 'vendor' is not one of this procedure's actors "
        "(penanggung_jawab, petugas)"
    )


def test_bad_standard_time_form(tmp_path: Path) -> None:
    path = _broken(tmp_path, "3.1", lambda d: d["steps"][3].update(standard_time="2 hours"))
    message = _error(path)
    assert "3.1.yaml: steps/3/standard_time: '2 hours' is not allowed; expected" in message
    assert "'1d-3d'" in message


def test_bad_standard_time_range(tmp_path: Path) -> None:
    path = _broken(tmp_path, "3.1", lambda d: d["steps"][3].update(standard_time="3d-1d"))
    assert "3.1.yaml: steps/3/standard_time: waktu baku '3d-1d' tidak diizinkan" in _error(path)


def test_missing_title(tmp_path: Path) -> None:
    path = _broken(tmp_path, "1.1", lambda d: d.pop("title"))
    assert _error(path).endswith("1.1.yaml: title: missing; this key is required")


def test_missing_text_language(tmp_path: Path) -> None:
    path = _broken(tmp_path, "1.1", lambda d: d["steps"][1]["activity"].pop("en"))
    assert _error(path).endswith("1.1.yaml: steps/1/activity/en: missing; this key is required")


def test_non_sequential_numbers(tmp_path: Path) -> None:
    path = _broken(tmp_path, "4.1", lambda d: d["steps"][2].update(number=4))
    assert _error(path).endswith(
        "4.1.yaml: steps/2/number: 4 is out of sequence; steps are numbered 1..n in order, "
        "so this one must be 3"
    )


def test_gate_without_role(tmp_path: Path) -> None:
    path = _broken(tmp_path, "3.1", lambda d: d["steps"][1]["gate"].pop("role"))
    assert _error(path).endswith("3.1.yaml: steps/1/gate/role: missing; this key is required")


def test_gate_kind_without_gate(tmp_path: Path) -> None:
    path = _broken(tmp_path, "3.1", lambda d: d["steps"][1].pop("gate"))
    assert _error(path).endswith(
        "3.1.yaml: steps/1/gate: missing; a step of kind 'gate' needs gate.role "
        "(pimpinan or penanggung_jawab) and gate.when"
    )


def test_gate_role_petugas_is_refused(tmp_path: Path) -> None:
    path = _broken(tmp_path, "3.1", lambda d: d["steps"][1]["gate"].update(role="petugas"))
    assert _error(path).endswith(
        "3.1.yaml: steps/1/gate/role: 'petugas' is not allowed; allowed: pimpinan, penanggung_jawab"
    )


def test_bad_gate_when(tmp_path: Path) -> None:
    path = _broken(tmp_path, "3.1", lambda d: d["steps"][1]["gate"].update(when="sometimes"))
    assert "steps/1/gate/when: 'sometimes' is not allowed; allowed: always, " in _error(path)


def test_automated_without_playbook(tmp_path: Path) -> None:
    path = _broken(tmp_path, "6.1", lambda d: d["steps"][0].pop("playbook"))
    assert _error(path).endswith(
        "6.1.yaml: steps/0/playbook: missing; a step of kind 'automated' needs a playbook "
        "(a file under playbooks/)"
    )


def test_playbook_on_a_human_step(tmp_path: Path) -> None:
    path = _broken(tmp_path, "6.1", lambda d: d["steps"][1].update(playbook="x.yml"))
    assert _error(path).endswith(
        "6.1.yaml: steps/1/playbook: only a step of kind 'automated' may name a playbook "
        "(this step is 'human')"
    )


def test_bad_kind(tmp_path: Path) -> None:
    path = _broken(tmp_path, "6.1", lambda d: d["steps"][1].update(kind="robot"))
    assert "6.1.yaml: steps/1/kind: 'robot' is not allowed; allowed: human, automated, gate" in (
        _error(path)
    )


def test_goals_of_different_length(tmp_path: Path) -> None:
    path = _broken(tmp_path, "1.2", lambda d: d["goals"]["en"].pop())
    assert _error(path).endswith(
        "1.2.yaml: goals/en: has 1 goals but goals/id has 2; each Indonesian goal needs "
        "exactly one translation"
    )


def test_id_must_match_file_name(tmp_path: Path) -> None:
    path = _broken(tmp_path, "1.2", lambda d: d.update(id="1.9"))
    assert _error(path).endswith(
        "1.2.yaml: id: '1.9' does not match the file name; the file must be named 1.9.yaml"
    )


def test_doc_number_must_be_text(tmp_path: Path) -> None:
    path = _broken(tmp_path, "1.2", lambda d: d["steps"][0].update(doc_number=1))
    assert "1.2.yaml: steps/0/doc_number: 1 is not allowed; expected string" in _error(path)


def test_invalid_yaml(tmp_path: Path) -> None:
    target = tmp_path / "procedures"
    shutil.copytree(PROCEDURES_DIR, target)
    (target / "2.2.yaml").write_text('id: "2.2"\ntitle: {id: "x", en: [\n', encoding="utf-8")
    message = _error(target)
    assert message.startswith(f"{target / '2.2.yaml'}: bukan YAML yang sah: ")
    assert "baris " in message


def test_file_that_is_not_a_mapping(tmp_path: Path) -> None:
    target = tmp_path / "procedures"
    target.mkdir()
    (target / "1.1.yaml").write_text("- just\n- a list\n", encoding="utf-8")
    assert "1.1.yaml: harus berupa pemetaan field prosedur" in _error(target)


def test_empty_or_missing_directory(tmp_path: Path) -> None:
    assert "tidak berisi berkas prosedur" in _error(tmp_path)
    assert "direktori katalog" in _error(tmp_path / "nowhere")
    assert _error(tmp_path / "nowhere").endswith(": tidak ada")


def test_playbook_must_be_a_plain_file_name(tmp_path: Path) -> None:
    path = _broken(tmp_path, "6.1", lambda d: d["steps"][0].update(playbook="../x.yml"))
    assert _error(path).endswith(
        "6.1.yaml: steps/0/playbook: '../x.yml' is not allowed; expected the file name "
        "(no directory) of the playbook under playbooks/ that runs an automated step, "
        "like 'resource_monitor.yml'"
    )


def test_empty_actors(tmp_path: Path) -> None:
    path = _broken(tmp_path, "6.1", lambda d: d.update(actors=[]))
    assert _error(path).endswith("6.1.yaml: actors: needs at least 1 entry(ies)")


# --- malformed parameter specs -------------------------------------------------


def _param(pid: str, name: str, **changes: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        data.setdefault("params", {}).setdefault(name, {}).update(changes)

    return mutate


def test_unknown_parameter_type(tmp_path: Path) -> None:
    path = _broken(tmp_path, "7.5", _param("7.5", "max_age_days", type="float"))
    message = _error(path)
    assert "7.5.yaml: params/max_age_days/type: 'float' is not allowed; allowed: text, " in message


def test_unknown_key_of_a_parameter(tmp_path: Path) -> None:
    path = _broken(tmp_path, "7.5", _param("7.5", "max_age_days", colour="red"))
    assert "7.5.yaml: params/max_age_days/colour: unknown key; allowed: " in _error(path)


def test_bad_parameter_name(tmp_path: Path) -> None:
    spec = {"type": "text", "description": {"id": "x", "en": "x"}}
    for name in ("Bad-Name", "sop_request"):
        path = _broken(tmp_path / name, "7.5", lambda d, n=name: d["params"].update({n: spec}))
        assert f"7.5.yaml: params/{name}: not allowed as a name; allowed: lowercase" in _error(path)


def test_constraint_of_another_type(tmp_path: Path) -> None:
    path = _broken(tmp_path, "7.5", _param("7.5", "max_age_days", prefix="/dev/"))
    assert _error(path).endswith(
        "7.5.yaml: params/max_age_days/prefix: does not apply to type 'integer'; "
        "allowed: exclude, maximum, minimum"
    )


def test_list_without_items(tmp_path: Path) -> None:
    path = _broken(tmp_path, "7.1", lambda d: d["params"]["paths"].pop("items"))
    assert "7.1.yaml: params/paths/items: a list parameter, and only one, has items" in _error(path)


def test_pattern_needs_allowed_words(tmp_path: Path) -> None:
    path = _broken(tmp_path, "7.3", lambda d: d["params"]["snapshot"].pop("allowed"))
    assert "7.3.yaml: params/snapshot/allowed: missing; a pattern needs" in _error(path)


def test_pattern_must_compile(tmp_path: Path) -> None:
    path = _broken(tmp_path, "7.3", _param("7.3", "snapshot", pattern="[0-9"))
    assert "7.3.yaml: params/snapshot/pattern: not a regular expression" in _error(path)


def test_required_parameter_has_no_default(tmp_path: Path) -> None:
    path = _broken(tmp_path, "7.5", _param("7.5", "repository", default="/srv/restic"))
    assert _error(path).endswith(
        "7.5.yaml: params/repository/default: a required parameter has no default"
    )


def test_default_must_fit_its_own_spec(tmp_path: Path) -> None:
    path = _broken(tmp_path, "7.5", _param("7.5", "max_age_days", default=30))
    assert _error(path).endswith(
        "7.5.yaml: params/max_age_days/default: not accepted by its own spec: "
        "--param max_age_days: 30 di bawah 365; "
        "yang diizinkan: bilangan bulat dari 365 sampai 36500"
    )


def test_alternative_must_name_another_parameter(tmp_path: Path) -> None:
    path = _broken(tmp_path, "2.4", _param("2.4", "grant_state", alternative_to="grant"))
    assert "2.4.yaml: params/grant_state/alternative_to: 'grant' is not another parameter" in (
        _error(path)
    )


def test_a_step_applies_only_by_a_parameter_of_its_procedure(tmp_path: Path) -> None:
    path = _broken(
        tmp_path, "6.1", lambda d: d["steps"][4]["applies"].update(when_param="cleanup_pth")
    )
    message = _error(path)
    assert "6.1.yaml: steps/4/applies/when_param: 'cleanup_pth' is no parameter" in message
