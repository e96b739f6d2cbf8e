"""`sop`'s output console, made at its first use: plain text needs no rich.

Importing rich and its first print cost about 20 ms of every start (issue 17).  A
line without markup, on a console that does not wrap, comes out of rich exactly as
it went in unless rich colours it, which it does only on a terminal and only when
highlighting: what scripts read (``--json``, ``request --quiet``, ``params``, error
lines: ``highlight=False``) and anything written to a pipe or a file (AWX, cron,
``| less``) is written straight to the stream, with every hidden character made
visible as SafeConsole does (sop_runner/terminal.py).  Anything else (tables, markup,
a line highlighted on a terminal, tabs) goes through a SafeConsole made then.  Written
straight means verbatim: rich would also have replaced emoji codes such as
``:warning:`` in a person's reason or in JSON, which was never wanted.
"""

from __future__ import annotations

import os
import sys
from typing import IO, TYPE_CHECKING, Any

from sop_runner.escaping import visible

if TYPE_CHECKING:
    from sop_runner.terminal import SafeConsole

# The keywords of a verbatim print: nothing rich would render otherwise.
_VERBATIM = frozenset({"markup", "highlight", "end", "soft_wrap"})
# The console's own options that leave rich's output plain (not forced to a terminal …).
_PLAIN_CONSOLE = frozenset({"soft_wrap", "stderr", "file"})


def colours(stream: IO[str]) -> bool:
    """Given a stream, return whether rich would treat it as a terminal (and colour it):
    its own rule (Console.is_terminal) on TTY_COMPATIBLE, FORCE_COLOR and isatty()."""
    compatible = os.environ.get("TTY_COMPATIBLE", "")
    if compatible in ("0", "1"):
        return compatible == "1"
    if "FORCE_COLOR" in os.environ:
        return os.environ["FORCE_COLOR"] != ""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class LazyConsole:
    """A SafeConsole's stand-in: made with its options, built when something needs rich."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._made: SafeConsole | None = None

    @property
    def console(self) -> SafeConsole:
        """Return the SafeConsole (made at the first call)."""
        if self._made is None:
            from sop_runner.terminal import SafeConsole

            self._made = SafeConsole(**self._options)
        return self._made

    def __getattr__(self, name: str) -> Any:
        return getattr(self.console, name)

    def _stream(self) -> IO[str]:
        if self._made is not None:
            return self._made.file
        chosen = self._options.get("file")
        if chosen is not None:
            return chosen  # type: ignore[no-any-return]
        return sys.stderr if self._options.get("stderr") else sys.stdout

    def print(self, *objects: Any, **options: Any) -> None:
        """Given what to print and rich's options, print it: verbatim text straight to the
        stream (its hidden characters made visible), anything else through rich."""
        verbatim = (
            len(objects) == 1
            and isinstance(objects[0], str)
            and "\t" not in objects[0]  # rich expands tabs: leave them to it
            and set(options) <= _VERBATIM
            and set(self._options) <= _PLAIN_CONSOLE
            and options.get("markup") is False
            and options.get("soft_wrap", self._options.get("soft_wrap")) is True
        )
        stream = self._stream()
        if verbatim and options.get("highlight") is not False:
            verbatim = not colours(stream)  # highlighting shows only on a terminal
        if not verbatim:
            self.console.print(*objects, **options)
            return
        stream.write(visible(objects[0]) + str(options.get("end", "\n")))
        stream.flush()
