"""YAML reading through libyaml when present (ten times faster at start-up).

PyYAML itself is imported at the first read: a command that reads no YAML (`sop list`
with the catalog cached) does not pay for it (issue 17, start-up).
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def _loader() -> type:
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # type: ignore[no-any-return]


def load(text: str) -> Any:
    """Given YAML text, return its data (safe types only). Raise yaml.YAMLError if malformed."""
    import yaml

    # str(): Ansible hands us str subclasses, which libyaml refuses.
    return yaml.load(str(text), Loader=_loader())
