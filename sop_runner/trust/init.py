"""Create the trust root on a fresh control node: ``python -m sop_runner.trust.init`` as root.

Writes the trust file (default /etc/sop-pusatdata/trust.yml, root, 0644) with
the pimpinan's root public keys, and creates the registry folder.  The
registry's first version is then proposed (`sop operators propose`) and
signed by the pimpinan (`sop operators sign`).  docs/security.md walks through it.
"""

from __future__ import annotations

import argparse
import grp
import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.trust.trustfile import DEFAULT_PATH, TrustRoot, load_trust, parse_trust

HEADER = """\
# Trust file of sop-pusatdata (root, 0644; refused when group/other-writable).
# The pimpinan's root keys sign every version of the operators registry; the
# store, inventory and registry named here cannot be moved by an environment
# variable or by sop.yml.  Change it only as root; see docs/security.md.
"""


def trust_document(
    root_keys: Mapping[str, str],
    threshold: int,
    store: str,
    inventory: Path,
    registry: Path,
    witness: Mapping[str, Any] | None = None,
    issuer: Mapping[str, Any] | None = None,
) -> str:
    """Given the root keys {id: base64 public key} and the places, return the trust file's text.

    Raise SopError naming the field if the result would not be a valid trust file.
    """
    data: dict[str, Any] = {
        "version": 1,
        "root": {
            "threshold": threshold,
            "keys": [{"id": key_id, "public_key": key} for key_id, key in root_keys.items()],
        },
        "store": store,
        "inventory": str(inventory),
        "registry": str(registry),
    }
    if witness:
        data["witness"] = dict(witness)
    if issuer:
        data["issuer"] = dict(issuer)
    text = HEADER + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    parse_trust(text, Path("(new trust file)"))
    return text


def write_trust_file(
    path: Path,
    text: str,
    *,
    registry_group: str | None = None,
    force: bool = False,
) -> TrustRoot:
    """Given the trust file's path and text, write it (root, 0644) and create the registry folder.

    The registry folder is root's (0755), or root:registry_group 2775 so the
    pimpinan's group can publish versions.  Return the trust root as `sop`
    will read it.  Raise SopError if not run as root, the file exists and
    force is not set, or the group does not exist.
    """
    if os.geteuid() != 0:
        raise SopError(_("trust init: must run as root (the trust file is root's)"))
    registry = parse_trust(text, path).registry
    if path.exists() and not force:
        raise SopError(
            _("trust file {path}: exists already; use --force to replace it").format(path=path)
        )
    gid = -1
    if registry_group is not None:
        try:
            gid = grp.getgrnam(registry_group).gr_gid
        except KeyError:
            raise SopError(
                _("--registry-group: no group {group!r}").format(group=registry_group)
            ) from None
    os.umask(0o022)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)
    registry.mkdir(parents=True, exist_ok=True, mode=0o755)
    os.chown(registry, 0, gid)
    os.chmod(registry, 0o2775 if registry_group else 0o755)
    return load_trust(path)


def _root_key(text: str) -> tuple[str, str]:
    key_id, sep, public = text.partition("=")
    if not sep or not key_id or not public:
        raise SopError(
            _("--root-key: {text!r} is not allowed; expected ID=BASE64_PUBLIC_KEY").format(
                text=text
            )
        )
    return key_id, public


def _witness(args: argparse.Namespace) -> dict[str, Any] | None:
    """Given the command line, return the trust file's witness part (None without one)."""
    if not args.witness_ssh:
        return None
    user, at, rest = args.witness_ssh.partition("@")
    host, _colon, port = rest.partition(":")
    if not at or not user or not host or not port.isdigit() or args.witness_key is None:
        raise SopError(
            _(
                "--witness-ssh: {value!r} is not allowed; expected USER@HOST:PORT "
                "together with --witness-key"
            ).format(value=args.witness_ssh)
        )
    ssh: dict[str, Any] = {
        "host": host,
        "port": int(port),
        "user": user,
        "identity_file": str(args.witness_key.absolute()),
    }
    if args.witness_known_hosts is not None:
        ssh["known_hosts"] = str(args.witness_known_hosts.absolute())
    return {"ssh": ssh}


