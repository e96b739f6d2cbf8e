"""srv1's MariaDB and PostgreSQL: data directories seeded once, copied in on every up."""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import time
from pathlib import Path

from sop_runner.lab import plan
from sop_runner.lab.files import ensure_dir, make_opaque, write
from sop_runner.lab.proc import LabError, run

SEED_VERSION = 1
MYSQL_SEED = plan.SEED_DIR / "mysql"
PG_SEED = plan.SEED_DIR / "pg"
SEED_META = plan.SEED_DIR / "seed.json"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_DATA_IN_HOST = "/var/lib/postgresql/15/lab"
MYSQL_DATA_IN_HOST = "/var/lib/mysql"
UNITS = ("Sekretariat", "Bidang TIK", "Bidang Statistik", "Bidang Persandian", "Bidang IKP")
PEGAWAI_ROWS = 300
LOG_ROWS = 400


def password() -> str:
    """Given the lab's secrets dir, return the database password (created 0600 if missing)."""
    plan.SECRETS_DIR.mkdir(parents=True, exist_ok=True)
    plan.SECRETS_DIR.chmod(0o700)
    if not plan.DB_PASSWORD_FILE.exists():
        fd = os.open(plan.DB_PASSWORD_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(18) + "\n")
    return plan.DB_PASSWORD_FILE.read_text().strip()


def _data_sql(serial: str) -> str:
    """Given the SQL type of an auto id column, return the tables and rows of `appdb`."""
    rows = []
    for i in range(1, PEGAWAI_ROWS + 1):
        nip = f"19{70 + i % 30:02d}{1 + i % 12:02d}{1 + i % 28:02d}20{i % 20:02d}01{i:04d}"
        rows.append(f"('{nip}', 'Pegawai {i:04d}', '{UNITS[i % len(UNITS)]}')")
    logs = [
        f"({1 + i % PEGAWAI_ROWS}, 'layanan-{i % 7}', {100 + (i * 37) % 900})"
        for i in range(1, LOG_ROWS + 1)
    ]
    return (
        f"CREATE TABLE pegawai (id {serial} PRIMARY KEY, nip VARCHAR(20) NOT NULL UNIQUE,"
        " nama VARCHAR(100) NOT NULL, unit VARCHAR(60) NOT NULL);\n"
        f"CREATE TABLE layanan_log (id {serial} PRIMARY KEY, pegawai_id INT NOT NULL"
        " REFERENCES pegawai(id), layanan VARCHAR(40) NOT NULL, durasi_ms INT NOT NULL);\n"
        f"INSERT INTO pegawai (nip, nama, unit) VALUES {', '.join(rows)};\n"
        f"INSERT INTO layanan_log (pegawai_id, layanan, durasi_ms) VALUES {', '.join(logs)};\n"
    )


