"""Documentation shared by the restic modules (their common options, one place)."""

from __future__ import annotations


class ModuleDocFragment:
    """The options every restic module takes (plugins/module_utils/sop_restic.py restic_options)."""

    DOCUMENTATION = r"""
options:
  repository:
    description:
      - The restic repository, e.g. C(/mnt/backup/restic) (physical media),
        C(sftp:root@backup:/srv/restic/srv1) (other media) or
        C(s3:https://s3.example.id/bucket/srv1) (cloud).
    type: str
    required: true
  password:
    description:
      - The repository password. Reaches restic only through the environment
        of the subprocess (C(RESTIC_PASSWORD)); never in argv or the result.
      - One of O(password) and O(password_file) is required.
    type: str
  password_file:
    description:
      - A file on the target holding the repository password (mode 0600),
        handed to restic as C(RESTIC_PASSWORD_FILE).
    type: path
  env:
    description:
      - Extra environment for restic, e.g. C(AWS_ACCESS_KEY_ID) and
        C(AWS_SECRET_ACCESS_KEY) of an S3-compatible repository. Not logged.
    type: dict
    default: {}
  restic_binary:
    description: The restic binary (the Debian package's by default).
    type: path
    default: /usr/bin/restic
  host:
    description:
      - The host name recorded in snapshots and used to select them;
        defaults to the target's hostname.
    type: str
"""
