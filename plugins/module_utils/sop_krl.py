"""An OpenSSH key revocation list (KRL) as the serials it revokes (SOP 2.4 early revoke).

``ssh-keygen -Q -l -f KRL`` lists a KRL's contents (``serial: 91``, ``serial: 3-7``);
``ssh-keygen -k -u -f KRL -s CA.pub SPEC`` adds the serials of SPEC to it.  sshd reads
the file (``RevokedKeys``) at every login, so a serial in it is refused at once.
"""

from __future__ import annotations

import re

_SERIAL = re.compile(r"^serial:\s*(\d+)(?:-(\d+))?\s*$")


def revoked_serials(listing: str) -> set[int]:
    """Given `ssh-keygen -Q -l` output, return the certificate serials the KRL revokes.

    A range is expanded only when it is small (a KRL of sop never holds a large one).
    """
    found: set[int] = set()
    for line in listing.splitlines():
        match = _SERIAL.match(line.strip())
        if not match:
            continue
        low = int(match.group(1))
        high = int(match.group(2) or low)
        if high - low <= 10000:
            found.update(range(low, high + 1))
    return found


def spec(serials: list[int]) -> str:
    """Given serials, return the `ssh-keygen -k` specification that revokes them."""
    return "".join(f"serial: {serial}\n" for serial in sorted(set(serials)))
