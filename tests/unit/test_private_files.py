"""Keys and the data dir are the caller's alone: a key folder others may enter is refused
in one line naming the fix; the data dir (reports, runner artifacts) is made 0700; and a
run's artifacts keep no environment and no secret."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

import pytest

from sop_runner import i18n, keys
from sop_runner.artifacts import REDACTED, redact, seal_folder, sealed, secret_values
from sop_runner.errors import SopError
from sop_runner.folders import private_folder


def test_a_key_folder_open_to_others_is_refused_with_the_fix(tmp_path, monkeypatch):
    monkeypatch.setattr(i18n, "_chosen", "en")
    folder = tmp_path / "keys"
    keys.init_key(folder, "budi")
    assert folder.stat().st_mode & 0o777 == 0o700
    keys.load_key(folder, "budi")
    os.chmod(folder, 0o755)
    with pytest.raises(SopError) as refused:
        keys.load_key(folder, "budi")
    assert str(refused.value) == (
        f"key folder {folder}: open to others (mode 0755); run `chmod 700 {folder}`"
    )


def test_the_data_dir_is_made_0700_and_an_open_one_of_ours_tightened(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(i18n, "_chosen", "id")
    data = tmp_path / "share" / "sop-pusatdata"
    assert private_folder(data) == data
    assert data.stat().st_mode & 0o777 == 0o700
    os.chmod(data, 0o755)
    private_folder(data)
    assert data.stat().st_mode & 0o777 == 0o700
    assert "diperketat menjadi 0700" in capsys.readouterr().err


def test_the_reports_folder_lives_in_a_private_data_dir(sqlite_sop_env):
    settings = sqlite_sop_env.ctx().settings
    reports = settings.reports_dir
    assert reports.parent == settings.data_dir
    assert settings.data_dir.stat().st_mode & 0o777 == 0o700


def test_secret_values_come_from_secret_names_their_files_and_urls(tmp_path):
    secret_file = tmp_path / "restic.pass"
    secret_file.write_text("dari-berkas-123\n")
    environ = {
        "RESTIC_PASSWORD": "rahasia-restic",
        "PGPASSWORD": "rahasia-pg",
        "SOP_RESTIC_PASSWORD_FILE": str(secret_file),
        "HTTPS_PROXY": "http://u:proxy-pw@proxy:3128",
        "PATH": "/usr/bin:/bin",
        "HOME": "/root",
        "SSH_AUTH_SOCK": "/tmp/ssh-x/agent.1",
    }
    found = secret_values(environ, "postgresql://sop:store-pw@db/sop")
    assert found == {
        "rahasia-restic", "rahasia-pg", "dari-berkas-123", "proxy-pw", "store-pw"
    }  # fmt: skip


@dataclass
class _Result:
    error: str = ""
    artifact_data: dict[str, Any] = field(default_factory=dict)


def test_the_artifacts_keep_no_environment_and_no_secret(tmp_path, monkeypatch):
    """ansible-runner's `command` file held the whole environment (RESTIC_PASSWORD among
    it); its stdout and events hold what a task without no_log printed."""
    private = tmp_path / "runner"
    folder = private / "artifacts" / "r1-s4-a1"
    (folder / "job_events").mkdir(parents=True)
    secret = 'sentinel-\u00e9-"x"-2b7f'
    command = {
        "command": ["ansible-playbook", "-e", '{"paths": ["/srv"]}', "-e", "@/x/vars.yml"],
        "cwd": "/work",
        "env": {"RESTIC_PASSWORD": secret, "PATH": "/bin"},
    }
    (folder / "command").write_text(json.dumps(command))
    (folder / "stdout").write_text(f"fatal: password {secret}\n")
    (folder / "job_events" / "1-a.json").write_text(json.dumps({"res": {"msg": secret}}))
    os.chmod(folder / "stdout", 0o644)
    monkeypatch.setenv("RESTIC_PASSWORD", secret)
    result = sealed(
        tmp_path / "data", private, "r1-s4-a1", "sqlite:///x.db",
        _Result(error=f"srv1: boom {secret}", artifact_data={"k": [secret]}),
    )  # fmt: skip
    assert result.error == f"srv1: boom {REDACTED}" and result.artifact_data == {"k": [REDACTED]}
    kept = json.loads((folder / "command").read_text())
    assert kept == {
        "command": ["ansible-playbook", "-e", "<removed: extra vars>", "-e", "@/x/vars.yml"],
        "cwd": "/work",
        "env_names": ["PATH", "RESTIC_PASSWORD"],
    }
    for path in folder.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path
            assert json.dumps(secret)[1:-1].encode() not in path.read_bytes(), path
            assert path.stat().st_mode & 0o777 == 0o600, path
        else:
            assert path.stat().st_mode & 0o777 == 0o700, path
    assert (tmp_path / "data").stat().st_mode & 0o777 == 0o700


def test_a_weak_secret_is_written_over_where_it_stands_not_inside_words():
    secrets = frozenset({"postgres"})
    record = {"engine": "postgresql", "msg": "auth failed for password postgres"}
    assert redact(record, secrets) == {
        "engine": "postgresql",
        "msg": f"auth failed for password {REDACTED}",
    }


def test_sealing_a_folder_that_is_not_there_does_nothing(tmp_path):
    seal_folder(tmp_path / "none", frozenset({"abcd"}))
    assert not (tmp_path / "none").exists()
