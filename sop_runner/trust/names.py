"""Names are identities: one safe spelling per person, one key per person.

An operator name is NFKC-normalised and must then equal what was written and
match ``^[a-z][a-z0-9._-]{1,31}$``: zero-width characters, direction marks,
look-alike letters from other scripts and upper case are refused, so two
names that look the same on a paper card are the same name.  Within one
registry version names, Unix users and public keys are unique, and two names
that differ only by characters people confuse (``0``/``o``, ``1``/``l``,
``rn``/``m``, separators) are refused as look-alikes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from sop_runner.errors import SopError
from sop_runner.i18n import N_, _
from sop_runner.trust import raw_public_key

NAME_PATTERN = re.compile(r"[a-z][a-z0-9._-]{1,31}")
UNIX_USER_PATTERN = re.compile(r"[a-z_][a-z0-9._-]{0,31}")
# Translated where they are said (name_problem): a module constant is made before --lang is read.
NAME_RULE = N_("2–32 characters a-z, 0-9, '.', '_', '-', starting with a letter")
UNIX_USER_RULE = N_("1–32 characters a-z, 0-9, '.', '_', '-', starting with a letter or '_'")

# Characters people read as one another once upper case and other scripts are gone.
_CONFUSABLE = (("rn", "m"), ("vv", "w"), ("0", "o"), ("1", "l"), ("5", "s"))


def _char_name(char: str) -> str:
    return f"U+{ord(char):04X} {unicodedata.name(char, 'UNNAMED CHARACTER')}"


def name_problem(
    value: Any, pattern: re.Pattern[str] = NAME_PATTERN, rule: str = NAME_RULE
) -> str | None:
    """Given a name as written, return what is wrong with it, or None when it is allowed.

    The name is NFKC-normalised; it must equal its normal form, be printable
    ASCII in lower case and match the pattern.
    """
    rule = _(rule)
    if not isinstance(value, str):
        return _("{value!r} is not allowed; expected a name of {rule}").format(
            value=value, rule=rule
        )
    normal = unicodedata.normalize("NFKC", value)
    odd = next((c for c in value if not (c.isascii() and c.isprintable())), None)
    if odd is not None:
        return _("{value!r} contains {char}; allowed: {rule}").format(
            value=value, char=_char_name(odd), rule=rule
        )
    if normal != value:  # ASCII is NFKC-stable; kept so the rule reads as designed
        return _("{value!r} is not in NFKC normal form; allowed: {rule}").format(
            value=value, rule=rule
        )
    if value != value.lower():
        return _(
            "{value!r} has upper-case letters; names are written in lower case ({rule})"
        ).format(value=value, rule=rule)
    if not pattern.fullmatch(value):
        return _("{value!r} is not allowed; expected {rule}").format(value=value, rule=rule)
    return None


def check_name(value: Any, field: str) -> str:
    """Given a name and the field it came from, return the name.

    Raise SopError naming the field if the name breaks the identity rules.
    """
    problem = name_problem(value)
    if problem is not None:
        raise SopError(f"{field}: {problem}")
    return str(value)


def skeleton(name: str) -> str:
    """Given an allowed name, return the form two look-alike names share."""
    text = unicodedata.normalize("NFKC", name).casefold()
    for separator in "._-":
        text = text.replace(separator, "")
    for seen, read_as in _CONFUSABLE:
        text = text.replace(seen, read_as)
    return text


def identity_problems(
    operators: Sequence[Mapping[str, Any]], where: str = "operators"
) -> list[str]:
    """Given the operator entries of one registry version, return every identity problem.

    Each problem names the entry (``operators[2].name``) and what is wrong:
    a name or Unix user outside the safe set, a repeated or look-alike name,
    a repeated Unix user, a malformed public key, or a key held by two operators.
    """
    problems: list[str] = []
    names: dict[str, str] = {}
    skeletons: dict[str, str] = {}
    unix_users: dict[str, str] = {}
    keys: dict[bytes, str] = {}
    for index, entry in enumerate(operators):
        field = f"{where}[{index}]"
        name = entry.get("name")
        problem = name_problem(name)
        if problem is not None:
            problems.append(f"{field}.name: {problem}")
        elif name in names:
            problems.append(
                _("{field}.name: {name!r} is declared twice; names are unique").format(
                    field=field, name=name
                )
            )
        elif skeleton(name) in skeletons:
            problems.append(
                _(
                    "{field}.name: {name!r} looks like {other!r}; "
                    "choose a name that cannot be mistaken for another"
                ).format(field=field, name=name, other=skeletons[skeleton(name)])
            )
        else:
            names[name] = field
            skeletons[skeleton(name)] = name
        user = entry.get("unix_user")
        problem = name_problem(user, UNIX_USER_PATTERN, UNIX_USER_RULE)
        if problem is not None:
            problems.append(f"{field}.unix_user: {problem}")
        elif user in unix_users:
            problems.append(
                _(
                    "{field}.unix_user: {user!r} is already the Unix user of {other!r}; "
                    "one Unix user per operator"
                ).format(field=field, user=user, other=unix_users[user])
            )
        else:
            unix_users[user] = str(name)
        try:
            raw = raw_public_key(entry.get("public_key"))  # type: ignore[arg-type]
        except ValueError:
            problems.append(
                _("{field}.public_key: base64 of a 32-byte ed25519 public key").format(field=field)
            )
            continue
        if raw in keys:
            problems.append(
                _(
                    "{field}.public_key: the key of {name!r} is also the key of {other!r}; "
                    "one key per operator, each person makes their own with `sop keys init`"
                ).format(field=field, name=name, other=keys[raw])
            )
        else:
            keys[raw] = str(name)
    return problems
