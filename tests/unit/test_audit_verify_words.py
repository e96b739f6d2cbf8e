"""`sop audit verify` says its verdict in the person's language (issue 17): Indonesian by
default, English on request.  A finding's kind and the entry numbers stay as written (scripts
and logs look for them)."""

from __future__ import annotations

import pytest

from sop_runner import i18n
from sop_runner.audit import Finding
from sop_runner.trust.anchor import Verdict
from sop_runner.trust.witness import Checkpoint

ANCHOR = Checkpoint("log", 4, "ab" * 32, "2026-11-30T08:00:00Z", "budi", "fp", "sig")
EDITED = Finding(3, "edited", "entry 3 was edited after it was written")


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "id",
            [
                "rantai audit utuh: 6 entri; disaksikan sampai entri 4 (2026-11-30T08:00:00Z, "
                "budi); entri 5..6 belum disaksikan",
                "rantai audit RUSAK di entri 3: edited: entry 3 was edited after it was written",
                "... dan 1 temuan lagi",
                "rantai audit tidak dapat diverifikasi: saksi belum memegang checkpoint",
            ],
        ),
        (
            "en",
            [
                "audit chain intact: 6 entries; witnessed up to entry 4 (2026-11-30T08:00:00Z, "
                "budi); entries 5..6 not yet witnessed",
                "audit chain BROKEN at entry 3: edited: entry 3 was edited after it was written",
                "... and 1 more finding(s)",
                "audit chain cannot be verified: saksi belum memegang checkpoint",
            ],
        ),
    ],
)
def test_the_verdict_speaks_the_language_and_keeps_kinds_and_numbers(monkeypatch, lang, expected):
    monkeypatch.setattr(i18n, "_chosen", lang)
    intact = Verdict(6, [], anchor=ANCHOR, witnessed=True).lines()
    broken = Verdict(6, [EDITED, EDITED], witnessed=True).lines(limit=1)
    # The reason a witness cannot be read is handed in already said (witness.py's words).
    unread = Verdict(6, [], "saksi belum memegang checkpoint", witnessed=True).lines()
    assert [*intact, *broken, *unread] == expected
