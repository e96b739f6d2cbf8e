"""Build the Ansible collection from the repository's library/, plugins/ and roles/.

The repository keeps its top-level layout (library/ beside plugins/, modules that import
``ansible.module_utils.sop_*`` through ansible.cfg).  A collection wants its modules under
plugins/modules and its module_utils and doc fragments by collection name, so the build
stages a copy with exactly those rewrites, then hands it to ``ansible-galaxy collection
build``.  Only the listed folders are staged: nothing of .venv, tests or bench can reach
the tarball.

    python -m sop_runner.awx.collection [OUTPUT_DIR]     # prints the tarball's path
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
# Folder of the repository → folder of the collection.
_PLUGIN_FOLDERS = ("action", "callback", "doc_fragments", "filter", "lookup", "module_utils")
_MODULE_UTILS = re.compile(r"\bansible\.module_utils\.(sop_\w+)")
_FRAGMENT_LINE = re.compile(r"^(\s*-\s*)(restic|sop_database)\s*$", re.MULTILINE)
_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc")


def collection_name(repo: Path = REPO) -> str:
    """Given the repository, return the collection's ``namespace.name`` from galaxy.yml."""
    meta = yaml.safe_load((repo / "galaxy.yml").read_text(encoding="utf-8"))
    return f"{meta['namespace']}.{meta['name']}"


def rewrite(text: str, fqcn: str) -> str:
    """Given a module or plugin's source, return it with its module_utils imports and doc
    fragments named the way a collection names them."""
    prefix = f"ansible_collections.{fqcn}.plugins.module_utils."
    text = _MODULE_UTILS.sub(lambda m: prefix + m.group(1), text)
    return _FRAGMENT_LINE.sub(lambda m: f"{m.group(1)}{fqcn}.{m.group(2)}", text)


def _copy_python(source: Path, target: Path, fqcn: str) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.glob("*.py")):
        (target / path.name).write_text(rewrite(path.read_text("utf-8"), fqcn), "utf-8")


def stage(repo: Path, folder: Path) -> Path:
    """Given the repository and an empty folder, lay the collection's tree out there."""
    fqcn = collection_name(repo)
    shutil.copy2(repo / "galaxy.yml", folder / "galaxy.yml")
    shutil.copytree(repo / "meta", folder / "meta", ignore=_SKIP)
    shutil.copy2(repo / "README.md", folder / "README.md")
    _copy_python(repo / "library", folder / "plugins" / "modules", fqcn)
    for name in _PLUGIN_FOLDERS:
        if (repo / "plugins" / name).is_dir():
            _copy_python(repo / "plugins" / name, folder / "plugins" / name, fqcn)
    shutil.copytree(repo / "roles", folder / "roles", ignore=_SKIP)
    return folder


def build(output: Path, repo: Path = REPO) -> Path:
    """Given an output folder, build the collection there and return the tarball's path.

    Raise RuntimeError with ansible-galaxy's own message if the build fails.
    """
    output.mkdir(parents=True, exist_ok=True)
    galaxy = Path(sys.executable).parent / "ansible-galaxy"
    with tempfile.TemporaryDirectory(prefix="sop-collection-") as tmp:
        staged = stage(repo, Path(tmp))
        done = subprocess.run(
            [
                str(galaxy),
                "collection",
                "build",
                "--force",
                str(staged),
                "--output-path",
                str(output),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode:
        raise RuntimeError(f"ansible-galaxy collection build: {done.stderr.strip()}")
    version = yaml.safe_load((repo / "galaxy.yml").read_text("utf-8"))["version"]
    return output / f"{collection_name(repo).replace('.', '-')}-{version}.tar.gz"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    output = Path(args[0]) if args else REPO / "build" / "collection"
    print(build(output.resolve()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
