"""Every `sop … --help` speaks Indonesian when no language is asked (issue 17): the core
commands, the feature command groups, and typer's own words (Usage, the --help option).

A word of this list in a help text is English left behind; option names (``--from``),
metavariables (``<str>``) and `code` are not read."""

from __future__ import annotations

import re

import pytest

from tests.support.helptexts import help_texts

# Words that are never Indonesian, and common in an English help line (any case), and
# the verbs an English help starts with (capitalised: `sop show` is a command's name).
ENGLISH = frozenset(
    [
        "the",
        "and",
        "of",
        "with",
        "for",
        "this",
        "that",
        "usage",
        "exit",
        "when",
        "only",
        "is",
        "are",
        "from",
        "or",
        "to",
        "by",
        "its",
        "it",
        "which",
        "what",
        "every",
        "each",
        "into",
        "a",
        "an",
        "be",
        "not",
    ]
)
VERBS = frozenset(
    [
        "Show",
        "Write",
        "Print",
        "Make",
        "Open",
        "Close",
        "Read",
        "Sign",
        "Check",
        "Create",
        "List",
        "Record",
    ]
)
_SKIPPED = re.compile(r"`[^`]*`|--?[\w-]+|<[^>]*>|\$\w+|\{[^}]*\}|\[[^\]]*\b(?:default)\b")


def english_words(text: str) -> list[str]:
    """Given a help text, return the tell-tale English words in its prose."""
    prose = _SKIPPED.sub(" ", text)
    words = re.findall(r"[A-Za-z]+", prose)
    return [w for w in words if w.lower() in ENGLISH or w in VERBS]


@pytest.fixture(scope="module")
def indonesian() -> dict[str, str]:
    return help_texts(None)


def test_the_checker_sees_english():
    assert english_words("Show this message and exit.") == ["Show", "this", "and", "exit"]
    assert english_words("cetak JSON (skema: docs/json.md) --from <str>") == []


def test_every_help_text_is_indonesian_by_default(indonesian):
    assert len(indonesian) > 50  # every command was walked, feature groups included
    found = {path or "sop": english_words(text) for path, text in indonesian.items()}
    found = {path: words for path, words in found.items() if words}
    assert not found, found


def test_english_is_there_on_request():
    english = help_texts("en")
    assert "Show this message and exit." in english["grant open"]
    assert "Usage: sop grant open" in english["grant open"]
