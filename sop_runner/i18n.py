"""The language `sop` speaks to people: Python's gettext, Indonesian by default.

The messages are written in English in the code (the msgid) and translated in
``sop_runner/locale/<lang>/LC_MESSAGES/*.po``: ``sop.po`` for the core, one file
per feature (``backup.po``, ``grants.po`` …) so features added side by side never
edit the same catalog.  The files are merged and compiled to the ``.mo`` form
gettext reads when first needed (``compile_po``), so a translation edited in a
``.po`` is what runs, and no build step can be forgotten.  Compiling them costs
about 15 ms of every start (issue 17), so the ``.mo`` is kept in the package's
own ``__pycache__``, named by the SHA-256 of the ``.po`` files and of this code
(as sop_runner/catalog/cache.py keeps the validated catalog): written only by
whoever can write the package, as trusted as the ``.pyc`` files beside it; any
edited ``.po`` gives another name, so a stale ``.mo`` is never read.

The language is, in order: ``--lang`` on the command line, ``$SOP_LANG``, ``lang``
in the config file, Indonesian.  It is read once, before the command's help
texts are built, because typer builds them when the commands are defined.
"""

from __future__ import annotations

import ast
import gettext
import io
import os
import struct
import sys
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from sop_runner.kept_files import keep
from sop_runner.sha256 import sha256

LANGUAGES = ("id", "en")
DEFAULT = "id"
DOMAIN = "sop"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
CACHE_DIR = Path(__file__).resolve().parent / "__pycache__"

_chosen: str | None = None
# True while the config file is read for its lang: its refusals must not read it again.
_reading_config = False


