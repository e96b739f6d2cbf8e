"""The restic_backup module (SOP 7.1 step 3) run as Ansible runs it, as a process of its own
with its arguments in a file, against the real restic binary and a local repository.

restic is reached through a wrapper that writes down each command line it is given
and then runs the real binary, so the test sees how the module calls restic: once,
with the same options as a bare ``restic backup -q`` plus what the SOP needs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sop_runner.config import REPO_ROOT

pytestmark = pytest.mark.skipif(not shutil.which("restic"), reason="needs the restic binary")

# AnsiballZ's part, in short: the repository's module_utils under ansible.module_utils,
# the module run as __main__ with its arguments file as argv[1].
BOOT = (
    "import runpy, sys, ansible.module_utils as m; "
    f"m.__path__.append({str(REPO_ROOT / 'plugins' / 'module_utils')!r}); "
    f"runpy.run_path({str(REPO_ROOT / 'library' / 'restic_backup.py')!r}, run_name='__main__')"
)


def run_module(tmp: Path, args: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    """Given the module's arguments, run restic_backup once; return its JSON result."""
    file = tmp / "args.json"
    file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    proc = subprocess.run(
        [sys.executable, "-c", BOOT, str(file)], capture_output=True, text=True, env=env
    )
    return dict(json.loads(proc.stdout))


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One repository for the module (each restic init costs its key derivation); return it
    with its password file and the environment the module runs in."""
    root = tmp_path_factory.mktemp("restic")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(root), "LANG": "C.UTF-8"}
    env["RESTIC_CACHE_DIR"] = str(root / "cache")
    secret = root / "pass"
    secret.write_text("uji-rahasia\n")
    secret.chmod(0o600)
    repo = root / "repo"
    subprocess.run(
        ["restic", "-r", str(repo), "init", "-q", "--password-file", str(secret)],
        check=True,
        capture_output=True,
        env=env,
    )
    return {"env": env, "repo": repo, "secret": secret}


@pytest.fixture
def setup(repository: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """Given the repository, return the module's arguments for new sources of a host of the
    test's own, reached through a restic that writes down its command lines."""
    env, repo, secret = repository["env"], repository["repo"], repository["secret"]
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "laporan.pdf").write_bytes(b"%PDF" * 100)
    (data / "sub" / "tabel.csv").write_text("a,b\n1,2\n")
    (data / "sub" / "catatan").write_text("tanpa ekstensi\n")
    log = tmp_path / "restic-calls"
    wrapper = tmp_path / "restic"
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> {log}\nexec {shutil.which("restic")} "$@"\n')
    wrapper.chmod(0o755)
    args = {
        "repository": str(repo),
        "password_file": str(secret),
        "paths": [str(data)],
        "host": tmp_path.name,
        "restic_binary": str(wrapper),
    }
    return {"args": args, "env": env, "log": log, "repo": repo, "secret": secret}


def test_one_restic_call_with_bare_options_and_the_sources_counted(
    setup: dict[str, Any], tmp_path: Path
) -> None:
    result = run_module(tmp_path, setup["args"], setup["env"])
    assert not result.get("failed"), result
    assert result["snapshot_id"] and result["changed"]
    assert result["summary"]["files_new"] == 3
    assert (result["file_count"], result["total_size"]) == (3, 400 + 8 + 15)
    assert result["file_types"] == {"(none)": 1, "csv": 1, "pdf": 1}
    calls = setup["log"].read_text().splitlines()
    assert len(calls) == 1, calls  # no second restic call (snapshots, stats, check)
    argv = calls[0].split()
    # As bare `restic backup -q`: no status stream for the module to read through.
    assert argv[:3] == ["backup", "-q", "--json"], argv
    shown = subprocess.run(
        ["restic", "-r", str(setup["repo"]), "snapshots", "--json", "--host", tmp_path.name],
        capture_output=True,
        text=True,
        check=True,
        env={**setup["env"], "RESTIC_PASSWORD_FILE": str(setup["secret"])},
    )
    (snapshot,) = json.loads(shown.stdout)
    assert snapshot["short_id"] == result["snapshot_id"][:8]
    assert snapshot["hostname"] == tmp_path.name
    assert {"sop", "sop-procedure=7.1", "kind=file"} <= set(snapshot["tags"])


def test_a_failed_backup_names_restics_own_words_and_still_counts(
    setup: dict[str, Any], tmp_path: Path
) -> None:
    wrong = tmp_path / "wrong"
    wrong.write_text("bukan-ini\n")
    result = run_module(tmp_path, {**setup["args"], "password_file": str(wrong)}, setup["env"])
    assert result["failed"]
    assert result["msg"].startswith("restic backup failed (rc 1): ")
    assert "wrong password" in result["msg"]
    assert "bukan-ini" not in json.dumps(result)
    assert result["file_count"] == 3


def test_check_mode_counts_the_sources_and_calls_no_restic(
    setup: dict[str, Any], tmp_path: Path
) -> None:
    result = run_module(tmp_path, {**setup["args"], "_ansible_check_mode": True}, setup["env"])
    assert not result.get("failed"), result
    assert result["file_count"] == 3 and "snapshot_id" not in result
    assert not setup["log"].exists()
