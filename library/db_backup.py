#!/usr/bin/python
"""Dump a database consistently and stream it into restic (SOP 7.2 step 4)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: db_backup
short_description: Dump a MariaDB/MySQL or PostgreSQL database straight into a restic repository
description:
  - SOP 7.2 step 4 (narrative step 5) copies the data to the storage medium
    with the date and time of the backup in the file name. The dump
    (C(mariadb-dump --single-transaction) or C(pg_dump -Fc)) is streamed into
    C(restic backup --stdin) as C(ENGINE-DATABASE-YYYYmmdd-HHMMSS.sql|dump).
  - Before and after the dump, each base table's row count and checksum
    (MariaDB C(CHECKSUM TABLE ... EXTENDED), PostgreSQL md5 over the ordered
    rows) are taken and stored as C(tbl=...) tags of the snapshot, so a
    restore can be verified against the snapshot alone.
  - restic 0.14 keeps a snapshot when the dump piped into it fails. Every
    attempt carries a unique C(attempt=...) tag; when the dump or restic
    fails, every snapshot of the attempt is forgotten and the result says
    C(status=failed) with the reason, without failing the task, so the
    playbook can record the failure and then stop.
version_added: "0.1.0"
options:
  engine:
    description: The database engine.
    type: str
    choices: [mariadb, mysql, postgresql]
    required: true
  database:
    description: The database to back up.
    type: str
    required: true
extends_documentation_fragment:
  - restic
  - sop_database
notes:
  - Supports check mode (takes the table figures, makes no dump or snapshot).
  - Each run is a new backup, so it always reports changed when it succeeds.
author:
  - sop-pusatdata developers
"""

EXAMPLES = r"""
- name: Back up appdb of MariaDB
  db_backup:
    repository: sftp:root@backup:/srv/restic/srv1
    password: "{{ restic_password_value }}"
    engine: mariadb
    database: appdb
  no_log: true
"""

RETURN = r"""
status:
  description: C(ok) or C(failed).
  returned: always
  type: str
error:
  description: Why the backup failed (the dump's or restic's own message).
  returned: when status is failed
  type: str
snapshot_id:
  description: The snapshot id (none when failed).
  returned: always
  type: str
removed_snapshots:
  description: Snapshots of a failed attempt that were forgotten.
  returned: always
  type: list
  elements: str
filename:
  description: The dump's file name in the snapshot, with date and time.
  returned: always
  type: str
  sample: mariadb-appdb-20260510-031500.sql
size:
  description: Size of the dump, bytes.
  returned: always
  type: int
tables:
  description: Per table its row count and checksum at backup time.
  returned: always
  type: dict
stable:
  description: Whether the table figures were the same before and after the dump.
  returned: always
  type: bool
"""

import os  # noqa: E402
import socket  # noqa: E402
import uuid  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.sop_db import database_options, dump_argv, table_figures  # noqa: E402
from ansible.module_utils.sop_restic import (  # noqa: E402
    SOP_TAG,
    ResticError,
    dump_filename,
    encode_tag_value,
    now_utc,
    restic_from_params,
    restic_options,
    summary_of,
    table_tag,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **restic_options(),
            **database_options(),
        },
        required_one_of=[("password", "password_file")],
        supports_check_mode=True,
    )
    p = module.params
    engine, database = p["engine"], p["database"]
    host = p["host"] or socket.gethostname()
    when = now_utc()
    filename = dump_filename(engine, database, when)
    source = f"{engine}/{database}"
    result = {
        "changed": False,
        "engine": engine,
        "database": database,
        "source": source,
        "host": host,
        "time": when.isoformat(timespec="seconds"),
        "filename": filename,
        "repository": p["repository"],
        "snapshot_id": None,
        "removed_snapshots": [],
        "size": 0,
        "tables": {},
        "stable": True,
        "status": "ok",
    }

    def failed(why: str) -> None:
        result.update(status="failed", error=why[-800:])
        module.exit_json(**result)

    try:
        before = table_figures(engine, database, p)
    except RuntimeError as exc:
        failed(f"cannot read the tables of {source}: {exc}")
    result["tables"] = before
    if module.check_mode:
        module.exit_json(**{**result, "changed": True})
    attempt = uuid.uuid4().hex[:16]
    tags = [
        SOP_TAG,
        "sop-procedure=7.2",
        "kind=database",
        f"engine={engine}",
        f"database={encode_tag_value(database)}",
        f"source={encode_tag_value(source)}",
        f"attempt={attempt}",
    ] + [table_tag(name, f["rows"], f["checksum"]) for name, f in sorted(before.items())]
    args = ["backup", "--json", "--stdin", "--stdin-filename", filename, "--host", host]
    args += ["--time", when.strftime("%Y-%m-%d %H:%M:%S")]
    for tag in tags:
        args += ["--tag", tag]
    try:
        restic = restic_from_params(p)
        restic.env["TZ"] = "UTC"
    except ResticError as exc:
        failed(str(exc))
    # A restic that dies closes the pipe, which stops the dump.
    piped = restic.backup_from(dump_argv(engine, database, p), *args)
    dump_rc, dump_message = piped.first_rc, piped.first_text.strip()
    backup_rc, restic_text = piped.second_rc, piped.second_text
    summary = summary_of(restic_text)
    if dump_rc != 0 or backup_rc != 0 or not summary.get("snapshot_id"):
        why = (
            f"dump of {source} failed (rc {dump_rc}): {dump_message}"
            if dump_rc != 0
            else f"restic backup failed (rc {backup_rc}): {restic_text.strip()[-400:]}"
        )
        try:
            leftovers = restic.forget_tagged(f"attempt={attempt}")
            result["removed_snapshots"] = leftovers
            result["changed"] = bool(leftovers)
        except ResticError as exc:
            why += f"; and the snapshot of the failed attempt could not be removed: {exc}"
        failed(why)
    result.update(changed=True, snapshot_id=summary["snapshot_id"])
    result["size"] = int(summary.get("total_bytes_processed", 0))
    try:
        after = table_figures(engine, database, p)
    except RuntimeError:
        after = {}
    result["stable"] = after == before
    if dump_message and os.environ.get("SOP_DEBUG"):
        result["dump_warnings"] = dump_message[-400:]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