def po_file(lang: str) -> Path:
    """Given a language, return the path of its core catalog (.po)."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def po_files(lang: str) -> list[Path]:
    """Given a language, return its catalogs: the core's first, then each feature's."""
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    try:  # listed, not globbed: Path.glob compiles a pattern at every start
        names = sorted(n for n in os.listdir(folder) if n.endswith(".po"))
    except OSError:
        return []
    core = f"{DOMAIN}.po"
    chosen = ([core] if core in names else []) + [n for n in names if n != core]
    return [folder / n for n in chosen]


def catalog_text(lang: str) -> str:
    """Given a language, return its catalogs joined into the text of one .po file."""
    return "\n".join(p.read_text(encoding="utf-8") for p in po_files(lang))


def catalog(lang: str) -> dict[str, str]:
    """Given a language, return every translation of its catalogs (msgid -> msgstr).

    Raise ValueError if a msgid is translated in two catalogs (which one wins would
    depend on the order the files are read).
    """
    merged: dict[str, str] = {}
    for path in po_files(lang):
        for msgid, msgstr in read_po(path.read_text(encoding="utf-8")).items():
            if msgid and msgid in merged and merged[msgid] != msgstr:
                raise ValueError(f"{path.name}: {msgid[:40]!r} is translated in two catalogs")
            merged[msgid] = msgstr
    return merged


def read_po(text: str) -> dict[str, str]:
    """Given the text of a .po file, return its translations (msgid -> msgstr).

    Entries with an empty msgstr (not translated yet) and fuzzy entries are left
    out, so gettext falls back to the English msgid.  Raise ValueError naming the
    line if the file is malformed.
    """
    entries: dict[str, str] = {}
    entry: dict[str, list[str]] = {}
    current: list[str] | None = None
    fuzzy = pending_fuzzy = False

    def flush() -> None:
        if "msgid" in entry and "msgstr" in entry and not fuzzy:
            value = "".join(entry["msgstr"])
            if value:
                entries["".join(entry["msgid"])] = value

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("#,"):
            pending_fuzzy = "fuzzy" in line
        elif not line or line.startswith("#"):
            continue
        elif line.startswith("msgid "):
            flush()
            entry, fuzzy, pending_fuzzy = {}, pending_fuzzy, False
            current = entry["msgid"] = [_string(line[6:], number)]
        elif line.startswith("msgstr "):
            if "msgid" not in entry:
                raise ValueError(f"line {number}: msgstr without msgid")
            current = entry["msgstr"] = [_string(line[7:], number)]
        elif line.startswith('"') and current is not None:
            current.append(_string(line, number))
        else:
            raise ValueError(f"line {number}: not a .po line: {line[:40]!r}")
    flush()
    return entries


def _string(token: str, number: int) -> str:
    token = token.strip()
    if not (token.startswith('"') and token.endswith('"')):
        raise ValueError(f"line {number}: a quoted string was expected")
    value = ast.literal_eval(token)
    assert isinstance(value, str)
    return value


def compile_po(text: str) -> bytes:
    """Given the text of a .po file, return the .mo file gettext reads (what msgfmt writes)."""
    entries = read_po(text)
    header = entries.pop("", "Content-Type: text/plain; charset=UTF-8\n")
    pairs = [("", header), *sorted(entries.items())]
    ids = [k.encode() for k, _ in pairs]
    strs = [v.encode() for _, v in pairs]
    count = len(pairs)
    start = 7 * 4 + count * 16  # header, then the two tables of (length, offset)
    id_table, str_table, blob = [], [], b""
    for encoded in ids:
        id_table.append((len(encoded), start + len(blob)))
        blob += encoded + b"\0"
    for encoded in strs:
        str_table.append((len(encoded), start + len(blob)))
        blob += encoded + b"\0"
    out = struct.pack("<7I", 0x950412DE, 0, count, 28, 28 + count * 8, 0, 0)
    for length, offset in id_table + str_table:
        out += struct.pack("<2I", length, offset)
    return out + blob


def compiled(lang: str) -> bytes:
    """Given a language, return the .mo of its catalogs: kept from an earlier start when
    the .po files and this code are the same, else compiled (and kept if we may write)."""
    sources = [(path.name, path.read_bytes()) for path in po_files(lang)]
    digest = sha256(Path(__file__).read_bytes())
    for name, data in sources:
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    kept = CACHE_DIR / f"i18n-{lang}-{digest.hexdigest()[:40]}.mo"
    try:
        return kept.read_bytes()
    except OSError:
        pass
    mo = compile_po("\n".join(data.decode("utf-8") for _, data in sources))
    _keep(kept, mo)
    return mo


def _keep(path: Path, mo: bytes) -> None:
    """Given the cache file's path and a compiled catalog, write it there, replacing the
    language's older ones; a package folder not ours to write: compile at each start."""
    keep(path, mo, path.name.rsplit("-", 1)[0] + "-*.mo")


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """Given a language, return its gettext translations (English: the msgids themselves)."""
    if lang == "en" or not po_files(lang):
        return gettext.NullTranslations()
    return gettext.GNUTranslations(io.BytesIO(compiled(lang)))


def _from_argv(argv: Sequence[str]) -> str | None:
    for index, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--lang" and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


def language() -> str:
    """Return the language of this process: --lang, $SOP_LANG, the config file, or 'id'.

    A value that is not a language is passed over here; the command that reads
    ``--lang`` refuses it with one line.
    """
    global _chosen, _reading_config
    if _chosen is None:
        if _reading_config:  # the config file's own refusal, said while its lang is read
            return DEFAULT
        candidates = [_from_argv(sys.argv[1:]), os.environ.get("SOP_LANG")]
        if not any(c in LANGUAGES for c in candidates):
            _reading_config = True
            try:
                candidates.append(_config_language())
            finally:
                _reading_config = False
        _chosen = next((c for c in candidates if c in LANGUAGES), DEFAULT)
    return _chosen


def _config_language() -> str | None:
    from sop_runner.config import load_settings
    from sop_runner.errors import SopError

    try:
        return load_settings().lang
    except SopError:
        return None


def set_language(lang: str) -> None:
    """Given a language, speak it from now on (a command's own --lang, tests)."""
    global _chosen
    if lang in LANGUAGES:
        _chosen = lang


def _(message: str) -> str:
    """Given an English message, return it in the language of this process."""
    return translations(language()).gettext(message)


def N_(message: str) -> str:  # gettext's name for "translated later"
    """Given a message, return it untranslated (marks it for the catalog; _() translates it)."""
    return message


def tr(message: str, lang: str) -> str:
    """Given an English message and a language, return the message in that language."""
    return translations(lang).gettext(message)
