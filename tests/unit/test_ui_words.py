"""`sop run`'s progress lines speak the run's language (issue 17): a step's state is
Indonesian by default ("selesai", "dilewati"), English on request."""

from __future__ import annotations

import io

import pytest

from sop_runner.catalog import load_catalog
from sop_runner.store.models import StepRecord
from sop_runner.terminal import SafeConsole
from sop_runner.ui import TerminalUI


@pytest.mark.parametrize(
    ("lang", "status", "said"),
    [
        ("id", "done", "[selesai, 1.5s]"),
        ("id", "skipped", "[dilewati, 1.5s]"),
        ("id", "not_applicable", "[tidak berlaku, 1.5s]"),
        ("en", "done", "[done, 1.5s]"),
        ("en", "skipped", "[skipped, 1.5s]"),
    ],
)
def test_a_finished_step_is_said_in_the_runs_language(lang, status, said):
    procedure = load_catalog().get("1.3")
    ui = TerminalUI(procedure, lang, interactive=False)
    screen = io.StringIO()
    ui.console = SafeConsole(file=screen, width=200)
    record = StepRecord(status=status, duration_seconds=1.5, over_standard=False)
    ui.step_ended(procedure.step(1), record)
    line = screen.getvalue().strip()
    assert line.startswith(("✓ 1. ", "– 1. ")) and line.endswith(said), line
