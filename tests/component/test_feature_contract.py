"""A feature plugs in through the contract alone: an entry point and a Feature value.

The dummy feature below lives outside the repository (a temporary folder on
PYTHONPATH with its own dist-info, the way an installed plugin package would);
no core file names it.  It brings a table, a command group, a start-up hook, a
report section and a document, and `sop` runs each of them.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from sop_runner.errors import SopError
from sop_runner.features import Command, Feature, build_registry
from tests.support.sop import run_sop

DUMMY = """
from __future__ import annotations

import sys
from pathlib import Path

import typer
from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sop_runner import audit
from sop_runner.context import Context
from sop_runner.features import Command, Feature, ReportSection
from sop_runner.store.models import Base


class DummyNote(Base):
    __tablename__ = "dummy_notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(String(200))


cli = typer.Typer(help="A dummy feature.")


@cli.command("note")
def note(text: str) -> None:
    with Context().session() as session:
        row = DummyNote(text=text)
        session.add(row)
        session.flush()
        audit.append(session, "dummy", "dummy.noted", f"dummy/{row.id}", {"text": text})
    print(f"noted {row.id}")


def on_startup(ctx) -> None:
    print("dummy: started", file=sys.stderr)


def section(session, request, run, lang):
    return {"count": session.query(DummyNote).count()}


def document(ctx, request_id, lang, folder: Path) -> list[Path]:
    path = folder / f"dummy-{request_id}.txt"
    path.write_text(f"dummy document of request {request_id}\\n")
    return [path]


FEATURE = Feature(
    name="dummy",
    procedures=("6.1",),
    tables=(DummyNote,),
    commands={"dummy": Command(help="A dummy feature.", load=lambda: cli)},
    report_sections={"6.1": ReportSection(section, "dummy.md.j2", "dummy.html.j2")},
    documents={"6.1": document},
    on_startup=(on_startup,),
    templates=Path(__file__).parent / "templates",
)
"""


@pytest.fixture
def dummy_path(tmp_path: Path) -> Path:
    """A folder holding the dummy feature and its dist-info, as pip would install it."""
    root = tmp_path / "site"
    package = root / "sop_dummy_feature"
    (package / "templates").mkdir(parents=True)
    (package / "__init__.py").write_text(DUMMY)
    (package / "templates" / "dummy.md.j2").write_text("## Dummy\n\nnotes: {{ s.count }}\n")
    (package / "templates" / "dummy.html.j2").write_text("<h2>Dummy</h2><p>{{ s.count }}</p>\n")
    info = root / "sop_dummy_feature-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: sop-dummy-feature\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[sop_pusatdata.features]\ndummy = sop_dummy_feature:FEATURE\n"
    )
    return root


def _sop(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_sop(*args, env=env, timeout=120)


# One store is enough to show the wiring (and the test reads it with sqlite3).
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_feature_added_by_entry_point_alone_runs(sop_env, dummy_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(dummy_path)}
    listed = _sop(env, "--help")
    assert listed.returncode == 0 and "dummy" in listed.stdout
    noted = _sop(env, "dummy", "note", "hello")
    assert noted.returncode == 0, noted.stderr
    assert noted.stdout.strip() == "noted 1"
    assert "dummy: started" in noted.stderr  # its start-up hook ran
    database = sop_env.db_url.removeprefix("sqlite:///")
    with sqlite3.connect(database) as conn:  # its table was created with the store
        assert conn.execute("SELECT text FROM dummy_notes").fetchall() == [("hello",)]
    request = _sop(
        {**env, "SOP_OPERATOR": "budi"},
        "request",
        "6.1",
        "--target",
        "ctl1",
        "--param",
        "cleanup_path=/var/tmp/sop-dummy",
        "--param",
        "max_age_days=30",
        "--reason",
        "dummy feature test",
    )
    assert request.returncode == 0, request.stderr
    out = sop_env.root / "reports"
    report = _sop(env, "report", "1", "--out", str(out))
    assert report.returncode == 0, report.stderr
    markdown = next(out.glob("laporan-6.1-1-id.md")).read_text()
    assert "## Dummy" in markdown and "notes: 1" in markdown  # its report section
    assert (out / "dummy-1.txt").read_text() == "dummy document of request 1\n"
    # Without the entry point the same command does not exist.
    gone = _sop(dict(os.environ), "dummy", "note", "x")
    assert gone.returncode == 2 and "'dummy' bukan perintah" in gone.stderr


def test_two_features_claiming_one_recorder_or_command_is_an_error() -> None:
    def writer(session, run_id, value) -> int:  # type: ignore[no-untyped-def]
        return 0

    first = Feature(name="a", recorders={"samples": writer})
    with pytest.raises(SopError, match="pencatat 'samples' sudah milik fitur lain"):
        build_registry([first, Feature(name="b", recorders={"samples": writer})])
    command = Command(help="x", load=lambda: None)  # type: ignore[arg-type,return-value]
    with pytest.raises(SopError, match="perintah `sop x` sudah milik fitur lain"):
        build_registry(
            [Feature(name="a", commands={"x": command}), Feature(name="b", commands={"x": command})]
        )
    with pytest.raises(SopError, match="terdaftar dua kali"):
        build_registry([first, first])
