"""Database helpers of the SOP 7.2/7.4 modules: dump and load commands, table figures.

MariaDB/MySQL is reached by its local socket as root (credentials from the
option file ``defaults_file``, default ~/.my.cnf); PostgreSQL as the OS user
``os_user`` (peer authentication).  Nothing here puts a password in argv.
"""

from __future__ import annotations

import subprocess
from typing import Any

ENGINES = ("mariadb", "mysql", "postgresql")


def database_options() -> dict[str, Any]:
    """Return the argument_spec entries the database modules share: engine, name, connection.

    The connection options are documented once, in the ``sop_database`` doc fragment.
    """
    return {
        "engine": {"type": "str", "choices": list(ENGINES), "required": True},
        "database": {"type": "str", "required": True},
        "socket": {"type": "str"},
        "port": {"type": "int"},
        "defaults_file": {"type": "path"},
        "os_user": {"type": "str", "default": "postgres"},
    }


def _mariadb_base(params: dict[str, Any], program: str) -> list[str]:
    argv = [program]
    if params.get("defaults_file"):
        argv.append(f"--defaults-extra-file={params['defaults_file']}")
    if params.get("socket"):
        argv.append(f"--socket={params['socket']}")
    return argv


def _pg_prefix(params: dict[str, Any]) -> list[str]:
    user = params.get("os_user") or "postgres"
    return ["runuser", "-u", user, "--"]


def _pg_conn(params: dict[str, Any]) -> list[str]:
    argv = []
    if params.get("socket"):
        argv += ["-h", params["socket"]]
    if params.get("port"):
        argv += ["-p", str(params["port"])]
    return argv


def dump_argv(engine: str, database: str, params: dict[str, Any]) -> list[str]:
    """Given an engine and a database, return the consistent dump command."""
    if engine in ("mariadb", "mysql"):
        program = "mariadb-dump" if engine == "mariadb" else "mysqldump"
        return [
            *_mariadb_base(params, program),
            "--single-transaction",
            "--quick",
            "--routines",
            "--triggers",
            "--events",
            "--hex-blob",
            database,
        ]
    return [*_pg_prefix(params), "pg_dump", *_pg_conn(params), "-Fc", "-d", database]


def sql(engine: str, database: str, script: str, params: dict[str, Any]) -> str:
    """Given a SQL script, run it in the database and return its tab-separated output."""
    if engine in ("mariadb", "mysql"):
        program = "mariadb" if engine == "mariadb" else "mysql"
        argv = [*_mariadb_base(params, program), "-N", "-B"]
        if database:
            argv.append(database)
    else:
        argv = [
            *_pg_prefix(params),
            "psql",
            *_pg_conn(params),
            "-X",
            "-q",
            "-At",
            "-F",
            "\t",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            database or "postgres",
        ]
    proc = subprocess.run(argv, input=script, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[0] if argv[0] != 'runuser' else 'psql'}: {proc.stderr.strip()}")
    return proc.stdout


def _lit(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def _my_ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _pg_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def database_exists(engine: str, database: str, params: dict[str, Any]) -> bool:
    """Given an engine and a database name, return whether that database exists."""
    if engine in ("mariadb", "mysql"):
        out = sql(
            engine,
            "",
            "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA "
            f"WHERE SCHEMA_NAME = {_lit(database)};",
            params,
        )
    else:
        out = sql(
            engine,
            "postgres",
            f"SELECT datname FROM pg_database WHERE datname = {_lit(database)};",
            params,
        )
    return bool(out.strip())


def table_figures(engine: str, database: str, params: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Given a database, return per base table its row count and a checksum.

    MariaDB: CHECKSUM TABLE ... EXTENDED.  PostgreSQL: md5 over the rows'
    text forms in order (schema-qualified table names).
    """
    figures: dict[str, dict[str, Any]] = {}
    if engine in ("mariadb", "mysql"):
        names = [
            line
            for line in sql(
                engine,
                database,
                "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
                f"{_lit(database)} AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME;",
                params,
            ).splitlines()
            if line
        ]
        if not names:
            return figures
        script = "".join(f"SELECT {_lit(n)}, COUNT(*) FROM {_my_ident(n)};\n" for n in names)
        script += "CHECKSUM TABLE " + ", ".join(_my_ident(n) for n in names) + " EXTENDED;\n"
        rows: dict[str, int] = {}
        sums: dict[str, str] = {}
        for line in sql(engine, database, script, params).splitlines():
            parts = line.split("\t")
            if len(parts) != 2:
                continue
            key, value = parts
            if key in names and key not in rows:
                rows[key] = int(value)
            else:
                sums[key.split(".", 1)[1] if "." in key else key] = value
        for name in names:
            figures[name] = {"rows": rows.get(name, 0), "checksum": sums.get(name, "NULL")}
        return figures
    names = [
        line
        for line in sql(
            engine,
            database,
            "SELECT schemaname || '.' || tablename FROM pg_tables WHERE schemaname NOT IN "
            "('pg_catalog', 'information_schema') ORDER BY 1;",
            params,
        ).splitlines()
        if line
    ]
    if not names:
        return figures
    script = ""
    for name in names:
        schema, table = name.split(".", 1)
        ident = f"{_pg_ident(schema)}.{_pg_ident(table)}"
        script += (
            f"SELECT {_lit(name)}, count(*), "
            f"coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '') FROM {ident} t;\n"
        )
    for line in sql(engine, database, script, params).splitlines():
        parts = line.split("\t")
        if len(parts) == 3:
            figures[parts[0]] = {"rows": int(parts[1]), "checksum": parts[2][:16] or "empty"}
    return figures


def recreate(engine: str, database: str, params: dict[str, Any], drop: bool) -> None:
    """Given a database name, create it empty (dropping it first when ``drop``)."""
    if engine in ("mariadb", "mysql"):
        script = (f"DROP DATABASE IF EXISTS {_my_ident(database)};\n" if drop else "") + (
            f"CREATE DATABASE {_my_ident(database)};\n"
        )
        sql(engine, "", script, params)
        return
    if drop:
        sql(
            engine,
            "postgres",
            f"DROP DATABASE IF EXISTS {_pg_ident(database)} WITH (FORCE);",
            params,
        )
    sql(engine, "postgres", f"CREATE DATABASE {_pg_ident(database)};", params)


def load_argv(engine: str, database: str, params: dict[str, Any]) -> list[str]:
    """Given a database, return the command that loads a dump from stdin into it."""
    if engine in ("mariadb", "mysql"):
        program = "mariadb" if engine == "mariadb" else "mysql"
        return [*_mariadb_base(params, program), database]
    return [
        *_pg_prefix(params),
        "pg_restore",
        *_pg_conn(params),
        "--no-owner",
        "--exit-on-error",
        "-d",
        database,
    ]
