"""Where things live: the trust root (store, inventory, registry) and the caller's own folders.

What decides trust — the store, the inventory (and so the service catalog) and
the operators registry — comes only from the root-owned trust file
(sop_runner/trust/trustfile.py).  An environment variable or a ``sop.yml`` that
names another store, inventory or operators file is refused, never followed.
What is the caller's own (where reports and runner artifacts go, the folder of
their private key, the language) is read from the environment, then the config
file (``$SOP_CONFIG`` or ``<repo>/sop.yml``), then the built-in default.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from sop_runner.errors import SopError
from sop_runner.folders import private_folder
from sop_runner.i18n import N_, _

if TYPE_CHECKING:
    from sop_runner.trust.trustfile import TrustRoot

REPO_ROOT = Path(__file__).resolve().parent.parent

_OWN_KEYS = {"data_dir", "key_dir", "lang"}
# Settings that once moved trust; named now only to be refused when they disagree.
_TRUST_KEYS = {
    "db_url": N_("store"),
    "inventory": N_("inventory"),
    "operators_file": N_("registry"),
}


@dataclass(frozen=True)
class Settings:
    """The resolved settings of one process."""

    repo_root: Path
    data_dir: Path
    key_dir: Path
    lang: str
    # What the caller asked for (environment or sop.yml) of the trust root's settings;
    # checked against the trust file when it is read.
    asked: tuple[tuple[str, str], ...] = ()
    trust_file: Path | None = None
    # A trust root already read, handed in by Python code (tests that cannot be root);
    # nothing a caller's environment says can set it.
    preset_trust: TrustRoot | None = None

    @cached_property
    def trust(self) -> TrustRoot:
        """Return the trust root; raise SopError if it is missing, unsafe or contradicted."""
        from sop_runner.trust.trustfile import load_trust

        trust = self.preset_trust or load_trust(self.trust_file)
        for key, value in self.asked:
            _refuse_other(key, value, trust)
        return trust

    @property
    def db_url(self) -> str:
        return self.trust.store

    @property
    def inventory(self) -> Path:
        return self.trust.inventory

    @property
    def registry_dir(self) -> Path:
        return self.trust.registry

    @property
    def artifacts_dir(self) -> Path:
        return private_folder(self.data_dir) / "artifacts"

    @property
    def runner_dir(self) -> Path:
        """ansible-runner's private data dir (its artifacts), inside the data dir (0700)."""
        return private_folder(self.data_dir) / "runner"

    @property
    def reports_dir(self) -> Path:
        """The reports' folder, inside the data dir (made 0700: documents name hosts,
        people and reasons that are nobody else's to read)."""
        return private_folder(self.data_dir) / "reports"


def _refuse_other(key: str, value: str, trust: TrustRoot) -> None:
    """Given a trust setting the caller named, raise SopError unless it is the trust file's."""
    env = f"SOP_{key.upper()}"
    if key == "operators_file":
        raise SopError(
            _(
                "{env}: {value!r} is not read; operators come only from the signed registry "
                "{registry} named by the trust file {path} (docs/security.md)"
            ).format(env=env, value=value, registry=trust.registry, path=trust.path)
        )
    own = trust.store if key == "db_url" else str(trust.inventory)
    same = value == own or (key == "inventory" and Path(value).resolve() == trust.inventory)
    if not same:
        from sop_runner.store.db import redact

        shown, named = (redact(value), redact(own)) if key == "db_url" else (value, own)
        raise SopError(
            _(
                "{env}: {value!r} is an untrusted source; the {what} is the one the trust "
                "file {path} names ({named}); trust comes only from that file "
                "(docs/security.md)"
            ).format(env=env, value=shown, what=_(_TRUST_KEYS[key]), path=trust.path, named=named)
        )


def _config_file_values() -> dict[str, str]:
    path = Path(os.environ.get("SOP_CONFIG", REPO_ROOT / "sop.yml"))
    if not path.exists():
        return {}
    import yaml  # only when there is a file: `sop list` reads no YAML (issue 17)

    from sop_runner import yamlio

    try:
        values = yamlio.load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise SopError(
            _("config file {path}: not valid YAML ({reason})").format(
                path=path, reason=exc.__class__.__name__
            )
        ) from None
    if not isinstance(values, dict):
        raise SopError(_("config file {path}: must be a mapping of settings").format(path=path))
    allowed = _OWN_KEYS | set(_TRUST_KEYS)
    unknown = set(values) - allowed
    if unknown:
        raise SopError(
            _("config file {path}: unknown setting {name!r}; allowed: {allowed}").format(
                path=path, name=sorted(unknown)[0], allowed=", ".join(sorted(_OWN_KEYS))
            )
        )
    return {k: str(v) for k, v in values.items()}


def load_settings() -> Settings:
    """Given the environment and the config file, return the settings."""
    file_values = _config_file_values()

    def pick(key: str, default: str) -> str:
        return os.environ.get(f"SOP_{key.upper()}") or file_values.get(key) or default

    xdg_data = os.environ.get("XDG_DATA_HOME", str(Path.home() / ".local" / "share"))
    xdg_config = os.environ.get("XDG_CONFIG_HOME", str(Path.home() / ".config"))
    data_dir = Path(pick("data_dir", str(Path(xdg_data) / "sop-pusatdata")))
    lang = pick("lang", "id")
    if lang not in ("id", "en"):
        raise SopError(
            _("lang: {lang!r} is not allowed; use 'id' (Indonesian) or 'en' (English)").format(
                lang=lang
            )
        )
    asked = tuple((key, value) for key in sorted(_TRUST_KEYS) if (value := pick(key, "")) != "")
    named = os.environ.get("SOP_TRUST_FILE")
    return Settings(
        repo_root=REPO_ROOT,
        data_dir=data_dir,
        key_dir=Path(pick("key_dir", str(Path(xdg_config) / "sop-pusatdata" / "keys"))),
        lang=lang,
        asked=asked,
        trust_file=Path(named) if named else None,
    )
