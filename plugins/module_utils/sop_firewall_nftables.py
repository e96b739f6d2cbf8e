"""nftables backend of firewall_grant: grants as elements of sets with ``flags timeout``."""

from __future__ import annotations

import json
from typing import Any

from ansible.module_utils.sop_firewall import Backend, GrantError, Key, Timed, normalise_source


class NftBackend(Backend):
    """Grants as elements of nftables sets with flags timeout."""

    def __init__(self, module: Any) -> None:
        self.module = module
        self.family = module.params["nft_family"]
        self.table = module.params["nft_table"]
        self.tcp_set = module.params["nft_set"]
        self.udp_set = module.params["nft_udp_set"] or self.tcp_set
        self.nft = module.get_bin_path("nft", required=True)
        self.types: dict[str, list[str]] = {}
        self.flags: dict[str, list[str]] = {}
        for name in {self.tcp_set, self.udp_set}:
            info = self._set_json(name)
            kind = info["type"]
            self.types[name] = kind if isinstance(kind, list) else [kind]
            self.flags[name] = list(info.get("flags", []))
            if "timeout" not in self.flags[name]:
                raise GrantError(
                    f"nft set {self.family} {self.table} {name}: has no 'flags timeout'; "
                    "the kernel could not close grants by itself"
                )
        self.protocol_aware = (
            self.udp_set != self.tcp_set or "inet_proto" in self.types[self.tcp_set]
        )
        self._elements: dict[Key, tuple[str, float | None]] = {}

    def _run(self, args: list[str], data: str | None = None) -> str:
        rc, out, err = self.module.run_command([self.nft, *args], data=data)
        if rc != 0:
            raise GrantError(f"nft {' '.join(args)}: {err.strip() or out.strip()}")
        return str(out)

    def _set_json(self, name: str) -> dict[str, Any]:
        out = self._run(["-j", "list", "set", self.family, self.table, name])
        for item in json.loads(out)["nftables"]:
            if "set" in item:
                return dict(item["set"])
        raise GrantError(f"nft set {self.family} {self.table} {name}: not found")

    def _set_of(self, protocol: str) -> str:
        return self.udp_set if protocol == "udp" else self.tcp_set

    def read(self) -> dict[Key, float | None]:
        found: dict[Key, tuple[str, float | None]] = {}
        for name in {self.tcp_set, self.udp_set}:
            info = self._set_json(name)
            with_proto = "inet_proto" in self.types[name]
            for wrapper in info.get("elem", []):
                elem = wrapper.get("elem", wrapper) if isinstance(wrapper, dict) else wrapper
                val = elem.get("val", elem) if isinstance(elem, dict) else elem
                parts = val["concat"] if isinstance(val, dict) else [val]
                src = parts[0]
                if isinstance(src, dict) and "prefix" in src:
                    src = f"{src['prefix']['addr']}/{src['prefix']['len']}"
                if with_proto:
                    proto, port = str(parts[2]), int(parts[3])
                elif self.protocol_aware:
                    proto, port = ("udp" if name == self.udp_set else "tcp"), int(parts[2])
                else:
                    proto, port = "*", int(parts[2])
                left = elem.get("expires") if isinstance(elem, dict) else None
                key = (normalise_source(str(src)), str(parts[1]), proto, port)
                found[key] = (name, float(left) if left is not None else None)
        self._elements = found
        return {k: v[1] for k, v in found.items()}

    def _element(self, key: Key) -> str:
        name = self._set_of(key[2])
        proto = f" . {key[2]}" if "inet_proto" in self.types[name] else ""
        return f"{key[0]} . {key[1]}{proto} . {key[3]}"

    def _check_source(self, key: Key) -> None:
        name = self._set_of(key[2])
        if "/" in key[0] and "interval" not in self.flags[name]:
            raise GrantError(
                f"source: {key[0]} is a network but nft set {self.table} {name} has no "
                "'flags interval'; grant single addresses or add the flag to the set"
            )

    def apply(self, add: Timed, update: Timed, remove: list[Key]) -> None:
        lines = []
        prefix = f"{self.family} {self.table}"
        for key in remove:
            name = self._elements.get(key, (self._set_of(key[2]), None))[0]
            lines.append(f"delete element {prefix} {name} {{ {self._element(key)} }}")
        for key, _ms in update:
            lines.append(
                f"delete element {prefix} {self._set_of(key[2])} {{ {self._element(key)} }}"
            )
        for key, ms in [*update, *add]:
            self._check_source(key)
            lines.append(
                f"add element {prefix} {self._set_of(key[2])} "
                f"{{ {self._element(key)} timeout {max(ms, 1)}ms }}"
            )
        if lines:
            # One transaction: all of it or none of it, with no gap in an update.
            self._run(["-f", "-"], data="\n".join(lines) + "\n")
