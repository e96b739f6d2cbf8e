"""What a host says about itself, read from its own files (no command run): the files'
text, /etc/os-release and the TCP ports in LISTEN state.

Shared by the modules that gather a host's facts (os_upgrade_facts for SOP 4.2,
software_env_info for SOP 1.3), so both read a host the same way.
"""

from __future__ import annotations


def read_text(path: str) -> str:
    """Given a path, return the file's text, or "" when it cannot be read."""
    try:
        with open(path) as handle:
            return handle.read()
    except OSError:
        return ""


def os_release(text: str) -> dict[str, str]:
    """Given /etc/os-release, return its KEY=value pairs."""
    result = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            result[key.strip()] = value.strip().strip('"')
    return result


def listening_ports(texts: list[str]) -> list[int]:
    """Given /proc/net/tcp and tcp6 contents, return the ports in LISTEN state."""
    ports = set()
    for text in texts:
        for line in text.splitlines()[1:]:
            fields = line.split()
            if len(fields) > 3 and fields[3] == "0A":
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return sorted(ports)
