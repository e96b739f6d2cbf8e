"""A remote user's own key certified for a SOP 2.4 grant (the issuer's ``vendor`` kind).

`sop grant open … --vendor-key FILE` puts the key's fingerprint and the account on
the target into the grant's 2.4 request (``grant_vendor_key``, ``grant_account``),
which the petugas signs.  The issuer certifies that very key and nothing else:
principal ``ACCOUNT@TARGET`` (the target's ``AuthorizedPrincipalsFile`` for ACCOUNT
lists it), valid until the grant's end, ``source-address`` the user's address.  A
grant closed early is revoked on the target with a KRL (the certificate's serial).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sop_runner import gates
from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.issuer import certs
from sop_runner.issuer.ask import Ask
from sop_runner.requests import get_request

if TYPE_CHECKING:
    from sop_runner.context import Context
    from sop_runner.trust.trustfile import IssuerSettings

# The catalog's SOP 2.4 (sop_runner/catalog/procedures/2.4.yaml): its grant parameters.
PROCEDURE = "2.4"
ROLE = "petugas"
ACCOUNT = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")


def key_fingerprint(line: str) -> str:
    """Given an OpenSSH public key line, return its fingerprint as `ssh-keygen -l` shows it.

    Raise SopError when the line holds no base64 key.
    """
    parts = line.split()
    try:
        blob = base64.b64decode(parts[1], validate=True) if len(parts) > 1 else b""
    except (binascii.Error, ValueError):
        blob = b""
    if not blob:
        raise SopError(_("vendor key: not an OpenSSH public key line (TYPE BASE64 [COMMENT])"))
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def decide_vendor(ctx: Context, ask: Ask, settings: IssuerSettings, now: datetime) -> certs.Grant:
    """Given an ask to certify a remote user's key for a 2.4 grant request, return the grant.

    Raise SopError unless the request is a signed, open 2.4 request that names this
    key's fingerprint and an account, its grant has not ended, and the operator is a
    petugas.
    """
    del settings  # a vendor certificate's source is the user's address, not the controller's
    if ask.request is None:
        raise SopError(_("ask: a vendor certificate names the grant's request"))
    operator = ctx.trusted.current.operator(ask.operator)
    if ROLE not in operator.roles:
        raise SopError(
            _("operator {name} is not a petugas; SOP 2.4 is the petugas' work").format(
                name=operator.name
            )
        )
    with ctx.session() as session:
        request = get_request(session, ask.request)
        session.expunge(request)
    if request.procedure_id != PROCEDURE:
        raise SopError(
            _("request {id} is for procedure {procedure}, not 2.4").format(
                id=request.id, procedure=request.procedure_id
            )
        )
    if request.status in ("done", "rejected", "cancelled", "expired"):
        raise SopError(
            _("request {id} is {status}: no certificate for it").format(
                id=request.id, status=_(request.status)
            )
        )
    gates.assert_request_signed(request, ctx.trusted)
    params = request.params
    if params.get("grant_state") != "present" or not params.get("grant_vendor_key"):
        raise SopError(_("request {id} opens no grant for a vendor key").format(id=request.id))
    certs.public_key_of(ask.public_key, certs.VENDOR_KEY_TYPES)
    if key_fingerprint(ask.public_key) != params["grant_vendor_key"]:
        raise SopError(
            _("public_key: {fingerprint} is not the key request {id} names ({named})").format(
                fingerprint=key_fingerprint(ask.public_key),
                id=request.id,
                named=params["grant_vendor_key"],
            )
        )
    account = str(params.get("grant_account") or "")
    if not ACCOUNT.match(account):
        raise SopError(
            _("request {id}: grant_account {account!r} is not an account name").format(
                id=request.id, account=account
            )
        )
    end = datetime.fromtimestamp(int(params["grant_ends_at"]), UTC)
    if end <= now:
        raise SopError(
            _("request {id}: the grant ended at {end}").format(id=request.id, end=end.isoformat())
        )
    principal = f"{account}@{params['grant_target']}"
    return certs.Grant(
        key_id=certs.vendor_key_id(request.id, str(params["grant_user"]), principal, operator.name),
        principals=(principal,),
        valid_after=now - certs.BACKDATE,
        valid_before=end,
        source_addresses=(str(params["grant_source"]),),
        extensions=certs.VENDOR_EXTENSIONS,
    )
