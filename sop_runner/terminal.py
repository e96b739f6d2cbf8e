"""The one console class of `sop`: every text it shows has its hidden characters visible.

A request's reason, a parameter, a host or file name reaches the terminal in
`sop status`, `sop audit show`, tables and error lines.  Rich drops a few
controls but passes ESC (a sequence that rewrites what the approver sees) and
every bidirectional override or zero-width character.  Rich turns each string
into text in ``render_str`` (``print`` and table cells alike), so that is where
``escaping.visible`` is applied.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.text import Text

from sop_runner.escaping import visible


class SafeConsole(Console):
    """A rich Console that writes hidden characters as ``<U+XXXX>``, and people's words as
    they typed them: no emoji code (``:warning:``) is turned into a picture, as the plain
    lines of sop_runner/lazy_console.py are not (and rich's emoji table is not loaded)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("emoji", False)
        super().__init__(*args, **kwargs)

    def render_str(self, text: str, **kwargs: Any) -> Text:
        """Given a string to show, return its rich Text with hidden characters made visible."""
        return super().render_str(visible(text), **kwargs)
