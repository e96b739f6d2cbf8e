"""What a playbook run leaves behind keeps no secret.

ansible-runner writes ``artifacts/<ident>/command`` with the whole environment
the play ran with: ``sop``'s own environment, so ``RESTIC_PASSWORD``,
``PGPASSWORD`` or a store URL with its password.  It also keeps the play's
stdout and every event (module results) there.  After each run ``sealed``:

- rewrites ``command`` with the environment's *names* only and any inline
  ``-e`` value removed;
- writes over every secret value ``sop`` knows of (secret-named environment
  variables, the files their ``*_PASSWORD_FILE`` names, the store's password)
  wherever it appears in the artifacts, in the step's error and in the data the
  play handed back (a task that forgot ``no_log`` leaks no further than here);
- leaves the data dir 0700, the artifact folders 0700 and their files 0600.

``no_log`` on every task and module option that carries a password is the
first line (tests/unit/test_no_log.py); this is the second.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, TypeVar

from sop_runner.folders import private_folder

REDACTED = "********"
# Environment names whose values are secrets (Ansible's own no_log rule, tightened).
_SECRET_NAME = re.compile(r"PASS|SECRET|TOKEN|CREDENTIAL|PRIVATE_KEY|API_KEY|ACCESS_KEY", re.I)
# A password inside a URL: scheme://user:PASSWORD@host
_URL_PASSWORD = re.compile(r"[a-z][a-z0-9+.-]*://[^:/@\s]*:([^@\s]+)@", re.I)
_SECRET_FILE_LIMIT = 4096
_INLINE_VARS = ("-e", "--extra-vars")


class _Result(Protocol):
    error: str
    artifact_data: dict[str, Any]


R = TypeVar("R", bound=_Result)


def _file_secret(path: str) -> str | None:
    """Given a password file's path, return its content (None when it is no small file)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(_SECRET_FILE_LIMIT + 1)
    except OSError:
        return None
    if len(data) > _SECRET_FILE_LIMIT:
        return None
    text = data.decode("utf-8", "replace").strip()
    return text or None


def secret_values(environ: Mapping[str, str], store_url: str = "") -> frozenset[str]:
    """Given an environment and the store's URL, return the secret values they hold.

    A variable named like a secret gives its value; one named like a secret's
    file (``SOP_RESTIC_PASSWORD_FILE``) gives the file's content; any URL gives
    its password.  Values shorter than 4 characters are left out (overwriting
    them everywhere would destroy the text, and they protect nothing).
    """
    found: set[str] = set()
    for name, value in environ.items():
        if not value:
            continue
        if name.endswith(("_FILE", "_PATH")):
            if _SECRET_NAME.search(name.rsplit("_", 1)[0]):
                content = _file_secret(value)
                if content:
                    found.add(content)
        elif _SECRET_NAME.search(name):
            found.add(value)
        found.update(m.group(1) for m in _URL_PASSWORD.finditer(value))
    found.update(m.group(1) for m in _URL_PASSWORD.finditer(store_url))
    return frozenset(v for v in found if len(v) >= 4)


def _pattern(secrets: frozenset[str]) -> re.Pattern[str]:
    """Given secrets, return one pattern of every way they may be written (as they are,
    or escaped in a JSON file), standing alone: a weak password "postgres" is written
    over where it stands, never inside "postgresql" of a backup record."""
    forms = {
        form
        for secret in secrets
        for form in (secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1])
    }
    ordered = sorted(forms, key=len, reverse=True)
    return re.compile(
        r"(?<![A-Za-z0-9])(?:" + "|".join(map(re.escape, ordered)) + r")(?![A-Za-z0-9])"
    )


def redact(value: Any, secrets: frozenset[str]) -> Any:
    """Given a value (text, or lists and mappings of them), return it with every secret
    written over as ********."""
    if not secrets:
        return value
    return _redact(value, _pattern(secrets))


def _redact(value: Any, pattern: re.Pattern[str]) -> Any:
    if isinstance(value, str):
        return pattern.sub(REDACTED, value)
    if isinstance(value, Mapping):
        return {_redact(k, pattern): _redact(v, pattern) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact(v, pattern) for v in value]
    return value


def _rewrite_command(path: Path) -> None:
    """Given ansible-runner's ``command`` file, keep the argv and cwd, drop the environment."""
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        recorded = {}
    argv = [str(a) for a in recorded.get("command") or []]
    kept = []
    for index, arg in enumerate(argv):
        inline = index > 0 and argv[index - 1] in _INLINE_VARS and not arg.startswith("@")
        kept.append("<removed: extra vars>" if inline else arg)
    names = sorted((recorded.get("env") or {}).keys())
    text = json.dumps({"command": kept, "cwd": recorded.get("cwd"), "env_names": names})
    _write_private(path, text)


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)


def seal_folder(folder: Path, secrets: frozenset[str]) -> None:
    """Given one run's artifact folder, return once no file in it holds the environment
    or a secret, folders are 0700 and files 0600."""
    if not folder.is_dir():
        return
    pattern = _pattern(secrets) if secrets else None
    command = folder / "command"
    if command.exists():
        _rewrite_command(command)
    (folder / "env.list").unlink(missing_ok=True)  # containerized runs: the environment again
    for where, _dirs, files in os.walk(folder):
        os.chmod(where, 0o700)
        for name in files:
            path = Path(where) / name
            if path.is_symlink() or not path.is_file():
                continue
            if pattern is not None:
                text = path.read_bytes().decode("utf-8", "surrogateescape")
                cleaned = _redact(text, pattern)
                if cleaned != text:
                    _write_private(path, cleaned)
            os.chmod(path, 0o600)


def sealed(data_dir: Path, private_dir: Path, ident: str, store_url: str, result: R) -> R:
    """Given the data dir, ansible-runner's private dir, the run's ident, the store URL and
    the run's result, seal the run's artifacts and return the result with no secret in
    its error or its handed-back data."""
    private_folder(data_dir)
    secrets = secret_values(os.environ, store_url)
    seal_folder(private_dir / "artifacts" / ident, secrets)
    if not secrets:
        return result
    return dataclasses.replace(
        result,
        error=redact(result.error, secrets),
        artifact_data=redact(result.artifact_data, secrets),
    )
