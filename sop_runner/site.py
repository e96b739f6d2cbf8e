"""The site beside the inventory (``site.yml``): its places and the project's own gates.

Procedures about rooms and supplies (1.1, 1.4, 2.1–2.3, 6.3, 6.4) act on a place of
the data center, not on an inventory host: a vendor visiting the server farm hits no
host's services.  The places are listed in ``site.yml`` beside the inventory (trusted
like it: the trust root names the inventory); without one, the rooms every data
center of this document has are used.  ``project_gates: false`` there switches off
the gates this project adds beyond the document (a restore over live data, deleting
backups): the catalog marks them ``rule: project``.

When the register (issue 18) has rooms, they are the places: the register
feature hands its rooms in through ``use_places_from`` (the core imports no
feature), and ``site.yml``'s places stand only while the register has none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sop_runner.errors import SopError
from sop_runner.i18n import _

SITE_FILE = "site.yml"


@dataclass(frozen=True)
class Place:
    """A place of the site: a room or area, by its short name."""

    name: str
    title: str


DEFAULT_PLACES = (
    Place("ruang-kendali", "Ruang kendali (control room)"),
    Place("area-staging", "Area staging"),
    Place("server-farm", "Ruang server (server farm)"),
    Place("loading-dock", "Area bongkar muat (loading dock)"),
)


@dataclass(frozen=True)
class Site:
    """The places of the site and whether the project's own gates are kept."""

    places: tuple[Place, ...] = DEFAULT_PLACES
    project_gates: bool = True

    def resolve_places(self, targets: list[str]) -> list[str]:
        """Given place names, return them sorted.

        Raise SopError naming the first unknown one and the places allowed.
        """
        if not targets:
            raise SopError(_("--target: at least one place of the site is required"))
        known = {p.name for p in self.places}
        for target in targets:
            if target not in known:
                raise SopError(
                    _(
                        "--target: {target!r} is not a place of the site; this procedure acts "
                        "on a place, allowed: {allowed}"
                    ).format(target=target, allowed=", ".join(sorted(known)))
                )
        return sorted(set(targets))


# Where the register's rooms come from (set by the register feature); None: no register.
_registered_places: Callable[[], tuple[Place, ...]] | None = None


def use_places_from(source: Callable[[], tuple[Place, ...]] | None) -> None:
    """Given a function returning the register's rooms as places (None: none), use it."""
    global _registered_places
    _registered_places = source


def load_site(folder: Path) -> Site:
    """Given the inventory's folder, return the site its ``site.yml`` describes, its
    places the register's rooms when it has any.

    Raise SopError naming the file and the field when it is malformed.
    """
    path = folder / SITE_FILE
    registered = _registered_places() if _registered_places is not None else ()
    if not path.exists():
        return Site(places=registered or DEFAULT_PLACES)
    import yaml  # here: every start imports this module (the register's hook), not YAML

    from sop_runner import yamlio

    try:
        data = yamlio.load(path.read_text()) or {}
    except yaml.YAMLError:
        raise SopError(_("site {path}: not valid YAML").format(path=path)) from None
    if not isinstance(data, dict):
        raise SopError(
            _("site {path}: must be a mapping (places, project_gates)").format(path=path)
        )
    places = []
    for index, entry in enumerate(data.get("places") or []):
        if not isinstance(entry, dict) or not str(entry.get("name", "")).strip():
            raise SopError(
                _("site {path}: places[{index}].name: required (a short name)").format(
                    path=path, index=index
                )
            )
        places.append(Place(str(entry["name"]), str(entry.get("title", entry["name"]))))
    gates = data.get("project_gates", True)
    if not isinstance(gates, bool):
        raise SopError(
            _("site {path}: project_gates: {value!r} is not allowed; use true or false").format(
                path=path, value=gates
            )
        )
    return Site(places=registered or tuple(places) or DEFAULT_PLACES, project_gates=gates)
