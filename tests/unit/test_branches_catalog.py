"""The document's branches, the table's last row and its column shifts, as the catalog
holds them (issue 16)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sop_runner.catalog import load_catalog
from sop_runner.errors import SopError

PROCEDURES = Path(__file__).resolve().parents[2] / "sop_runner" / "catalog" / "procedures"
SOURCE = Path("/work/shared/sop/SOP-Pusat-Data-Kabupaten-Tegal.txt")


def test_table_7_4_has_its_row_4():
    step = load_catalog().get("7.4").step(4)
    assert step.standard_time is not None and step.standard_time.normalized == "30m"
    assert step.output is not None and step.output.id == "Laporan"
    errata = " ".join(e.id + e.en for e in load_catalog().get("7.4").errata)
    assert "terpotong" not in errata and "breaks off" not in errata


@pytest.mark.skipif(not SOURCE.exists(), reason="the source document is not on this machine")
def test_the_source_document_ends_with_row_4_of_table_7_4():
    last = SOURCE.read_text(encoding="utf-8").rstrip("\n").splitlines()[-1]
    assert last.startswith("4\t") and "30 menit" in last and "Laporan" in last


def test_column_shifts_are_errata():
    catalog = load_catalog()
    assert "step 3 is shifted" in " ".join(e.en for e in catalog.get("2.2").errata)
    assert "steps 2, 3, 5 and 7 are shifted" in " ".join(e.en for e in catalog.get("2.3").errata)
    assert "step 2 is shifted" in " ".join(e.en for e in catalog.get("3.1").errata)


def test_postponement_branch_of_1_2():
    procedure = load_catalog().get("1.2")
    decider = procedure.step(2)
    assert [c.key for c in decider.choices] == ["tersedia", "tidak_tersedia"]
    report = procedure.step(3)
    assert report.applies_when is not None and report.applies_when.choice == "tidak_tersedia"
    assert report.ends_run == "postponed"
    assert all(procedure.step(n).applies_when.choice == "tersedia" for n in (4, 5, 6, 7))


def test_cancellation_branch_of_4_1():
    step = load_catalog().get("4.1").step(7)
    by_key = {c.key: c for c in step.choices}
    assert by_key["batal"].ends_run == "cancelled"
    assert by_key["berhasil"].step_applies is False


def _copy_with(tmp_path: Path, procedure_id: str, old: str, new: str) -> Path:
    folder = tmp_path / "procedures"
    folder.mkdir()
    text = (PROCEDURES / f"{procedure_id}.yaml").read_text()
    assert old in text
    (folder / f"{procedure_id}.yaml").write_text(text.replace(old, new, 1))
    return folder


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "applies_when: {step: 2, choice: tidak_tersedia}",
            "applies_when: {step: 2, choice: habis}",
            "steps/2/applies_when/choice: 'habis' is not a choice of step 2; "
            "allowed: tersedia, tidak_tersedia",
        ),
        (
            "applies_when: {step: 2, choice: tidak_tersedia}",
            "applies_when: {step: 5, choice: tidak_tersedia}",
            "steps/2/applies_when/step: 5 is not an earlier step",
        ),
        (
            "    applies_when: {step: 2, choice: tidak_tersedia}\n",
            "",
            "steps/2/ends_run: a step that ends the run must apply only on its branch",
        ),
        (
            "applies_when: {step: 2, choice: tidak_tersedia}",
            "applies_when: {param: nothing, equals: true}",
            "steps/2/applies_when/param: 'nothing' is not a parameter of this procedure",
        ),
    ],
)
def test_a_branch_that_points_nowhere_is_refused(tmp_path, old, new, message):
    folder = _copy_with(tmp_path, "1.2", old, new)
    with pytest.raises(SopError, match="1.2.yaml: " + message.replace("(", r"\(")):
        load_catalog(folder)


def test_the_pimpinan_approves_4_2_after_the_analysis():
    step = load_catalog().get("4.2").step(6)
    assert (step.gate_role, step.gate_when, step.gate_after) == (
        "pimpinan",
        "services_affected",
        (2, 3, 4),
    )


@pytest.mark.parametrize(
    ("after", "message"),
    [
        ("[2, 6]", "steps/5/gate/after: 6 is not an earlier step; allowed: 1–5"),
        ("[0]", "steps/5/gate/after/0: 0 is less than the minimum of 1"),
        ("[3, 3]", "steps/5/gate/after: 3 is listed twice"),
    ],
)
def test_a_gate_after_steps_that_do_not_come_before_it_is_refused(tmp_path, after, message):
    folder = _copy_with(tmp_path, "4.2", "after: [2, 3, 4]", f"after: {after}")
    with pytest.raises(SopError, match="4.2.yaml: " + message):
        load_catalog(folder)


def test_a_failed_test_takes_the_documents_cancel_branch():
    catalog = load_catalog()
    hardware = catalog.get("4.1").step(6).when_failed
    assert hardware is not None and (hardware.step, hardware.choice) == (7, "batal")
    configuration = catalog.get("3.1").step(4).when_failed
    assert configuration is not None and configuration.ends_run == "cancelled"


@pytest.mark.parametrize(
    ("procedure", "old", "new", "message"),
    [
        (
            "4.1",
            "when_failed: {step: 7, choice: batal}",
            "when_failed: {step: 7, choice: berhasil}",
            "steps/5/when_failed/choice: 'berhasil' is no choice of step 7 that ends the run; "
            "allowed: batal",
        ),
        (
            "4.1",
            "when_failed: {step: 7, choice: batal}",
            "when_failed: {step: 3, choice: batal}",
            "steps/5/when_failed/step: 3 is not a later step; allowed: 7–10",
        ),
        (
            "3.1",
            "when_failed: {ends_run: cancelled}",
            "when_failed: {ends_run: cancelled, step: 5}",
            "steps/3/when_failed: must be {step: N, choice: KEY} or {ends_run: HOW}",
        ),
    ],
)
def test_a_failure_branch_that_points_nowhere_is_refused(tmp_path, procedure, old, new, message):
    folder = _copy_with(tmp_path, procedure, old, new)
    with pytest.raises(SopError) as raised:
        load_catalog(folder)
    assert f"{procedure}.yaml: {message}" in str(raised.value)
