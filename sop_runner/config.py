"""Where things live: the repository, the store, the operator keys.

Resolution order for every setting: environment variable, then the config
file (``$SOP_CONFIG`` or ``<repo>/sop.yml``), then the built-in default.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from sop_runner import yamlio
from sop_runner.errors import SopError

REPO_ROOT = Path(__file__).resolve().parent.parent

_ALLOWED_KEYS = {"db_url", "data_dir", "inventory", "operators_file", "key_dir", "lang"}


@dataclass(frozen=True)
class Settings:
    """The resolved settings of one process."""

    repo_root: Path
    data_dir: Path
    db_url: str
    inventory: Path
    operators_file: Path
    key_dir: Path
    lang: str

    @property
    def artifacts_dir(self) -> Path:
        return self.data_dir / "artifacts"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"


def _config_file_values() -> dict[str, str]:
    path = Path(os.environ.get("SOP_CONFIG", REPO_ROOT / "sop.yml"))
    if not path.exists():
        return {}
    try:
        values = yamlio.load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise SopError(f"config file {path}: not valid YAML ({exc.__class__.__name__})") from None
    if not isinstance(values, dict):
        raise SopError(f"config file {path}: must be a mapping of settings")
    unknown = set(values) - _ALLOWED_KEYS
    if unknown:
        raise SopError(
            f"config file {path}: unknown setting {sorted(unknown)[0]!r}; "
            f"allowed: {', '.join(sorted(_ALLOWED_KEYS))}"
        )
    return {k: str(v) for k, v in values.items()}


def _default_inventory() -> Path:
    lab = REPO_ROOT / "inventory" / "lab"
    return lab if (lab / "hosts.yml").exists() else REPO_ROOT / "inventory" / "local"


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
        raise SopError(f"lang: {lang!r} is not allowed; use 'id' (Indonesian) or 'en' (English)")
    return Settings(
        repo_root=REPO_ROOT,
        data_dir=data_dir,
        db_url=pick("db_url", f"sqlite:///{data_dir / 'sop.db'}"),
        inventory=Path(pick("inventory", str(_default_inventory()))).resolve(),
        operators_file=Path(pick("operators_file", str(REPO_ROOT / "inventory" / "operators.yml"))),
        key_dir=Path(pick("key_dir", str(Path(xdg_config) / "sop-pusatdata" / "keys"))),
        lang=lang,
    )