def _wait_path(path: Path, proc: subprocess.Popen[bytes], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise LabError(f"{what} did not start while seeding (see {plan.SEED_DIR})")
        time.sleep(0.05)


def _seed_mariadb(pw: str, work: Path) -> None:
    mysql_uid = pwd.getpwnam("mysql")
    data = work / "mysql"
    data.mkdir()
    os.chown(data, mysql_uid.pw_uid, mysql_uid.pw_gid)
    run(
        [
            "mariadb-install-db",
            "--no-defaults",
            "--user=mysql",
            f"--datadir={data}",
            "--auth-root-authentication-method=socket",
            "--skip-test-db",
        ],
        timeout=300,
    )
    sockdir = work / "mysqlsock"
    sockdir.mkdir()
    os.chown(sockdir, mysql_uid.pw_uid, mysql_uid.pw_gid)
    sock = sockdir / "mysqld.sock"
    log = (work / "mariadb-seed.log").open("wb")
    proc = subprocess.Popen(
        [
            "mariadbd",
            "--no-defaults",
            "--user=mysql",
            f"--datadir={data}",
            f"--socket={sock}",
            "--skip-networking",
            f"--pid-file={sockdir}/mysqld.pid",
        ],
        stdout=log,
        stderr=log,
    )
    try:
        _wait_path(sock, proc, "mariadbd")
        sql = (
            f"CREATE DATABASE {plan.DB_NAME} CHARACTER SET utf8mb4;\n"
            f"CREATE USER '{plan.DB_USER}'@'%' IDENTIFIED BY '{pw}';\n"
            f"GRANT ALL PRIVILEGES ON *.* TO '{plan.DB_USER}'@'%';\n"
            f"USE {plan.DB_NAME};\n" + _data_sql("INT AUTO_INCREMENT")
        )
        run(["mariadb", "--no-defaults", f"--socket={sock}", "-u", "root"], input=sql)
        run(["mariadb-admin", "--no-defaults", f"--socket={sock}", "-u", "root", "shutdown"])
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()


def _seed_postgres(pw: str, work: Path) -> None:
    pg = pwd.getpwnam("postgres")
    data = work / "pg"
    sockdir = work / "pgsock"
    for d in (data, sockdir):
        d.mkdir()
        os.chown(d, pg.pw_uid, pg.pw_gid)
    data.chmod(0o700)
    as_pg = ["setpriv", f"--reuid={pg.pw_uid}", f"--regid={pg.pw_gid}", "--init-groups"]
    run(
        [
            *as_pg,
            str(PG_BIN / "initdb"),
            "-D",
            str(data),
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--auth-local=peer",
            "--auth-host=scram-sha-256",
            "-U",
            "postgres",
        ],
        timeout=300,
    )
    log = (work / "postgres-seed.log").open("wb")
    proc = subprocess.Popen(
        [
            *as_pg,
            str(PG_BIN / "postgres"),
            "-D",
            str(data),
            "-c",
            "listen_addresses=",
            "-c",
            f"unix_socket_directories={sockdir}",
        ],
        stdout=log,
        stderr=log,
    )
    try:
        _wait_path(sockdir / ".s.PGSQL.5432", proc, "postgres")
        time.sleep(0.3)
        psql = [
            *as_pg,
            str(PG_BIN / "psql"),
            "-h",
            str(sockdir),
            "-U",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
            "-q",
        ]
        run(
            [*psql, "-d", "postgres"],
            input=(
                f"CREATE ROLE {plan.DB_USER} LOGIN SUPERUSER PASSWORD '{pw}';\n"
                f"CREATE DATABASE {plan.DB_NAME} OWNER {plan.DB_USER};\n"
            ),
        )
        run(
            [*psql, "-d", plan.DB_NAME], input=(f"SET ROLE {plan.DB_USER};\n" + _data_sql("SERIAL"))
        )
        run([*as_pg, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
    with (data / "postgresql.conf").open("a") as f:
        f.write(
            "\n# sop-lab\nlisten_addresses = '*'\nport = 5432\n"
            "unix_socket_directories = '/var/run/postgresql'\n"
        )
    with (data / "pg_hba.conf").open("a") as f:
        f.write("\n# sop-lab: the lab's networks\nhost all all 10.77.0.0/16 scram-sha-256\n")


def ensure_seed() -> None:
    """Given the machine, return once seeded data dirs for the current password exist."""
    pw = password()
    want = {
        "version": SEED_VERSION,
        "password_sha256": hashlib.sha256(pw.encode()).hexdigest(),
    }
    if SEED_META.exists() and json.loads(SEED_META.read_text()) == want:
        return
    print("sop-lab: seeding MariaDB and PostgreSQL data directories (one time, ~5 s)")
    shutil.rmtree(plan.SEED_DIR, ignore_errors=True)
    plan.SEED_DIR.mkdir(parents=True)
    plan.SEED_DIR.chmod(0o755)
    work = plan.SEED_DIR
    _seed_mariadb(pw, work)
    _seed_postgres(pw, work)
    for leftover in ("mysqlsock", "pgsock"):
        p = work / leftover
        if p.is_dir():
            shutil.rmtree(p)
        else:
            p.unlink(missing_ok=True)
    SEED_META.write_text(json.dumps(want))


def install(upper: Path) -> None:
    """Given srv1's upper layer, return once its database data dirs are copied in."""
    mysql_dst = ensure_dir(upper, str(Path(MYSQL_DATA_IN_HOST).parent)) / "mysql"
    pg_parent = ensure_dir(upper, str(Path(PG_DATA_IN_HOST).parent))
    run(["cp", "-a", str(MYSQL_SEED), str(mysql_dst)])
    make_opaque(mysql_dst)
    run(["cp", "-a", str(PG_SEED), str(pg_parent / "lab")])
    write(upper, "/root/.my.cnf", "[client]\nsocket=/run/mysqld/mysqld.sock\n", mode=0o600)


def start_lines() -> str:
    """Given srv1, return the shell lines (run as its PID 1) that start both servers."""
    return f"""\
mkdir -p /run/mysqld /run/postgresql
chown mysql:mysql /run/mysqld
chown postgres:postgres /run/postgresql && chmod 2775 /run/postgresql
/usr/sbin/mariadbd --user=mysql --datadir={MYSQL_DATA_IN_HOST} \\
  --socket=/run/mysqld/mysqld.sock --port={plan.MARIADB_PORT} --bind-address=0.0.0.0 \\
  --skip-name-resolve --pid-file=/run/mysqld/mysqld.pid \\
  --log-error={MYSQL_DATA_IN_HOST}/sop-lab-error.log </dev/null >/dev/null 2>&1 &
setpriv --reuid=postgres --regid=postgres --init-groups \\
  {PG_BIN}/postgres -D {PG_DATA_IN_HOST} </dev/null >>/var/log/sop-lab-postgresql.log 2>&1 &
"""


def tcp_ready(address: str, port: int) -> bool:
    """Given an address and port, return whether a TCP connect succeeds right now."""
    try:
        with socket.create_connection((address, port), timeout=0.2):
            return True
    except OSError:
        return False
