"""The gettext mechanism of `sop` (issue 17): .po compiled to what gettext reads, every message
of the core CLI translated, the language chosen by --lang, $SOP_LANG, then Indonesian."""

from __future__ import annotations

import gettext
import io
import string

import pytest

from sop_runner import i18n
from tests.support.msgids import all_msgids

PO = """# a comment
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"

#: somewhere.py
msgid "request {id}"
msgstr "permintaan {id}"

msgid ""
"two\\n"
"lines"
msgstr "dua\\nbaris"

#, fuzzy
msgid "guessed"
msgstr "tebakan"

msgid "not yet"
msgstr ""
"""


def test_a_po_file_compiles_to_what_gettext_reads():
    catalog = gettext.GNUTranslations(io.BytesIO(i18n.compile_po(PO)))
    assert catalog.gettext("request {id}") == "permintaan {id}"
    assert catalog.gettext("two\nlines") == "dua\nbaris"
    assert catalog.gettext("guessed") == "guessed"  # fuzzy: not trusted, English shown
    assert catalog.gettext("not yet") == "not yet"
    assert catalog.gettext("unknown") == "unknown"


def test_a_malformed_po_file_is_refused_with_its_line():
    with pytest.raises(ValueError, match="line 2"):
        i18n.read_po('msgid "a"\nmsgstr a\n')


def test_every_message_of_the_core_cli_is_translated():
    translated = i18n.catalog("id")
    missing = {m: str(p) for m, p in all_msgids().items() if m not in translated}
    assert not missing, missing


def _fields(text: str) -> list[str]:
    return sorted(f for _, f, _, _ in string.Formatter().parse(text) if f is not None)


def test_each_translation_keeps_the_fields_of_its_message():
    for msgid, msgstr in i18n.catalog("id").items():
        assert set(_fields(msgstr)) == set(_fields(msgid)), msgid


@pytest.mark.parametrize(
    ("argv", "env", "chosen"),
    [
        (["sop", "list"], None, "id"),
        (["sop", "list", "--lang", "en"], None, "en"),
        (["sop", "--lang=en", "list"], "id", "en"),
        (["sop", "list"], "en", "en"),
        (["sop", "list", "--lang", "fr"], None, "id"),  # refused later, by the command
    ],
)
def test_the_language_is_lang_then_sop_lang_then_indonesian(monkeypatch, argv, env, chosen):
    monkeypatch.setattr(i18n, "_chosen", None)
    monkeypatch.setattr("sys.argv", argv)
    monkeypatch.setenv("SOP_CONFIG", "/nonexistent/sop.yml")
    if env is None:
        monkeypatch.delenv("SOP_LANG", raising=False)
    else:
        monkeypatch.setenv("SOP_LANG", env)
    assert i18n.language() == chosen
    assert i18n._("request") == ("permintaan" if chosen == "id" else "request")