def _issuer(args: argparse.Namespace) -> dict[str, Any] | None:
    """Given the command line, return the trust file's issuer part (None without one)."""
    if not args.issuer_socket:
        return None
    if args.ca_key is None or not args.controller_address:
        raise SopError(
            _(
                "--issuer-socket: needs --ca-key and at least one --controller-address "
                "(the certificates' source-address)"
            )
        )
    part: dict[str, Any] = {
        "socket": str(args.issuer_socket.absolute()),
        "ca_key": str(args.ca_key.absolute()),
        "source_addresses": list(args.controller_address),
        "margin": args.issuer_margin,
    }
    if args.issuer_group:
        part["group"] = args.issuer_group
    return part


def main(argv: list[str] | None = None) -> int:
    """Given the command line, create the trust root; return the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m sop_runner.trust.init",
        description=_("Create the trust file and the registry folder (run as root)."),
    )
    parser.add_argument("--trust-file", type=Path, default=DEFAULT_PATH)
    parser.add_argument(
        "--root-key",
        action="append",
        required=True,
        help=_("ID=BASE64 public key of a pimpinan (from `sop keys init`); repeatable"),
    )
    parser.add_argument("--threshold", type=int, default=1, help=_("root keys needed per version"))
    parser.add_argument("--store", default="sqlite:////var/lib/sop-pusatdata/sop.db")
    parser.add_argument("--inventory", type=Path, required=True)
    parser.add_argument("--registry", type=Path, default=Path("/var/lib/sop-pusatdata/registry"))
    parser.add_argument(
        "--registry-group", help=_("group of the pimpinan, who may publish versions")
    )
    parser.add_argument(
        "--witness-ssh",
        metavar="USER@HOST:PORT",
        help=_("the audit trail's SSH witness (forced command sop-witness); with --witness-key"),
    )
    parser.add_argument("--witness-key", type=Path, help=_("identity file for the witness account"))
    parser.add_argument("--witness-known-hosts", type=Path, help=_("the witness host's pinned key"))
    parser.add_argument("--issuer-socket", type=Path, help=_("the SSH certificate issuer's socket"))
    parser.add_argument("--ca-key", type=Path, help=_("the issuer's CA private key (root, 0600)"))
    parser.add_argument(
        "--controller-address",
        action="append",
        default=[],
        help=_("the controller's address, the certificates' source-address; repeatable"),
    )
    parser.add_argument("--issuer-margin", default="10m", help=_("added to a step's Mutu Baku"))
    parser.add_argument("--issuer-group", help=_("the Unix group that may reach the issuer"))
    parser.add_argument("--force", action="store_true", help=_("replace an existing trust file"))
    args = parser.parse_args(argv)
    try:
        keys = dict(_root_key(k) for k in args.root_key)
        text = trust_document(
            keys,
            args.threshold,
            args.store,
            args.inventory.absolute(),
            args.registry.absolute(),
            witness=_witness(args),
            issuer=_issuer(args),
        )
        trust = write_trust_file(
            args.trust_file, text, registry_group=args.registry_group, force=args.force
        )
    except SopError as error:
        print(f"trust init: error: {error}", file=sys.stderr)
        return error.exit_code
    print(
        _(
            "trust file {path} (root, 0644): {count} root key(s), threshold {threshold}; "
            "registry folder {registry}"
        ).format(
            path=trust.path,
            count=len(trust.root_keys),
            threshold=trust.threshold,
            registry=trust.registry,
        )
    )
    print(
        _(
            "next: write the operators YAML, run `sop operators propose FILE`, and have the\n"
            "pimpinan sign it with `sop operators sign --as NAME DRAFT` (docs/security.md)"
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
