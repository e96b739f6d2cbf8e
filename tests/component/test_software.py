"""SOP 1.3 on the controller: the software register (`sop software`, every change signed, a
Daftar perangkat lunak as a naskah dinas) and the environment analysis that postpones an
installation the host's real facts cannot carry.  (Installing for real: the lab,
tests/integration/test_software_lab.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from sop_runner.procedures.software.models import SoftwareAnalysis, SoftwareEntry
from sop_runner.store.models import AuditEntry, Request, Run, StepRecord
from tests.component.test_cli_json import _valid
from tests.support import pdf
from tests.support.sop import ok

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

TOO_BIG = """\
name: too-big
title: Aplikasi besar
version: "2.0"
licence: Proprietary
owner: Bappeda
source_code_handed_over: true
requires:
  os: {id: debian, min_version: "12"}
  ram_mb: 4194304
install: {package: busybox}
"""


def _spec(env, name: str, text: str) -> Path:
    folder = env.root / "inventory" / "software"
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.yml"
    path.write_text(text)
    return path


def _audit(env, action: str) -> list[dict]:
    with env.ctx().session() as session:
        contents = [json.loads(e.content) for e in session.scalars(select(AuditEntry))]
    return [c for c in contents if c["action"] == action]


@SQLITE
def test_register_changes_are_signed_kept_and_listed(sop_env):
    ok(
        sop_env.sop(
            "software", "add", "simpeg", "--host", "ctl1", "--version", "3.2.1",
            "--owner", "BKPSDM", "--licence", "Milik Pemda", "--date", "2026-11-02",
            "--source-code", operator="budi",
        )
    )  # fmt: skip
    ok(
        sop_env.sop(
            "software", "update", "1", "--version", "3.3.0", "--reason", "x", operator="budi"
        )
    )
    listed = _valid("software", ok(sop_env.sop("software", "list", "--json")).stdout)
    [entry] = listed["software"]
    assert (entry["name"], entry["version"], entry["host"], entry["owner"]) == (
        "simpeg",
        "3.3.0",
        "ctl1",
        "BKPSDM",
    )
    assert entry["installed_by"] == "budi" and entry["installed_on"] == "2026-11-02"
    assert entry["source_code_handed_over"] and not entry["vendor_remote"]
    ok(sop_env.sop("software", "remove", "1", "--reason", "diganti", operator="budi"))
    assert json.loads(ok(sop_env.sop("software", "list", "--json")).stdout)["software"] == []
    history = _valid(
        "software-history", ok(sop_env.sop("software", "history", "1", "--json")).stdout
    )
    assert [c["action"] for c in history["changes"]] == ["added", "updated", "removed"]
    assert history["changes"][1]["values"] == {"version": "3.3.0"}
    # Each change is the person's own signed action in the audit trail.
    for action in ("software.added", "software.updated", "software.removed"):
        [entry_audit] = _audit(sop_env, action)
        assert entry_audit["actor"] == "budi" and entry_audit["signed"]["signature"], action
    ok(sop_env.sop("audit", "verify"))


@SQLITE
@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["add", "x", "--host", "nowhere", "--version", "1"], "--host"),
        (["add", "x", "--host", "ctl1", "--version", "1", "--date", "2026-13-01"], "--date"),
        (["add", "x", "--host", "ctl1", "--version", "{{ lookup('pipe','id') }}"], "--version"),
        (["update", "7", "--version", "2"], "tidak ada entri 7"),
        (["remove", "7"], "--reason"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(sop_env, args, field):
    result = sop_env.sop("software", *args, operator="budi")
    assert result.returncode == 2, result.stdout + result.stderr
    assert field in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    with sop_env.ctx().session() as session:
        assert session.scalars(select(SoftwareEntry)).all() == []


@SQLITE
def test_the_daftar_is_an_official_document(sop_env, tmp_path: Path):
    pdf.need_poppler()
    for name, version in (("simpeg", "3.2.1"), ("e-office", "1.0")):
        ok(
            sop_env.sop(
                "software", "add", name, "--host", "ctl1", "--version", version,
                "--owner", "BKPSDM", "--licence", "GPL-3.0", operator="budi",
            )
        )  # fmt: skip
    paths = ok(sop_env.sop("software", "daftar")).stdout.split()
    assert paths[0].endswith(".md")
    document = next(Path(p) for p in paths if p.endswith(".pdf"))
    text = pdf.text(document)
    assert "DAFTAR PERANGKAT LUNAK PUSAT DATA" in text
    assert "simpeg" in text and "e-office" in text and "Nomor" in text
    assert pdf.pngs(document, tmp_path)  # looked at: docs/software.md
    ok(sop_env.sop("verify", str(document)))


@SQLITE
def test_an_unmet_requirement_postpones_the_installation_from_real_facts(sop_env, tmp_path):
    _spec(sop_env, "too-big", TOO_BIG)
    request = ok(
        sop_env.sop(
            "request", "1.3", "--target", "ctl1", "--param", "software=too-big",
            "--reason", "aplikasi Bappeda", "--quiet", operator="budi",
        )
    ).stdout.strip()  # fmt: skip
    ok(sop_env.sop("approve", request, operator="sari"))
    # The petugas cannot choose the branch the analysis denies (the run waits, resumable).
    refused = sop_env.sop("run", request, "--choose", "3=tersedia", operator="budi")
    assert refused.returncode == 2 and "bertentangan dengan catatan" in refused.stderr, (
        refused.stderr
    )
    result = sop_env.sop(
        "run", request, "--confirm", "4=RAM tidak cukup, dilaporkan", operator="budi",
    )  # fmt: skip
    ok(result)
    assert "ditunda" in result.stdout
    with sop_env.ctx().session() as session:
        run = session.scalars(select(Run).where(Run.request_id == int(request))).one()
        assert run.status == "postponed"
        assert session.get(Request, int(request)).status == "postponed"
        records = {
            r.step_number: r
            for r in session.scalars(select(StepRecord).where(StepRecord.run_id == run.id))
        }
        [analysis] = session.scalars(select(SoftwareAnalysis)).all()
        assert session.scalars(select(SoftwareEntry)).all() == []
        assert not analysis.met and analysis.facts["ram_mb"] > 0
        unmet = [r["check"] for r in analysis.results if not r["ok"]]
    assert unmet == ["ram_mb"]  # the machine is Debian 12 or newer: only the RAM is short
    assert records[2].kind == "automated" and records[2].status == "done"
    # Step 3's branch and its note come from step 2's analysis, signed by the petugas.
    assert records[3].data["choice"] == "tidak_tersedia" and records[3].signed
    assert "ram_mb (butuh 4194304" in records[3].note
    assert [records[n].status for n in (5, 6, 7, 8)] == ["not_applicable"] * 4
    ok(sop_env.sop("report", request, "--out", str(tmp_path), "--format", "md"))
    postponement = (tmp_path / f"laporan-penundaan-1.3-{request}-id.md").read_text()
    assert "tidak terpenuhi" in postponement and "| ram_mb | 4194304 |" in postponement


@SQLITE
def test_a_spec_changed_after_approval_is_refused_by_the_gate(sop_env):
    path = _spec(sop_env, "too-big", TOO_BIG)
    request = ok(
        sop_env.sop(
            "request", "1.3", "--target", "ctl1", "--param", "software=too-big",
            "--reason", "uji", "--quiet", operator="budi",
        )
    ).stdout.strip()  # fmt: skip
    ok(sop_env.sop("approve", request, operator="sari"))
    path.write_text(TOO_BIG.replace("ram_mb: 4194304", "ram_mb: 1"))
    result = sop_env.sop("run", request, operator="budi")
    assert result.returncode != 0
    assert "spec_digest" in result.stdout + result.stderr  # the gate of step 2 refuses
    with sop_env.ctx().session() as session:
        assert session.scalars(select(SoftwareAnalysis)).all() == []


@SQLITE
@pytest.mark.parametrize(
    ("spec", "params", "message"),
    [
        ("no-source", ["software=no-source"], "kode sumbernya sudah diserahkan"),
        ("no-source", ["software=no-source", "method=vendor_remote"], "izin akses remot"),
        ("missing", ["software=missing"], "tidak ada spesifikasi 'missing'"),
        ("no-source", ["software=../x"], "software"),
    ],
)
def test_a_request_that_does_not_fit_its_method_is_refused(sop_env, spec, params, message):
    _spec(
        sop_env,
        "no-source",
        TOO_BIG.replace("too-big", "no-source").replace(
            "source_code_handed_over: true", "source_code_handed_over: false"
        ),
    )
    args = [arg for p in params for arg in ("--param", p)]
    result = sop_env.sop(
        "request", "1.3", "--target", "ctl1", *args, "--reason", "uji", operator="budi"
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
