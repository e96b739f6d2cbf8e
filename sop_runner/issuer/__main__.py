"""``python -m sop_runner.issuer``: run the issuer daemon, or create the CA key (as root)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.trust.trustfile import DEFAULT_PATH


def init_ca(path: Path, force: bool) -> str:
    """Given where the CA key goes, create the pair (root 0600 / 0644); return the public line.

    Raise SopError if it exists and force is not set.
    """
    if path.exists() and not force:
        raise SopError(
            _("--ca-key {path}: exists already; use --force to replace it").format(path=path)
        )
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private)
    os.chmod(path, 0o600)
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    line = public.decode() + " sop-pusatdata user CA\n"
    pub = path.with_name(path.name + ".pub")
    pub.write_text(line)
    pub.chmod(0o644)
    return line


def main(argv: list[str] | None = None) -> int:
    """Given the command line, serve or create the CA; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m sop_runner.issuer")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the issuer on the trust file's socket")
    serve.add_argument("--trust-file", type=Path, default=DEFAULT_PATH)
    ca = commands.add_parser("init-ca", help="create the certificate authority's key pair")
    ca.add_argument("--ca-key", type=Path, required=True)
    ca.add_argument("--force", action="store_true")
    args = parser.parse_args(argv)
    try:
        if os.geteuid() != 0:
            raise SopError(_("issuer: must run as root (it alone reads the CA key)"))
        if args.command == "init-ca":
            print(init_ca(args.ca_key, args.force), end="")
            return 0
        from sop_runner.issuer.server import Issuer

        issuer = Issuer(args.trust_file)
        issuer.bind()
        print(f"issuer: listening on {issuer.settings.socket}", flush=True)
        issuer.serve_forever()
    except SopError as error:
        print(f"issuer: error: {error}", file=sys.stderr)
        return error.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
