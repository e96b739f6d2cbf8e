"""`sop operators propose | sign | show | verify`: the registry the pimpinan signs."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from sop_runner import keys, yamlio
from sop_runner.cli.options import (
    As,
    Json,
    Lang,
    choose_language,
    command,
    operator_name,
    out,
)
from sop_runner.config import load_settings
from sop_runner.errors import SopError
from sop_runner.i18n import N_, _
from sop_runner.trust import registry
from sop_runner.trust.trustfile import TrustRoot, load_trust

operators_app = typer.Typer(
    help=_("The operators registry, signed by the pimpinan: who holds which role and key.")
)

# The operators table's column names (translated where the table is printed).
COLUMNS = (
    N_("name"),
    N_("unix user"),
    N_("roles"),
    N_("fingerprint"),
    N_("full name"),
    N_("NIP"),
    N_("position"),
)


def register(app: typer.Typer) -> None:
    """Given the app, add the operators command group to it."""
    app.add_typer(operators_app, name="operators")
    command(operators_app, propose, "propose")
    command(operators_app, sign, "sign")
    command(operators_app, show, "show")
    command(operators_app, verify, "verify")


def _say(text: str) -> None:
    out.print(text, markup=False, highlight=False)


def _speak(lang: str | None) -> None:
    """Given a --lang option, speak it (or the settings' language); refuse any other."""
    choose_language(load_settings(), lang)


def propose(
    file: Annotated[Path, typer.Argument(help=_("YAML of every operator of the next version"))],
    out_file: Annotated[
        Path | None,
        typer.Option("--out", help=_("the draft to write (default ./operators-v<N>.draft.json)")),
    ] = None,
    lang: Lang = None,
) -> None:
    """Write the next registry version as an unsigned draft; print its SHA-256."""
    _speak(lang)
    trust = load_trust()
    try:
        proposal = yamlio.load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SopError(
            _("{path}: cannot read it ({reason})").format(path=file, reason=exc.strerror)
        ) from None
    except yaml.YAMLError:
        raise SopError(_("{path}: not valid YAML").format(path=file)) from None
    doc, said = registry.propose(trust, proposal, datetime.now(UTC), source=str(file))
    path = out_file or Path(f"operators-v{doc.version}.draft.json")
    if os.path.lexists(path):
        raise SopError(
            _("--out: {path} exists already; remove it or name another file").format(path=path)
        )
    registry.write_document(path, doc, replace=False)
    _say(_("draft registry version {version}: {path}").format(version=doc.version, path=path))
    _say(f"SHA-256 {doc.digest}")
    _say(_("changes:"))
    for line in said:
        _say(f"  - {line}")
    _say(_("next: the pimpinan signs with `sop operators sign --as NAME {path}`").format(path=path))


def sign(
    draft: Annotated[Path, typer.Argument(help=_("the draft written by `sop operators propose`"))],
    as_: As = None,
    lang: Lang = None,
) -> None:
    """Sign a draft with your root key (pimpinan); publish it when enough have signed."""
    _speak(lang)
    name = operator_name(as_)
    if not name:
        raise SopError(_("--as: required; the pimpinan whose root key signs, e.g. --as ahmad"))
    trust = load_trust()
    private_key = keys.load_key(load_settings().key_dir, name)
    doc = registry.read_document(draft)
    said = registry.check_draft(trust, doc, str(draft))
    key = registry.sign(trust, doc, private_key, str(draft))
    # The signature is kept in the draft first, so a refused publish loses nothing.
    registry.write_document(draft, doc)
    drafted = _("draft registry version {version}: {path}").format(version=doc.version, path=draft)
    _say(f"{drafted} · SHA-256 {doc.digest}")
    _say(_("changes:"))
    for line in said:
        _say(f"  - {line}")
    count = len(registry.valid_signers(trust, doc))
    _say(
        _("signed with root key {key!r} ({fp}): {count} of {threshold}").format(
            key=key.id, fp=key.fingerprint, count=count, threshold=trust.threshold
        )
    )
    published = registry.publish(trust, doc)
    if published is None:
        _say(
            _("waiting for {left} more root key signature(s); draft: {path}").format(
                left=trust.threshold - count, path=draft
            )
        )
    else:
        _say(
            _("published: {path} (registry version {version} in force)").format(
                path=published, version=doc.version
            )
        )


def _history_rows(versions: list[registry.Registry]) -> list[dict[str, Any]]:
    rows = []
    before: list[dict[str, Any]] | None = None
    for version in versions:
        now = [o.as_dict() for o in version.operators]
        rows.append(
            {
                "version": version.version,
                "issued_at": version.issued_at,
                "digest": version.digest,
                "signed_by": list(version.signed_by),
                "changes": registry.changes(before, now),
            }
        )
        before = now
    return rows


def _as_json(trust: TrustRoot, chosen: registry.Registry, rows: list[dict[str, Any]]) -> str:
    return json.dumps(
        {
            "trust_file": str(trust.path),
            "version": chosen.version,
            "digest": chosen.digest,
            "issued_at": chosen.issued_at,
            "signed_by": list(chosen.signed_by),
            "operators": [{**o.as_dict(), "fingerprint": o.fingerprint} for o in chosen.operators],
            "history": rows,
        },
        indent=2,
        ensure_ascii=False,
    )


def show(
    version: Annotated[
        int | None, typer.Option("--version", help=_("a past version (default: current)"))
    ] = None,
    as_json: Json = False,
    lang: Lang = None,
) -> None:
    """Show the operators (roles, Unix users, key fingerprints) and the version history."""
    _speak(lang)
    trust = load_trust()
    versions = registry.history(trust)
    chosen = (
        versions[-1]
        if version is None
        else next((v for v in versions if v.version == version), None)
    )
    if chosen is None:
        raise SopError(
            _("--version: {version} is not allowed; the registry has versions 1..{count}").format(
                version=version, count=len(versions)
            )
        )
    rows = _history_rows(versions)
    if as_json:
        _say(_as_json(trust, chosen, rows))
        return
    _say(
        _("Operators registry version {version} ({issued}, SHA-256 {digest}…)").format(
            version=chosen.version, issued=chosen.issued_at, digest=chosen.digest[:12]
        )
    )
    _say(_("signed by: {keys}").format(keys=", ".join(chosen.signed_by)))
    table = [tuple(_(column) for column in COLUMNS)] + [
        (
            o.name,
            o.unix_user,
            ",".join(o.roles),
            o.short_fingerprint,
            o.full_name,
            o.nip or "-",
            o.jabatan,
        )
        for o in chosen.operators
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        _say(("  " + "  ".join(cells)).rstrip())
    _say(_("Version history:"))
    for row in rows:
        signers = ", ".join(row["signed_by"])
        _say(f"  v{row['version']}  {row['issued_at']}  {row['digest'][:12]}…  [{signers}]")
        for line in row["changes"]:
            _say(f"      - {line}")


def verify(lang: Lang = None) -> None:
    """Check every registry version: root signatures, the chain, the identity rules."""
    _speak(lang)
    trust = load_trust()
    problems = registry.verify(trust)
    if problems:
        _say(_("operators registry does NOT verify (trust file {path}):").format(path=trust.path))
        for problem in problems:
            _say(f"  {problem}")
        raise typer.Exit(1)
    versions = registry.history(trust)
    head = versions[-1]
    _say(
        _(
            "operators registry valid: {count} version(s), current version {version} "
            "with {operators} operator(s), signed by {keys} ({signed} of {threshold} "
            "required root keys)"
        ).format(
            count=len(versions),
            version=head.version,
            operators=len(head.operators),
            keys=", ".join(head.signed_by),
            signed=len(head.signed_by),
            threshold=trust.threshold,
        )
    )
