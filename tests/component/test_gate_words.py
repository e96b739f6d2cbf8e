"""The gate inside Ansible speaks the play's language (issue 17, docs/i18n.md): $SOP_LANG,
then the config file's lang, then Indonesian.  The real sop_gate action plugin, run by a
real ansible-playbook, refuses an extra var; the field names stay as written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sop_runner import i18n
from sop_runner.config import REPO_ROOT
from sop_runner.runner import sop_environment


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            None,
            "sop_gate menolak: extra vars tidak diizinkan: colour (parameter masuk ke dalam "
            "sop_params); play sop hanya menerima sop_request dan sop_params",
        ),
        (
            "en",
            "sop_gate refused: extra vars not allowed: colour (parameters go inside "
            "sop_params); a play of sop takes only sop_request and sop_params",
        ),
    ],
)
def test_the_gate_refuses_in_the_plays_language(tmp_path: Path, lang, expected):
    bin_dir = Path(sys.executable).parent
    inventory = tmp_path / "hosts.ini"
    inventory.write_text(
        f"ctl1 ansible_connection=local ansible_python_interpreter={sys.executable}\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("SOP_LANG", "SOP_CONFIG")}
    env.update(
        PATH=f"{bin_dir}:{os.environ['PATH']}",
        ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg"),
        SOP_CONFIG=str(tmp_path / "none.yml"),  # no config file: no lang from there
    )
    if lang:
        env["SOP_LANG"] = lang
    result = subprocess.run(
        [str(bin_dir / "ansible-playbook"), "-i", str(inventory), "--check",
         "playbooks/resource_repair.yml", "-e", "colour=blue"],
        cwd=REPO_ROOT, capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    assert expected in result.stdout, result.stdout[-2000:]


@pytest.mark.parametrize("lang", ["id", "en"])
def test_sop_run_hands_its_language_to_the_play(sqlite_sop_env, monkeypatch, lang):
    """`sop run ID --lang en` sets no SOP_LANG of its own: the play's environment carries the
    language `sop` speaks, so the gate inside it refuses in the same language."""
    monkeypatch.delenv("SOP_LANG", raising=False)
    monkeypatch.setattr(i18n, "_chosen", lang)
    assert sop_environment(sqlite_sop_env.ctx().settings)["SOP_LANG"] == lang
