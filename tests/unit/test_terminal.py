"""What `sop` shows on the terminal: hidden characters of people's and hosts' words are
written <U+XXXX>, never obeyed (an ESC sequence rewrote the line an approver read)."""

from __future__ import annotations

import io

import pytest
from rich.table import Table

from sop_runner.cli.options import out
from sop_runner.lazy_console import LazyConsole
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
    assert isinstance(out, LazyConsole) and isinstance(out.console, SafeConsole)


def _verbatim(text: str, **options: object) -> str:
    buffer = io.StringIO()
    LazyConsole(file=buffer, soft_wrap=True).print(text, **options)  # type: ignore[arg-type]
    return buffer.getvalue()


def test_verbatim_text_shows_hidden_characters_as_the_safe_console_does():
    """What scripts read (JSON, ids) is written without rich: the same characters shown."""
    text = "device/srv\u202e1gp.exe dewi\u200b \x1b[2Kdisetujui\r"
    assert _verbatim(text, markup=False, highlight=False) == _shown(
        text, markup=False, highlight=False
    )
    assert _verbatim("a", markup=False, highlight=False, end="") == "a"
    # Anything rich renders (markup, highlighting, tabs, tables) still goes through it.
    assert _verbatim("[bold]x[/bold]") == "x\n"
    assert _verbatim("a\tb", markup=False, highlight=False) == "a       b\n"


LINES = (
    "permintaan 12 · 6.1 SOP Monitoring · ctl1, srv-2 · terbuka",
    "diminta oleh budi pada 2026-11-30T15:07:07+00:00: RAM 'penuh' di /var/log (90%)  ",
    "  persetujuan 3 oleh sari: disetujui, sampai 2026-12-01 — SAH\nbaris dua",
    "gerbang langkah 2 · Penanggung Jawab · wajib · [pending] 0x1F 1e3 None True",
    "srv\u202e1 \x1b[2K https://contoh.go.id/a?b=1 … 10:00:00",
)


@pytest.mark.parametrize("line", LINES)
def test_a_plain_line_to_a_pipe_is_what_rich_writes_there(line):
    """To a pipe or a file rich colours nothing: the line is written without it, the same."""
    rich_buffer = io.StringIO()
    SafeConsole(file=rich_buffer, soft_wrap=True).print(line, markup=False)
    assert _verbatim(line, markup=False) == rich_buffer.getvalue()


def test_an_emoji_code_in_people_s_words_stays_as_typed():
    shown = _shown("alasan :warning: 10:00:00", markup=False, highlight=False)
    assert shown == "alasan :warning: 10:00:00\n"
    assert _verbatim("[bold]:warning:[/bold]") == ":warning:\n"  # markup, through rich


def test_a_line_to_a_terminal_is_still_highlighted_by_rich(monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b[" in _verbatim("permintaan 12 dari 2026-11-30", markup=False)
    # Without highlighting there is nothing to colour: written straight, even there.
    assert _verbatim("permintaan 12", markup=False, highlight=False) == "permintaan 12\n"


def test_json_is_printed_verbatim_without_importing_rich():
    import subprocess
    import sys

    code = (
        "import sys; from sop_runner.cli.options import out; "
        'out.print(\'{"reason": ":warning: 10:00:00"}\', markup=False, highlight=False); '
        "assert 'rich' not in sys.modules, 'rich imported'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    # rich would have printed an emoji for :warning: inside the person's words.
    assert done.stdout == '{"reason": ":warning: 10:00:00"}\n'
