"""What a person or a host typed, shown as data: never as layout, never invisibly.

A work order (Surat Perintah Tugas) or a report is a Markdown table; a value
holding a newline and a ``|`` ("alasan\\n| Disetujui Pimpinan | pak_bupati
(ttd) |") would add a row nobody signed.  A right-to-left override (U+202E) or a
zero-width space makes a name read as another; an ESC sequence rewrites the
terminal.  So:

- ``visible`` writes every control, format (bidirectional, zero-width) and line
  separator character as ``<U+XXXX>``: for terminal output (sop_runner/terminal.py)
  and for every value of the HTML and Markdown templates (the reports' Jinja
  ``finalize``).
- ``md`` is the one filter of the Markdown templates (core and features): a
  value becomes one line of inline text, a code span, or a fenced block whose
  fence no line of it can close; ``|`` is escaped so it never splits a table cell.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

# Invisible letters that are neither control nor format characters.
_INVISIBLE = frozenset("\u034f\u115f\u1160\u3164\uffa0")
_LINE_BREAK = re.compile("\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
NEWLINE_MARK = " ↵ "
# Characters that start Markdown inline syntax anywhere in a line (emphasis, code,
# links, raw HTML and entities, table cells, strikethrough) and the escape itself.
_MD_INLINE = frozenset("\\`*[]<>|&~")
# What makes a line a heading, list item, quote, rule or setext underline.
_MD_BLOCK_START = re.compile(
    r"^(\s*)(#(?=#{0,5}(?:\s|$))|[-+](?=\s)|\d{1,9}(?=[.)](?:\s|$))|[-=](?=[-=]+\s*$))"
)
_BACKTICKS = re.compile(r"`+")


def hidden(char: str) -> bool:
    """Given one character, return whether it is invisible or moves text around."""
    return char in _INVISIBLE or unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp")


def visible(text: str, keep: str = "\n\t") -> str:
    """Given a text, return it with every hidden character (controls, bidirectional
    overrides, zero-width characters, line separators) written ``<U+XXXX>``.

    The characters in ``keep`` (newline and tab by default: a message's own
    layout) stay as they are.
    """
    text = str(text)
    if text.isascii() and text.isprintable():
        return text
    return "".join(f"<U+{ord(c):04X}>" if hidden(c) and c not in keep else c for c in text)


def one_line(value: Any) -> str:
    """Given a value, return its text on one line: each line break shown as ``↵``,
    every other hidden character as ``<U+XXXX>``."""
    return visible(_LINE_BREAK.sub(NEWLINE_MARK, str(value)), keep="")


def _inline(text: str) -> str:
    out = []
    for i, char in enumerate(text):
        # An underscore inside a word never emphasises (file_name stays readable).
        inside_word = 0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum()
        if char in _MD_INLINE or (char == "_" and not inside_word):
            out.append("\\" + char)
        else:
            out.append(char)
    escaped = "".join(out)
    return _MD_BLOCK_START.sub(_escape_marker, escaped, count=1)


def _escape_marker(match: re.Match[str]) -> str:
    indent, marker = match.group(1), match.group(2)
    # An ordered list's marker is escaped at its dot ("1\\. "): a digit takes no escape.
    return f"{indent}{marker}\\" if marker[0].isdigit() else f"{indent}\\{marker}"


def _code_span(text: str) -> str:
    # GFM splits table cells before it reads code spans: a pipe must be escaped
    # even inside one (the renderer shows it without the backslash).
    body = text.replace("|", "\\|")
    longest = max((len(run) for run in _BACKTICKS.findall(body)), default=0)
    fence = "`" * (longest + 1)
    if body.startswith("`") or body.endswith("`") or not body.strip():
        body = f" {body} "
    return f"{fence}{body}{fence}"


def _fenced(text: str, info: str) -> str:
    body = visible(_LINE_BREAK.sub("\n", text), keep="\n\t")
    longest = max((len(run) for run in _BACKTICKS.findall(body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{body}\n{fence}"


def md(value: Any, how: str = "text", info: str = "") -> str:
    """Given a value from a person or a host, return it safe for a Markdown template.

    ``how``: ``text`` (default) one line of inline text, Markdown syntax escaped;
    ``code`` a complete code span (the template writes no backticks around it);
    ``fence`` a complete fenced block with ``info`` (e.g. ``diff``) whose fence is
    longer than any run of backticks inside.  Raise ValueError for another ``how``.
    """
    text = "" if value is None else str(value)
    if how == "text":
        return _inline(one_line(text))
    if how == "code":
        return _code_span(one_line(text))
    if how == "fence":
        return _fenced(text, info)
    raise ValueError(f"md: how={how!r}; use text, code or fence")
