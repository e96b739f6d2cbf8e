"""The restic backend of the SOP 7.x modules against the real restic binary and a local
repository: streaming a dump in and out, cleaning up a failed attempt, picking one
snapshot, and checking a file restore against the snapshot."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ansible.module_utils.sop_restic import Restic, ResticError
from ansible.module_utils.sop_restore import restored_files

pytestmark = pytest.mark.skipif(not shutil.which("restic"), reason="needs the restic binary")


@pytest.fixture(scope="module")
def restic(tmp_path_factory: pytest.TempPathFactory) -> Restic:
    """One repository for the module (each restic start costs its key derivation, ~0.5 s);
    each test uses hosts of its own, so none sees another's snapshots."""
    root = tmp_path_factory.mktemp("restic")
    repo = Restic(str(root / "repo"), password="uji-rahasia", binary=shutil.which("restic"))
    repo.env["RESTIC_CACHE_DIR"] = str(root / "cache")
    repo.run("init")
    return repo


def _stdin_backup(name: str, attempt: str, host: str) -> list[str]:
    args = ["backup", "--json", "--stdin", "--stdin-filename", name, "--host", host]
    return [*args, "--tag", f"attempt={attempt}"]


def test_a_dump_streams_in_and_back_out_unchanged(restic: Restic, tmp_path: Path) -> None:
    data = "".join(f"INSERT INTO t VALUES ({n});\n" for n in range(20000))
    source = tmp_path / "dump.sql"
    source.write_text(data)
    piped = restic.backup_from(["cat", str(source)], *_stdin_backup("appdb.sql", "a1", "srv1"))
    assert (piped.first_rc, piped.second_rc) == (0, 0), piped.second_text
    snap = restic.one_snapshot("latest", ["--host", "srv1", "--tag", "attempt=a1"])
    assert snap["paths"] == ["/appdb.sql"]
    assert restic.one_snapshot(snap["short_id"], [])["id"] == snap["id"]
    out = tmp_path / "loaded.sql"
    piped = restic.dump_into(["sh", "-c", f"cat > {out}"], "dump", snap["id"], "/appdb.sql")
    assert (piped.first_rc, piped.second_rc) == (0, 0)
    assert out.read_text() == data
    assert "uji-rahasia" not in piped.first_text + piped.second_text


def test_a_failed_dump_leaves_a_snapshot_that_forget_tagged_removes(restic: Restic) -> None:
    failing = ["sh", "-c", "printf 'half a dump'; echo 'dump: table t1 is broken' >&2; exit 3"]
    piped = restic.backup_from(failing, *_stdin_backup("broken.sql", "a2", "srv2"))
    assert piped.first_rc == 3 and "table t1 is broken" in piped.first_text
    left = restic.snapshots("--tag", "attempt=a2")
    assert len(left) == 1  # restic 0.14 keeps what it read from a dying producer
    assert restic.forget_tagged("attempt=a2") == [left[0]["id"]]
    assert restic.snapshots("--host", "srv2") == []
    assert restic.forget_tagged("attempt=a2") == []


def test_one_snapshot_refuses_a_name_for_none_or_several(restic: Restic) -> None:
    for attempt in ("b1", "b2"):
        restic.backup_from(["echo", attempt], *_stdin_backup("x.sql", attempt, "srv3"))
    with pytest.raises(ResticError, match=r"^snapshot: 'latest' names 0 snapshots, not one$"):
        restic.one_snapshot("latest", ["--host", "srv9"])
    assert restic.one_snapshot("latest", ["--host", "srv3"])["tags"] == ["attempt=b2"]
    # restic's "latest" is one per host and path: two hosts' latest are not one snapshot.
    restic.backup_from(["echo", "c"], *_stdin_backup("x.sql", "c1", "srv4"))
    with pytest.raises(ResticError, match="names 2 snapshots, not one"):
        restic.one_snapshot("latest", ["--path", "/x.sql"])


def test_a_restore_is_checked_file_by_file_against_the_snapshot(
    restic: Restic, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    (data / "docs").mkdir(parents=True)
    (data / "docs" / "lap.PDF").write_bytes(b"%PDF" + bytes(range(256)) * 300)
    (data / "tabel.csv").write_text("a,b\n")
    (data / "README").write_text("r\n")
    restic.run("backup", "--host", "srv5", str(data))
    (snap,) = restic.snapshots("--host", "srv5")
    target = tmp_path / "restored"
    restic.run("restore", snap["id"], "--target", str(target))
    checked = restored_files(restic, snap["id"], [str(data)], str(target), verify=True)
    assert checked["file_count"] == 3 and checked["mismatches"] == []
    assert checked["file_types"] == {"(none)": 1, "csv": 1, "pdf": 1}
    assert checked["total_size"] == sum(p.stat().st_size for p in data.rglob("*") if p.is_file())
    changed = target / str(data).lstrip("/") / "tabel.csv"
    changed.write_text("a,c\n")
    checked = restored_files(restic, snap["id"], [str(data / "docs")], str(target), verify=True)
    assert checked["file_count"] == 1 and checked["mismatches"] == []  # only under the root
    checked = restored_files(restic, snap["id"], [str(data)], str(target), verify=True)
    assert checked["mismatches"] == [str(changed)]
    with pytest.raises(ResticError, match="restic dump"):
        restored_files(restic, "0" * 64, [str(data)], str(target), verify=True)
