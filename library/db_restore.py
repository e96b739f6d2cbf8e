#!/usr/bin/python
"""Restore a database dump from restic into a named database and verify it (SOP 7.4 step 3)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: db_restore
short_description: Restore a database from a restic snapshot into a named database, verified
description:
  - SOP 7.4 step 3 restores data into the database directly or with a helper
    application.  The dump made by M(db_backup) is read with C(restic dump)
    and loaded into O(database) (C(mariadb) or C(pg_restore)).
  - Refuses, changing nothing, when O(database) exists, unless O(overwrite)
    is true; with overwrite the database is dropped and created empty first.
  - Verifies the restored database; each table's row count and checksum
    must equal the figures the snapshot carries from backup time.
version_added: "0.1.0"
options:
  snapshot:
    description: The snapshot id (full or short), or C(latest) of O(source_database) on O(host).
    type: str
    required: true
  engine:
    description: The database engine; must be the engine the snapshot was dumped from.
    type: str
    choices: [mariadb, mysql, postgresql]
    required: true
  database:
    description: The database to restore into (created when it does not exist).
    type: str
    required: true
  source_database:
    description: With O(snapshot=latest), the database whose newest backup is used.
    type: str
  overwrite:
    description: Allow replacing an existing database (restoring over live data).
    type: bool
    default: false
extends_documentation_fragment:
  - restic
  - sop_database
notes:
  - Supports check mode and diff.
author:
  - sop-pusatdata developers
"""

EXAMPLES = r"""
- name: Restore yesterday's appdb into appdb_restore
  db_restore:
    repository: sftp:root@backup:/srv/restic/srv1
    password: "{{ restic_password_value }}"
    snapshot: 5f1c0a6b
    engine: mariadb
    database: appdb_restore
  no_log: true
"""

RETURN = r"""
snapshot_id:
  description: The full id of the restored snapshot.
  returned: always
  type: str
filename:
  description: The dump file restored (carries its backup date and time).
  returned: always
  type: str
source:
  description: The database the dump was taken from (engine/name).
  returned: always
  type: str
size:
  description: Size of the dump, bytes.
  returned: success
  type: int
verified:
  description: Whether every table matched its figures from backup time.
  returned: success
  type: bool
tables:
  description: Per table expected and actual row count and checksum.
  returned: success
  type: list
  elements: dict
"""

import socket  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.sop_db import (  # noqa: E402
    database_exists,
    database_options,
    load_argv,
    recreate,
    table_figures,
)
from ansible.module_utils.sop_restic import (  # noqa: E402
    ResticError,
    compare_tables,
    encode_tag_value,
    restic_from_params,
    restic_options,
    tables_from_tags,
    tags_dict,
)
from ansible.module_utils.sop_restore import refusal  # noqa: E402


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **restic_options(),
            "snapshot": {"type": "str", "required": True},
            **database_options(),
            "source_database": {"type": "str"},
            "overwrite": {"type": "bool", "default": False},
        },
        required_one_of=[("password", "password_file")],
        supports_check_mode=True,
    )
    p = module.params
    engine, database = p["engine"], p["database"]
    source = p["source_database"] or database
    latest = ["--host", p["host"] or socket.gethostname()]
    latest += ["--tag", f"source={encode_tag_value(f'{engine}/{source}')}"]
    try:
        restic = restic_from_params(p)
        snap = restic.one_snapshot(p["snapshot"], latest)
    except ResticError as exc:
        module.fail_json(msg=str(exc))
    tags = tags_dict(snap.get("tags"))
    if tags.get("kind") != "database" or tags.get("engine") not in (engine, None):
        module.fail_json(
            msg=f"snapshot {snap['short_id']} is not a {engine} database dump "
            f"(kind {tags.get('kind')!r}, engine {tags.get('engine')!r})"
        )
    paths = snap.get("paths") or []
    result = {
        "changed": False,
        "snapshot_id": snap["id"],
        "snapshot_time": snap["time"],
        "filename": paths[0].lstrip("/") if paths else "",
        "source": tags.get("source", ""),
        "source_host": snap.get("hostname"),
        "engine": engine,
        "database": database,
        "overwrite": p["overwrite"],
        "repository": p["repository"],
    }
    try:
        exists = database_exists(engine, database, p)
    except RuntimeError as exc:
        module.fail_json(msg=str(exc), **result)
    if exists and not p["overwrite"]:
        module.fail_json(
            msg=refusal(f"database {database} already exists on this {engine} server"),
            refused=True,
            **result,
        )
    diff = {
        "before": f"{engine} database {database}: {'exists' if exists else 'absent'}\n",
        "after": f"{engine} database {database}: restored from {result['filename']}\n",
    }
    if module.check_mode:
        module.exit_json(**{**result, "changed": True, "diff": diff})
    try:
        recreate(engine, database, p, drop=exists)
    except RuntimeError as exc:
        module.fail_json(msg=str(exc), **result)
    result["changed"] = True
    piped = restic.dump_into(load_argv(engine, database, p), "dump", snap["id"], paths[0])
    dump_rc, dump_text = piped.first_rc, piped.first_text.strip()
    load_rc, load_text = piped.second_rc, piped.second_text.strip()
    if dump_rc != 0 or load_rc != 0:
        module.fail_json(
            msg=f"restore of {result['filename']} into {database} failed: "
            + (f"restic dump rc {dump_rc}: {dump_text[-300:]}" if dump_rc else "")
            + (f" load rc {load_rc}: {load_text[-300:]}" if load_rc else ""),
            **result,
        )
    expected = tables_from_tags(snap.get("tags"))
    try:
        actual = table_figures(engine, database, p)
    except RuntimeError as exc:
        module.fail_json(msg=f"verification could not read {database}: {exc}", **result)
    rows = compare_tables(expected, actual)
    result.update(
        tables=rows,
        verified=bool(expected) and all(r["ok"] for r in rows),
        reference=bool(expected),
        diff=diff,
    )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
