"""The words a refusal says: for the tests that check a refusal in each language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sop_runner.errors import SopError


def refusal(call: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
    """Given a call that must refuse, return the refusal's text (fail if it does not)."""
    with pytest.raises(SopError) as refused:
        call(*args, **kwargs)
    return str(refused.value)
