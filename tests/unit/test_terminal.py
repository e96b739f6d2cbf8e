"""What `sop` shows on the terminal: hidden characters of people's and hosts' words are
written <U+XXXX>, never obeyed (an ESC sequence rewrote the line an approver read)."""

from __future__ import annotations

import io

from rich.table import Table

from sop_runner.cli.options import out
from sop_runner.terminal import SafeConsole


def _shown(*renderables: object, **options: object) -> str:
    buffer = io.StringIO()
    console = SafeConsole(file=buffer, soft_wrap=True, force_terminal=True, width=200)
    console.print(*renderables, **options)  # type: ignore[arg-type]
    return buffer.getvalue()


def test_printed_text_shows_overrides_zero_width_and_escapes():
    text = _shown(
        "device/srv\u202e1gp.exe dewi\u200b \x1b[2Kdisetujui", markup=False, highlight=False
    )
    assert "device/srv<U+202E>1gp.exe dewi<U+200B> <U+001B>[2Kdisetujui" in text
    assert "\u202e" not in text and "\u200b" not in text and "\x1b[2K" not in text


def test_table_cells_show_them_too():
    table = Table("name", "owner")
    table.add_row("srv\u202e1", "Dinas\u2066X")
    text = _shown(table)
    assert "srv<U+202E>1" in text and "Dinas<U+2066>X" in text


def test_every_command_prints_through_the_safe_console():
    assert isinstance(out, SafeConsole)
