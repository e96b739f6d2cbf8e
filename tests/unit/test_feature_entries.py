"""The features' entry points are kept between starts until something is installed
(issue 17, start-up): the same answer as importlib.metadata, read back without scanning
the distributions, and scanned again when a distribution appears on the path."""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path

import pytest

from sop_runner import feature_entries
from sop_runner.features import ENTRY_POINT_GROUP, MANIFEST_GROUP

GROUPS = (ENTRY_POINT_GROUP, MANIFEST_GROUP)


def _install(site: Path, name: str) -> None:
    """Install a distribution with one feature entry point into a path folder, as pip would."""
    info = site / f"{name}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{name} = {name}:FEATURE\n")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A path folder of our own on sys.path and a cache folder of our own."""
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.setattr(sys, "path", [*sys.path, str(folder)])
    monkeypatch.setattr(feature_entries, "CACHE_DIR", tmp_path / "cache")
    return folder


def test_the_entry_points_are_importlib_metadata_s(site):
    found = feature_entries.entry_points(GROUPS)
    scanned = importlib.metadata.entry_points()
    expected = [(g, e.name, e.value) for g in GROUPS for e in scanned.select(group=g)]
    assert [(e.group, e.name, e.value) for e in found] == expected
    assert {e.name for e in found if e.group == ENTRY_POINT_GROUP} >= {"backup", "grants"}
    manifest = next(e for e in found if e.group == MANIFEST_GROUP and e.name == "backup")
    assert (
        manifest.load()
        is next(e for e in scanned.select(group=MANIFEST_GROUP, name="backup")).load()
    )


def test_they_are_read_back_until_a_distribution_is_installed(site, monkeypatch):
    first = feature_entries.entry_points(GROUPS)
    assert len(list((site.parent / "cache").glob("entry-points-*.json"))) == 1
    scan = feature_entries._scan
    monkeypatch.setattr(feature_entries, "_scan", lambda groups: pytest.fail("scanned again"))
    assert feature_entries.entry_points(GROUPS) == first
    _install(site, "sop_extra_feature")
    monkeypatch.setattr(feature_entries, "_scan", scan)
    again = feature_entries.entry_points(GROUPS)
    assert ("sop_extra_feature", "sop_extra_feature:FEATURE") in {(e.name, e.value) for e in again}


def test_a_package_folder_not_ours_to_write_scans_at_each_start(site, tmp_path):
    (tmp_path / "cache").write_text("a file, not a folder")
    _install(site, "sop_other_feature")
    assert "sop_other_feature" in {e.name for e in feature_entries.entry_points(GROUPS)}
