"""The validated catalog cached by content hash (issue 17): read back when nothing changed,
validated again when any procedure file, the schema or the building code changes."""

from __future__ import annotations

import shutil

from sop_runner.catalog import PROCEDURES_DIR, SCHEMA_FILE, cache, load_catalog
from sop_runner.catalog.loader import _load_dir


def test_the_cache_is_read_back_and_follows_every_change(tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "CACHE_DIR", tmp_path / "pycache")
    procedures = tmp_path / "procedures"
    shutil.copytree(PROCEDURES_DIR, procedures)
    loads: list[str] = []

    def load(directory):  # type: ignore[no-untyped-def]
        loads.append(str(directory))
        return _load_dir.__wrapped__(directory)

    first = cache.cached(procedures, SCHEMA_FILE, load)
    again = cache.cached(procedures, SCHEMA_FILE, load)
    assert len(loads) == 1 and again == first and again is not first
    assert [p.name for p in (tmp_path / "pycache").iterdir()] == [
        f"catalog-{cache.key(procedures, SCHEMA_FILE)[:40]}.pickle"
    ]
    edited = procedures / "6.1.yaml"
    edited.write_text(edited.read_text().replace("Monitoring", "Pemantauan", 1))
    changed = cache.cached(procedures, SCHEMA_FILE, load)
    assert len(loads) == 2 and changed != first
    assert len(list((tmp_path / "pycache").iterdir())) == 1  # the stale one is gone


def test_a_folder_not_ours_to_write_still_gives_the_catalog(tmp_path, monkeypatch):
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    monkeypatch.setattr(cache, "CACHE_DIR", blocked / "pycache")
    catalog = cache.cached(PROCEDURES_DIR, SCHEMA_FILE, _load_dir.__wrapped__)
    assert catalog == load_catalog()
