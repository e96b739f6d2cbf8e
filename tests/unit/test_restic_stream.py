"""restic backup's JSON stream read as it comes (plugins/module_utils/sop_restic.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from ansible.module_utils.sop_restic import summary_from, summary_of

SUMMARY = {"message_type": "summary", "files_new": 2, "snapshot_id": "5f1c0a6b"}


def stream(status_lines: int) -> Iterator[str]:
    """Given how many status lines come first, yield restic's lines one at a time."""
    for n in range(status_lines):
        yield json.dumps({"message_type": "status", "percent_done": n / 100}) + "\n"
    yield "Fatal: not JSON at all\n"
    yield json.dumps(SUMMARY) + "\n"


def test_the_summary_is_found_in_a_stream_of_status_lines() -> None:
    assert summary_from(stream(500)) == SUMMARY


def test_a_stream_without_a_summary_gives_nothing() -> None:
    assert summary_from(iter(['{"message_type":"status"}\n', '{"summary" broken\n'])) == {}


def test_the_whole_text_reads_the_same() -> None:
    assert summary_of("".join(stream(3))) == SUMMARY
