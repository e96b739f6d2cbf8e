"""Documentation shared by the database modules (how they reach the server, one place)."""

from __future__ import annotations


class ModuleDocFragment:
    """The connection options of db_backup and db_restore (sop_db.database_options)."""

    DOCUMENTATION = r"""
options:
  socket:
    description: Socket (MariaDB) or socket directory (PostgreSQL); server default when unset.
    type: str
  port:
    description: PostgreSQL port (with the socket directory).
    type: int
  defaults_file:
    description: MariaDB/MySQL option file with the credentials (root's ~/.my.cnf when unset).
    type: path
  os_user:
    description: The OS user the PostgreSQL tools run as (peer authentication).
    type: str
    default: postgres
"""
