"""RouterOS backend of firewall_grant: address-list entries with a timeout (librouteros).

librouteros is optional: ``HAS_LIBROUTEROS`` says whether it imported, and the
module fails with Ansible's ``missing_required_lib`` message when it did not.
"""

from __future__ import annotations

import re
import traceback
from typing import Any

from ansible.module_utils.sop_firewall import (
    Backend,
    GrantError,
    Key,
    Timed,
    line,
    normalise_source,
)

try:
    from librouteros import connect  # type: ignore[import-not-found]
except ImportError:
    HAS_LIBROUTEROS = False
    LIBROUTEROS_IMPORT_ERROR: str | None = traceback.format_exc()
else:
    HAS_LIBROUTEROS = True
    LIBROUTEROS_IMPORT_ERROR = None

_ROS_DURATION = re.compile(r"(\d+)(w|d|h|ms|m|s)")
_ROS_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}


def ros_seconds(text: str) -> float | None:
    """Given a RouterOS duration ("1h2m3s", "00:59:58", "1d02:00:00"), return seconds."""
    text = str(text).strip()
    if not text:
        return None
    if ":" in text:
        days = 0
        if "d" in text:
            day_text, _, text = text.partition("d")
            days = int(day_text)
        h, m, s = (float(x) for x in text.split(":"))
        return days * 86400 + h * 3600 + m * 60 + s
    return float(sum(int(n) * _ROS_UNITS[u] for n, u in _ROS_DURATION.findall(text)))


def ros_duration(ms: int) -> str:
    """Given milliseconds, return a RouterOS duration text."""
    seconds, rest = divmod(max(ms, 1000), 1000)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    return f"{hours}h{minutes}m{seconds}s" + (f"{rest}ms" if rest else "")


class RouterOsBackend(Backend):
    """Grants as address-list entries with a timeout, let through by one filter rule per list."""

    def __init__(self, module: Any) -> None:
        # The module checked HAS_LIBROUTEROS and the options required_if asks for.
        params = module.params
        try:
            self.api = connect(
                params["ros_host"],
                params["ros_username"],
                params["ros_password"],
                port=params["ros_port"],
                timeout=10,
            )
        except Exception as exc:  # librouteros raises several unrelated types
            raise GrantError(f"RouterOS API {params['ros_host']}: {exc}") from None
        self.prefix = params["ros_list_prefix"]
        self.chain = params["ros_chain"]
        self.lists = self.api.path("ip", "firewall", "address-list")
        self.rules = self.api.path("ip", "firewall", "filter")
        self._ids: dict[Key, str] = {}

    def list_name(self, key: Key) -> str:
        """Given a grant, return the address list that holds its source."""
        return f"{self.prefix}-{key[2]}-{key[1]}-{key[3]}"

    def read(self) -> dict[Key, float | None]:
        found: dict[Key, float | None] = {}
        pattern = re.compile(rf"^{re.escape(self.prefix)}-(tcp|udp)-(\d+\.\d+\.\d+\.\d+)-(\d+)$")
        for row in self.lists:
            match = pattern.match(str(row.get("list", "")))
            if not match:
                continue
            key = (
                normalise_source(str(row["address"])),
                match.group(2),
                match.group(1),
                int(match.group(3)),
            )
            found[key] = ros_seconds(str(row.get("timeout", "")))
            self._ids[key] = str(row[".id"])
        return found

    def _ensure_rule(self, key: Key) -> None:
        name = self.list_name(key)
        comment = f"{self.prefix}:{name}"
        rules = list(self.rules)
        if any(r.get("comment") == comment for r in rules):
            return
        fields: dict[str, Any] = {
            "chain": self.chain,
            "action": "accept",
            "protocol": key[2],
            "dst-address": key[1],
            "dst-port": str(key[3]),
            "src-address-list": name,
            "connection-state": "new",
            "comment": comment,
        }
        in_chain = [r for r in rules if r.get("chain") == self.chain]
        if in_chain:
            fields["place-before"] = str(in_chain[0][".id"])
        self.rules.add(**fields)

    def apply(self, add: Timed, update: Timed, remove: list[Key]) -> None:
        if remove:
            self.lists.remove(*[self._ids[k] for k in remove])
        for key, ms in update:
            self.lists.update(**{".id": self._ids[key], "timeout": ros_duration(ms)})
        for key, ms in add:
            self._ensure_rule(key)
            self.lists.add(
                list=self.list_name(key),
                address=key[0],
                timeout=ros_duration(ms),
                comment=f"{self.prefix} {line(key, None)}",
            )
