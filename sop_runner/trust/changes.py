"""The words of the operators registry: what a version changes and why a signature over it
fails, said in the person's language when they are shown (never stored)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sop_runner.audit import canonical
from sop_runner.i18n import _
from sop_runner.trust import signature_valid

if TYPE_CHECKING:
    from sop_runner.trust.registry import Document
    from sop_runner.trust.trustfile import TrustRoot


def changes(old: list[dict[str, Any]] | None, new: list[dict[str, Any]]) -> list[str]:
    """Given the operators of two versions (old None for the first), return the changes in words."""
    if old is None:
        return [_("the first version, with {count} operator(s)").format(count=len(new))]
    before = {o["name"]: o for o in old}
    after = {o["name"]: o for o in new}
    said: list[str] = []
    for name in sorted(after.keys() - before.keys()):
        said.append(
            _("operator {name!r} was added as {roles}").format(
                name=name, roles=", ".join(after[name]["roles"])
            )
        )
    for name in sorted(before.keys() - after.keys()):
        said.append(_("operator {name!r} was removed").format(name=name))
    for name in sorted(before.keys() & after.keys()):
        was, now = before[name], after[name]
        for role in [r for r in now["roles"] if r not in was["roles"]]:
            said.append(
                _("operator {name!r} was given the role {role}").format(name=name, role=role)
            )
        for role in [r for r in was["roles"] if r not in now["roles"]]:
            said.append(_("operator {name!r} lost the role {role}").format(name=name, role=role))
        if was["public_key"] != now["public_key"]:
            said.append(_("the key of {name!r} was replaced").format(name=name))
        if was["unix_user"] != now["unix_user"]:
            said.append(
                _("the Unix user of {name!r} was changed from {old} to {new}").format(
                    name=name, old=was["unix_user"], new=now["unix_user"]
                )
            )
        details = [k for k in ("full_name", "nip", "jabatan") if was.get(k) != now.get(k)]
        if details:
            said.append(
                _("the details of {name!r} were changed ({fields})").format(
                    name=name, fields=", ".join(details)
                )
            )
    return said


def signature_notes(trust: TrustRoot, doc: Document, operators: list[dict[str, Any]]) -> list[str]:
    """Given a document and the operators who might have signed it, say why signatures fail."""
    payload = canonical(doc.signed)
    notes: list[str] = []
    for entry in doc.signatures:
        keyid = entry.get("keyid", "")
        key = trust.root_key(keyid)
        if key is not None and not key.may_sign(doc.version):
            notes.append(
                _(
                    "root key {keyid!r} is retired after version {version} "
                    "and signs no later version"
                ).format(keyid=keyid, version=key.until_version)
            )
        elif key is not None and not signature_valid(key.public_key, entry["signature"], payload):
            notes.append(
                _(
                    "the signature of root key {keyid!r} does not verify "
                    "(the signed part was changed after signing, or the signature is forged)"
                ).format(keyid=keyid)
            )
        elif key is None:
            makers = [
                o["name"]
                for o in operators
                if signature_valid(o["public_key"], entry["signature"], payload)
            ]
            maker = makers[0] if makers else None
            notes.append(
                _(
                    "signature {keyid!r} is not from a root key of the trust file; "
                    "it was made with the key of operator {maker!r}"
                ).format(keyid=keyid, maker=maker)
                if maker
                else _("signature {keyid!r} is not from a root key of the trust file").format(
                    keyid=keyid
                )
            )
    return notes
