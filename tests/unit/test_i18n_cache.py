"""The compiled catalog is kept by the content hash of its .po files (issue 17, start-up):
read back instead of compiled again, never stale after a .po is edited, and not needed
where the package folder cannot be written."""

from __future__ import annotations

from pathlib import Path

import pytest

from sop_runner import i18n

PO = """msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"

msgid "request"
msgstr "{word}"
"""


@pytest.fixture
def catalogs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A locale folder of one Indonesian catalog and an empty cache folder of our own."""
    folder = tmp_path / "locale" / "id" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "sop.po").write_text(PO.format(word="permintaan"))
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path / "locale")
    monkeypatch.setattr(i18n, "CACHE_DIR", tmp_path / "cache")
    return folder


def _translated(message: str) -> str:
    i18n.translations.cache_clear()
    try:
        return i18n.translations("id").gettext(message)
    finally:
        i18n.translations.cache_clear()


def test_the_compiled_catalog_is_kept_and_read_back(catalogs, tmp_path, monkeypatch):
    assert _translated("request") == "permintaan"
    kept = list((tmp_path / "cache").glob("i18n-id-*.mo"))
    assert len(kept) == 1
    # The next start reads the kept .mo: it does not compile the .po again.
    monkeypatch.setattr(i18n, "compile_po", lambda text: pytest.fail("compiled again"))
    assert _translated("request") == "permintaan"


def test_an_edited_po_is_what_runs_and_replaces_the_kept_one(catalogs, tmp_path):
    assert _translated("request") == "permintaan"
    (catalogs / "sop.po").write_text(PO.format(word="pengajuan"))
    assert _translated("request") == "pengajuan"
    # A feature's catalog added beside the core's counts as well.
    (catalogs / "zz.po").write_text('msgid "run"\nmsgstr "jalankan"\n')
    assert _translated("run") == "jalankan"
    assert len(list((tmp_path / "cache").glob("i18n-id-*.mo"))) == 1  # only the newest


def test_a_package_folder_not_ours_to_write_compiles_at_each_start(catalogs, tmp_path):
    (tmp_path / "cache").write_text("a file, not a folder: nothing can be written under it")
    assert _translated("request") == "permintaan"
    assert (tmp_path / "cache").is_file()


def test_the_caches_name_their_files_with_sha256_itself():
    """The start-up caches hash with CPython's own SHA-256 (no OpenSSL): the same digest."""
    import hashlib

    from sop_runner.sha256 import sha256

    data = Path(i18n.__file__).read_bytes()
    assert sha256(data).hexdigest() == hashlib.sha256(data).hexdigest()
