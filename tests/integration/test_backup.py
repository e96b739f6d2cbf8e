"""SOP 7.1–7.5 against the lab: real restic to the SFTP repository on the backup
host, real MariaDB and PostgreSQL on srv1, through `sop request/run`.

Each test drives the lab through a sop installation of its own (`lab_env`): its own
store, restic's password in a private file and a fresh repository on the backup host."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from sop_runner.config import REPO_ROOT
from sop_runner.procedures.backup.models import BackupRecord, RestoreRecord, RetentionRecord
from sop_runner.store.models import AuditEntry
from tests.support.remote_restic import restic_on
from tests.support.sop import ok

pytestmark = [pytest.mark.lab, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

DATA = "/srv/sopdata"


def _restic(env, args, check=True):
    """Run restic on srv1 (it reaches the backup host with the key the playbooks set up);
    its password reaches srv1 as a file, never on a command line."""
    return restic_on(env.lab, "srv1", env.repo, env.restic_password, args, check=check)


def _snapshots(env):
    return json.loads(_restic(env, "snapshots --json").stdout or "[]")


def _request(env, proc, params, operator="budi", approvers=()):
    args = ["request", proc, "--target", "srv1", "--reason", f"uji {proc}"]
    for key, value in params.items():
        args += ["--param", f"{key}={value}"]
    out = ok(env.sop(*args, operator=operator)).stdout
    request_id = out.split()[1]
    for approver in approvers:
        ok(env.sop("approve", request_id, operator=approver))
    return request_id


def _run(env, request_id, confirms, operator="budi"):
    args = ["run", request_id]
    for step in confirms:
        args += ["--confirm", f"{step}=selesai"]
    return env.sop(*args, operator=operator)


def test_files_backed_up_deleted_restored_identical(lab_env, lab, tmp_path):
    env = lab_env
    lab.ssh(
        "srv1",
        f"rm -rf {DATA} && mkdir -p {DATA}/docs {DATA}/img && "
        f"for i in 1 2 3; do head -c $((i*70000)) /dev/urandom > {DATA}/docs/lap$i.pdf; done && "
        f"echo a,b > {DATA}/tabel.csv && echo x > {DATA}/docs/catatan.txt && "
        f"head -c 5000 /dev/urandom > {DATA}/img/foto.JPG && echo r > {DATA}/README",
    )
    before = lab.ssh("srv1", f"cd {DATA} && find . -type f -exec sha256sum {{}} + | sort").stdout
    assert before.count("\n") == 7

    rid = _request(env, "7.1", {"paths": f"[{DATA}]", "repository": env.repo})
    ok(_run(env, rid, [1, 2, 4]))
    with env.ctx().session() as session:
        rec = session.scalars(select(BackupRecord)).one()
        assert (rec.kind, rec.host, rec.source, rec.status) == ("file", "srv1", DATA, "ok")
        assert rec.details["file_types"] == {"pdf": 3, "(none)": 1, "csv": 1, "jpg": 1, "txt": 1}
        assert rec.size_bytes == int(
            lab.ssh(
                "srv1", f"find {DATA} -type f -printf '%s\\n' | awk '{{s+=$1}} END {{print s}}'"
            ).stdout
        )
        snapshot_id = rec.snapshot_id
    snaps = _snapshots(env)
    assert [s["short_id"] for s in snaps] == [snapshot_id]
    assert snaps[0]["hostname"] == "srv1" and snaps[0]["paths"] == [DATA]
    assert {"sop", "sop-procedure=7.1", "kind=file"} <= set(snaps[0]["tags"])

    lab.ssh("srv1", f"rm -rf {DATA}")
    rid = _request(
        env,
        "7.3",
        {"snapshot": snapshot_id, "target": "/", "overwrite": "false", "repository": env.repo},
    )
    ok(_run(env, rid, [1, 2, 4]))
    after = lab.ssh("srv1", f"cd {DATA} && find . -type f -exec sha256sum {{}} + | sort").stdout
    assert after == before
    with env.ctx().session() as session:
        restore = session.scalars(select(RestoreRecord)).one()
        assert (restore.status, restore.verified, restore.kind) == ("ok", True, "file")
        assert restore.details["file_count"] == 7

    # Back in place: restoring again without overwrite is refused, nothing written.
    lab.ssh("srv1", f"echo diubah > {DATA}/tabel.csv")
    rid = _request(
        env,
        "7.3",
        {"snapshot": snapshot_id, "target": "/", "overwrite": "false", "repository": env.repo},
    )
    refused = _run(env, rid, [1, 2, 4])
    assert refused.returncode != 0 and "overwrite=true" in refused.stdout + refused.stderr
    assert lab.ssh("srv1", f"cat {DATA}/tabel.csv").stdout == "diubah\n"

    for lang, title in (("id", "Laporan hasil backup file"), ("en", "File backup result report")):
        paths = ok(env.sop("backup", "report", "1", "--lang", lang, "--out", str(tmp_path)))
        text = Path(paths.stdout.split()[0]).read_text()
        assert title in text and "pdf: 3" in text and snapshot_id[:8] in text and DATA in text
    text = Path(
        ok(env.sop("backup", "report", "2", "--out", str(tmp_path))).stdout.split()[0]
    ).read_text()
    assert "Laporan hasil restore file" in text and "| ya |" in text
    assert env.restic_password not in "".join(p.read_text() for p in tmp_path.glob("*.md"))


MY_FIGURES = (
    "mariadb -N -B appdb -e 'CHECKSUM TABLE pegawai, layanan_log EXTENDED; "
    "SELECT COUNT(*) FROM pegawai; SELECT COUNT(*) FROM layanan_log'"
)
PG_FIGURES = (
    'runuser -u postgres -- psql -At -d appdb -c "SELECT count(*), '
    "md5(string_agg(t::text, ',' ORDER BY t::text)) FROM pegawai t\" -c "
    "\"SELECT count(*), md5(string_agg(t::text, ',' ORDER BY t::text)) FROM layanan_log t\""
)


def test_databases_dumped_dropped_restored_equal_and_overwrite_refused(lab_env, lab, tmp_path):
    env = lab_env
    my_before = lab.ssh("srv1", MY_FIGURES).stdout
    pg_before = lab.ssh("srv1", f"cd / && {PG_FIGURES}").stdout
    assert "300" in my_before and "300|" in pg_before

    rid = _request(
        env, "7.2", {"databases": "[mariadb/appdb, postgresql/appdb]", "repository": env.repo}
    )
    ok(_run(env, rid, [1, 2, 3, 5]))
    with env.ctx().session() as session:
        rows = session.scalars(select(BackupRecord).order_by(BackupRecord.id)).all()
        assert [(r.source, r.status) for r in rows] == [
            ("mariadb/appdb", "ok"),
            ("postgresql/appdb", "ok"),
        ]
        snaps = {r.source: r.snapshot_id for r in rows}
        stamp = rows[0].taken_at.strftime("%Y%m%d-%H%M%S")
        assert rows[0].details["filename"] == f"mariadb-appdb-{stamp}.sql"
        assert rows[1].details["filename"].endswith(".dump") and rows[0].size_bytes > 1000
        assert rows[0].details["tables"]["pegawai"]["rows"] == 300
    paths = {s["short_id"]: s["paths"] for s in _snapshots(env)}
    assert paths[snaps["mariadb/appdb"]] == [f"/mariadb-appdb-{stamp}.sql"]

    lab.ssh(
        "srv1",
        "mariadb -e 'DROP DATABASE appdb' && cd / && runuser -u postgres -- dropdb --force appdb",
    )
    for engine in ("mariadb", "postgresql"):
        rid = _request(
            env,
            "7.4",
            {
                "snapshot": snaps[f"{engine}/appdb"],
                "engine": engine,
                "database": "appdb",
                "overwrite": "false",
                "repository": env.repo,
            },
        )
        ok(_run(env, rid, [1, 2, 4]))
    assert lab.ssh("srv1", MY_FIGURES).stdout == my_before
    assert lab.ssh("srv1", f"cd / && {PG_FIGURES}").stdout == pg_before
    with env.ctx().session() as session:
        restores = session.scalars(select(RestoreRecord).order_by(RestoreRecord.id)).all()
        assert [(r.target, r.status, r.verified) for r in restores] == [
            ("mariadb/appdb", "ok", True),
            ("postgresql/appdb", "ok", True),
        ]
        assert {t["table"] for t in restores[1].details["tables"]} == {
            "public.pegawai",
            "public.layanan_log",
        }

    # Onto the existing database without overwrite: refused, clear message, nothing changed.
    lab.ssh(
        "srv1",
        'mariadb appdb -e "INSERT INTO layanan_log (id) VALUES (999999)" 2>/dev/null || true',
    )
    marked = lab.ssh("srv1", MY_FIGURES).stdout
    rid = _request(
        env,
        "7.4",
        {
            "snapshot": snaps["mariadb/appdb"],
            "engine": "mariadb",
            "database": "appdb",
            "overwrite": "false",
            "repository": env.repo,
        },
    )
    refused = _run(env, rid, [1, 2, 4])
    message = refused.stdout + refused.stderr
    assert refused.returncode != 0
    assert "database appdb already exists" in message and "overwrite=true" in message
    assert lab.ssh("srv1", MY_FIGURES).stdout == marked
    with env.ctx().session() as session:
        last = session.scalars(select(RestoreRecord).order_by(RestoreRecord.id.desc())).first()
        assert last.status == "refused" and not last.verified
    if marked != my_before:  # put the lab's appdb back as it was
        lab.ssh("srv1", "mariadb appdb -e 'DELETE FROM layanan_log WHERE id = 999999'")

    text = Path(
        ok(env.sop("backup", "report", "1", "--out", str(tmp_path))).stdout.split()[0]
    ).read_text()
    assert f"mariadb-appdb-{stamp}.sql" in text and "pegawai 300" in text
    now = datetime.now(UTC)
    semester = f"{now.year}-{1 if now.month <= 6 else 2}"
    recap = Path(
        ok(
            env.sop("backup", "recap", "--semester", semester, "--out", str(tmp_path))
        ).stdout.split()[0]
    ).read_text()
    assert "Rekapitulasi" in recap and "mariadb/appdb" in recap and "postgresql/appdb" in recap

    # Overdue: the minimum for data is weekly; eight days later both databases are overdue.
    fine = env.sop("backup", "overdue", "--json", "--at", (now + timedelta(days=1)).isoformat())
    assert fine.returncode == 0 and json.loads(fine.stdout) == []
    late = env.sop("backup", "overdue", "--json", "--at", (now + timedelta(days=8)).isoformat())
    assert late.returncode == 1
    assert {(o["host"], o["source"]) for o in json.loads(late.stdout)} == {
        ("srv1", "mariadb/appdb"),
        ("srv1", "postgresql/appdb"),
    }


def test_failed_dump_leaves_no_snapshot_and_a_failure_record(lab_env, lab):
    env = lab_env
    # A dump that dies mid-way: t1 is written, then the view over a dropped table fails.
    lab.ssh(
        "srv1",
        'mariadb -e "DROP DATABASE IF EXISTS rusakdb; CREATE DATABASE rusakdb; '
        "USE rusakdb; CREATE TABLE t1 (id INT PRIMARY KEY, isi TEXT); "
        "INSERT INTO t1 SELECT seq, REPEAT('x', 200) FROM seq_1_to_2000; "
        'CREATE TABLE t2 (id INT); CREATE VIEW v AS SELECT id FROM t2; DROP TABLE t2;"',
    )
    rid = _request(env, "7.2", {"databases": "[mariadb/rusakdb]", "repository": env.repo})
    failed = _run(env, rid, [1, 2, 3, 5])
    assert failed.returncode != 0 and "rusakdb" in failed.stdout + failed.stderr
    assert _snapshots(env) == []
    with env.ctx().session() as session:
        row = session.scalars(select(BackupRecord)).one()
        assert (row.source, row.status, row.snapshot_id) == ("mariadb/rusakdb", "failed", None)
        assert len(row.details["removed_snapshots"]) == 1  # restic 0.14 had kept one
        assert "rusakdb" in row.details["error"]
    lab.ssh("srv1", "mariadb -e 'DROP DATABASE rusakdb'")


def _a_year_before(when: datetime) -> datetime:
    """Given a date, return the same date a year before (29 February: the 28th)."""
    try:
        return when.replace(year=when.year - 1)
    except ValueError:
        return when.replace(year=when.year - 1, day=28)


def test_retention_deletes_exactly_the_old_one_never_a_last(lab_env, lab):
    env = lab_env
    today = datetime.now(UTC).replace(hour=3, minute=0, second=0, microsecond=0)
    dated = {
        "a-13m": ("/srv/ret/a", "srv1", today - timedelta(days=396)),
        # Exactly one calendar year old: not older than a year, so it stays.
        "a-1y": ("/srv/ret/a", "srv1", _a_year_before(today)),
        "a-11m": ("/srv/ret/a", "srv1", today - timedelta(days=335)),
        "a-future": ("/srv/ret/a", "srv1", today + timedelta(days=30)),
        "b-14m": ("/srv/ret/b", "srv1", today - timedelta(days=426)),
        # Another host's backups in the same repository: a request for srv1 never
        # touches them, although the old one is not the last of its source.
        "srv2-14m": ("/srv/ret/a", "srv2", today - timedelta(days=426)),
        "srv2-1m": ("/srv/ret/a", "srv2", today - timedelta(days=30)),
        # Database dumps (SOP 7.2, tagged as db_backup tags them): 7.5 deletes file
        # backups only, so the old dump stays without a policy of its own (issue 16).
        "db-14m": ("/srv/ret/db", "srv1", today - timedelta(days=426)),
        "db-1m": ("/srv/ret/db", "srv1", today - timedelta(days=30)),
    }
    dump_tags = "--tag kind=database --tag source=mariadb/appdb"
    lab.ssh(
        "srv1",
        "mkdir -p /srv/ret/a /srv/ret/b /srv/ret/db && echo a > /srv/ret/a/f.txt && "
        "echo b > /srv/ret/b/g.txt && echo 'CREATE TABLE t (x int);' > /srv/ret/db/d.sql",
    )
    # Bare restic on srv1 needs srv1's key on the backup host (the playbooks set this up too).
    lab.ssh(
        "srv1",
        "test -f /root/.ssh/sop_restic_ed25519 || ssh-keygen -q -t ed25519 -N '' "
        "-f /root/.ssh/sop_restic_ed25519 && printf 'Host backup\\n IdentityFile "
        "/root/.ssh/sop_restic_ed25519\\n StrictHostKeyChecking accept-new\\n' "
        ">> /root/.ssh/config",
    )
    key = lab.ssh("srv1", "cat /root/.ssh/sop_restic_ed25519.pub").stdout.strip()
    lab.ssh(
        "backup",
        f"grep -qF '{key}' /root/.ssh/authorized_keys || "
        f"echo '{key}' >> /root/.ssh/authorized_keys",
    )
    _restic(env, "init")
    ids = {}
    for name, (path, host, when) in dated.items():
        tags = dump_tags if name.startswith("db-") else ""
        out = _restic(
            env, f"backup --json --host {host} --time '{when:%Y-%m-%d %H:%M:%S}' {tags} {path}"
        ).stdout
        ids[name] = json.loads(out.strip().splitlines()[-1])["snapshot_id"]
    full = {s["short_id"]: s["id"] for s in _snapshots(env)}
    ids = {k: full[v[:8]] for k, v in ids.items()}

    # Check mode (plain ansible-playbook, no request needed): lists, deletes nothing.
    cp = subprocess.run(
        [
            "ssh-agent",  # the gate loads the preview's certificate into the play's own agent
            str(lab.bin_dir / "ansible-playbook"),
            "-i",
            str(lab.inventory),
            "-l",
            "srv1",
            "--check",
            "playbooks/retention.yml",
            "-e",
            json.dumps({"sop_params": {"repository": env.repo, "max_age_days": 365}}),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        env={
            **lab.ansible_env(),
            "ANSIBLE_SHOW_CUSTOM_STATS": "1",
            "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default",
        },
    )
    assert cp.returncode == 0, cp.stdout[-2000:] + cp.stderr[-2000:]
    would_go = cp.stdout.split('"deleted"')[1].split('"future"')[0]
    assert ids["a-13m"] in would_go and ids["a-11m"] not in would_go
    assert ids["a-1y"] not in would_go
    assert ids["srv2-14m"] not in cp.stdout  # not even listed
    assert env.restic_password not in cp.stdout + cp.stderr
    assert len(_snapshots(env)) == len(dated)

    # Deleting backups is gated (penanggung jawab: a project rule); 7.5 names no Pimpinan,
    # so srv1's critical services add none (issue 16).
    rid = _request(env, "7.5", {"repository": env.repo, "max_age_days": "365"}, approvers=("sari",))
    ok(_run(env, rid, [1, 3]))
    left = {s["id"] for s in _snapshots(env)}
    assert left == {ids[k] for k in dated} - {ids["a-13m"]}
    with env.ctx().session() as session:
        rec = session.scalars(select(RetentionRecord)).one()
        assert [d["id"] for d in rec.deleted] == [ids["a-13m"]]
        assert [d["id"] for d in rec.kept_last] == [ids["b-14m"]]
        assert [d["id"] for d in rec.future] == [ids["a-future"]]
        assert rec.pruned and rec.deleted[0]["owner"] == "srv1:/srv/ret/a"
        assert {d["host"] for d in rec.deleted + rec.kept_last + rec.future} == {"srv1"}
    assert ids["db-14m"] in left  # a file-backup pass leaves every database dump
    with env.ctx().session() as session:
        entry = next(
            json.loads(e.content)["data"]
            for e in session.scalars(select(AuditEntry))
            if json.loads(e.content)["action"] == "retention.ok"
        )
    assert entry["scope"] == ["file"]
    assert sorted(entry["out_of_scope"]) == sorted([ids["db-14m"], ids["db-1m"]])
    text = Path(ok(env.sop("backup", "report", rid)).stdout.split()[0]).read_text()
    assert "Laporan hasil penghapusan backup file" in text and ids["a-13m"][:8] in text
    assert "/srv/ret/a" in text and "file" in text
    assert os.environ.get("RESTIC_PASSWORD") is None


def test_check_run_without_request_grants_no_access(lab_env, lab):
    """The gate lets a check run without a request through only because it changes nothing:
    it must not create the target's key nor authorize it on the repository host."""
    lab.ssh("srv1", "rm -f /root/.ssh/sop_restic_ed25519 /root/.ssh/sop_restic_ed25519.pub")
    before = lab.ssh("backup", "cat /root/.ssh/authorized_keys", check=False).stdout
    result = subprocess.run(
        ["ssh-agent", str(lab.bin_dir / "ansible-playbook"), "-i", str(lab.inventory),
         "playbooks/backup_files.yml", "--check", "-l", "srv1",
         "-e", json.dumps({"sop_params": {"paths": [DATA], "repository": lab_env.repo}})],
        cwd=REPO_ROOT, capture_output=True, text=True, env=lab.ansible_env(), timeout=300,
    )  # fmt: skip
    for refused in ("sop_gate menolak", "sop_gate refused"):  # the play's language or English
        assert refused not in result.stdout, result.stdout
    # It reached srv1 (with a preview's certificate) and only pretended to make the key.
    for none in ("tidak ada sertifikat", "no certificate"):
        assert none not in result.stdout, result.stdout[-2000:]
    assert "Command would have run if not in check mode" in result.stdout, result.stdout[-2000:]
    assert lab.ssh("srv1", "test -e /root/.ssh/sop_restic_ed25519", check=False).returncode == 1
    after = lab.ssh("backup", "cat /root/.ssh/authorized_keys", check=False).stdout
    assert after == before
