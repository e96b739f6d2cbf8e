"""The site's places and project gates (site.yml), and the answers a run is given for
its human steps (--choose, --time, --person): issue 16."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sop_runner.answers import given_timing, pairs, persons
from sop_runner.errors import SopError
from sop_runner.site import DEFAULT_PLACES, load_site


def test_without_site_yml_the_four_rooms(tmp_path):
    site = load_site(tmp_path)
    assert site.places == DEFAULT_PLACES and site.project_gates
    assert site.resolve_places(["server-farm", "area-staging"]) == ["area-staging", "server-farm"]
    with pytest.raises(SopError, match=r"'srv1' bukan tempat di lokasi ini; .*yang diizinkan: "):
        site.resolve_places(["srv1"])


def test_site_yml_lists_places_and_switches_project_gates(tmp_path):
    (tmp_path / "site.yml").write_text(
        "places:\n  - {name: ruang-ups, title: Ruang UPS}\nproject_gates: false\n"
    )
    site = load_site(tmp_path)
    assert [p.name for p in site.places] == ["ruang-ups"] and not site.project_gates
    (tmp_path / "site.yml").write_text("project_gates: maybe\n")
    with pytest.raises(
        SopError, match="project_gates: 'maybe' tidak diizinkan; pakai true atau false"
    ):
        load_site(tmp_path)


def test_given_times():
    now = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
    timing = given_timing("2026-06-01T16:00+07:00/2026-06-01T16:40+07:00", 2, now)
    assert timing.seconds == 40 * 60 and timing.how == "given"
    assert given_timing("45m", 5, now).started == now - timedelta(minutes=45)
    for bad, message in [
        ("kemarin", "bukan durasi"),
        ("2026-06-01T09:00/2026-06-01T09:30", "berikan offset"),
        ("2026-06-01T09:30+00:00/2026-06-01T09:00+00:00", "berakhir sebelum dimulai"),
        ("2026-06-02T09:00+00:00/2026-06-02T10:00+00:00", "berakhir di masa depan"),
        ("8d", "lebih lama dari yang diizinkan"),
    ]:
        with pytest.raises(SopError, match=message):
            given_timing(bad, 3, now)


def test_answer_pairs_and_persons():
    assert pairs(["2=tidak_tersedia"], "--choose", "KEY") == {2: "tidak_tersedia"}
    with pytest.raises(SopError, match="--choose: 'x' bukan STEP=KEY"):
        pairs(["x"], "--choose", "KEY")
    assert persons(["3=Andi", "Budi Santoso"]) == ({3: "Andi"}, "Budi Santoso")
    with pytest.raises(SopError, match="--person: berikan NAMA sekali"):
        persons(["A", "B"])
