"""What a play is given: a request's parameters as data, never as code.

A play of sop gets exactly three extra vars: ``sop_request`` (the request's id),
``sop_params`` (its parameters, one mapping) and, from `sop run` only,
``sop_run`` (the run's id and claim token, sop_runner/claims.py).  They are
written to a YAML file of mode 0600 that ansible-playbook reads with
``-e @FILE``: nothing of them is on a command line (``/proc/PID/cmdline``), and
``sop_params`` is tagged ``!unsafe``, so Ansible never templates a value in it
(a ``{{ lookup(...) }}`` stays text).  The gate (sop_runner/gate_check.py)
refuses any other extra var (``refused``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from sop_runner.i18n import _

NAMES = ("sop_request", "sop_params", "sop_run")
# What AWX adds to every job's extra vars: metadata of the job, read by no playbook.
_AWX_METADATA = re.compile(r"^(awx|tower)_[a-z0-9_]+$")


class _Unsafe(dict):  # type: ignore[type-arg]
    """A mapping written with the tag !unsafe (Ansible never templates inside it)."""


class _Dumper(yaml.SafeDumper):
    pass


def _unsafe(dumper: yaml.SafeDumper, data: _Unsafe) -> yaml.Node:
    return dumper.represent_mapping("!unsafe", dict(data))


_Dumper.add_representer(_Unsafe, _unsafe)


def document(extravars: Mapping[str, Any]) -> str:
    """Given the extra vars of a play, return them as YAML with sop_params tagged !unsafe."""
    data = {key: value for key, value in extravars.items()}
    if "sop_params" in data:
        data["sop_params"] = _Unsafe(data["sop_params"])
    return yaml.dump(data, Dumper=_Dumper, sort_keys=True, allow_unicode=True)


def write(path: Path, extravars: Mapping[str, Any]) -> Path:
    """Given a new file's path and extra vars, write them there, readable by the owner
    only (refusing to follow a link or reuse a file); return the path."""
    text = document(extravars)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


@contextmanager
def private_file(folder: Path, ident: str, extravars: Mapping[str, Any]) -> Iterator[str | None]:
    """Given a folder, a run's ident and its extra vars, yield the path of a 0600 file
    holding them (None when there are none); the file is gone afterwards."""
    if not extravars:
        yield None
        return
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    path = folder / f"{ident}.yml"
    path.unlink(missing_ok=True)  # left by a run that was killed
    write(path, extravars)
    try:
        yield str(path)
    finally:
        path.unlink(missing_ok=True)


def refused(names: list[str]) -> list[str]:
    """Given the names of a play's extra vars, return each one a play of sop refuses,
    with why (an Ansible setting, or no variable of sop)."""
    found = []
    for name in sorted(names):
        if name.startswith("ansible_"):
            found.append(_("{name} (an Ansible setting)").format(name=name))
        elif name not in NAMES and not _AWX_METADATA.match(name):
            found.append(_("{name} (parameters go inside sop_params)").format(name=name))
    return found
