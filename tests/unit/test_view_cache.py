"""The views of `sop list` and `sop show` are kept by the content of what they are made
from (issue 17, start-up): read back, never stale after a file changes, an error kept never."""

from __future__ import annotations

from pathlib import Path

import pytest

from sop_runner.cli import view_cache
from sop_runner.errors import SopError


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A package of our own: one procedure file in a catalog folder, a cache folder."""
    (tmp_path / "catalog" / "procedures").mkdir(parents=True)
    (tmp_path / "catalog" / "procedures" / "3.1.yaml").write_text("id: '3.1'\n")
    monkeypatch.setattr(view_cache, "PACKAGE", tmp_path)
    monkeypatch.setattr(view_cache, "CACHE_DIR", tmp_path / "__pycache__")
    monkeypatch.setattr(view_cache, "SOURCES", ("catalog",))
    view_cache._digest.cache_clear()
    yield tmp_path
    view_cache._digest.cache_clear()


def test_a_view_is_kept_and_read_back(package):
    made = []

    def make() -> dict:
        made.append(1)
        return {"id": "3.1", "steps": [1, 2]}

    assert view_cache.kept(("show", "3.1"), "id", make) == {"id": "3.1", "steps": [1, 2]}
    assert view_cache.kept(("show", "3.1"), "id", make) == {"id": "3.1", "steps": [1, 2]}
    assert made == [1]  # the second start read it
    view_cache.kept(("show", "3.1"), "en", make)  # another language: its own view
    assert made == [1, 1]


def test_an_edited_file_gives_another_view(package):
    assert view_cache.kept(("list",), "id", lambda: {"title": "lama"}) == {"title": "lama"}
    (package / "catalog" / "procedures" / "3.1.yaml").write_text("id: '3.1'\ntitle: baru\n")
    view_cache._digest.cache_clear()  # a new start
    assert view_cache.kept(("list",), "id", lambda: {"title": "baru"}) == {"title": "baru"}


def test_a_refusal_is_never_kept(package):
    def unknown() -> dict:
        raise SopError("procedure: no procedure 9.9")

    for _ in range(2):
        with pytest.raises(SopError, match=r"9\.9"):
            view_cache.kept(("show", "9.9"), "id", unknown)
    assert not list((package / "__pycache__").glob("view-*.json"))
