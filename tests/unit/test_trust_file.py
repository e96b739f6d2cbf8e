"""The trust file is trusted only when root (here: the test's own uid) owns it and its path.

Without root, owner_uid=os.getuid() stands in for root; a file owned by
someone else is made by chown when the tests happen to run as root.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from sop_runner import i18n, keys
from sop_runner.errors import SopError
from sop_runner.trust.init import trust_document
from sop_runner.trust.trustfile import load_trust


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests name what is refused in the messages' own words (English); that the
    default is Indonesian is tested in test_trust_words.py."""
    monkeypatch.setattr(i18n, "_chosen", "en")


ME = os.getuid()


@pytest.fixture
def public_key(tmp_path: Path) -> str:
    return keys.init_key(tmp_path / "keys", "ahmad")


def good_data(public_key: str) -> dict:
    return {
        "version": 1,
        "root": {"threshold": 1, "keys": [{"id": "ahmad", "public_key": public_key}]},
        "store": "sqlite:////var/lib/sop-pusatdata/sop.db",
        "inventory": "/srv/sop-pusatdata/inventory/lab",
        "registry": "/var/lib/sop-pusatdata/registry",
        "witness": {
            "ssh": {
                "host": "10.77.1.13",
                "user": "sopwitness",
                "identity_file": "/etc/sop-pusatdata/witness_ed25519",
                "known_hosts": "/etc/sop-pusatdata/witness_known_hosts",
            },
            "syslog": {"host": "127.0.0.1", "port": 5514},
        },
    }


def write(path: Path, data: dict | str, mode: int = 0o644) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    path.chmod(mode)
    return path


def test_a_file_owned_by_the_trusted_uid_loads(tmp_path, public_key):
    trust = load_trust(write(tmp_path / "trust.yml", good_data(public_key)), owner_uid=ME)
    assert trust.threshold == 1
    assert [k.id for k in trust.root_keys] == ["ahmad"]
    assert trust.root_key_for(public_key).id == "ahmad"
    assert trust.registry == Path("/var/lib/sop-pusatdata/registry")
    assert trust.witness_ssh.port == 22 and trust.witness_syslog.protocol == "udp"


def test_the_text_trust_init_writes_loads(tmp_path, public_key):
    text = trust_document(
        {"ahmad": public_key}, 1, "sqlite:////x/sop.db", Path("/srv/inv"), Path("/srv/reg")
    )
    trust = load_trust(write(tmp_path / "trust.yml", text), owner_uid=ME)
    assert trust.store == "sqlite:////x/sop.db"


def test_a_file_owned_by_someone_else_is_refused(tmp_path, public_key):
    path = write(tmp_path / "trust.yml", good_data(public_key))
    if ME == 0:
        os.chown(path, 65534, 65534)
    # As a non-root user the file and its folder are the user's own: not root's.
    with pytest.raises(SopError, match=r"owned by .*not root; trust comes only from a root-owned"):
        load_trust(path, owner_uid=0)


@pytest.mark.parametrize("mode", [0o664, 0o646, 0o666])
def test_a_group_or_other_writable_file_is_refused(tmp_path, public_key, mode):
    path = write(tmp_path / "trust.yml", good_data(public_key), mode)
    with pytest.raises(
        SopError, match=rf"trust\.yml: writable by group or others \(mode 0{mode:o}\)"
    ):
        load_trust(path, owner_uid=ME)


@pytest.mark.parametrize("mode", [0o775, 0o757, 0o777])
def test_a_group_or_other_writable_directory_is_refused(tmp_path, public_key, mode):
    path = write(tmp_path / "etc" / "trust.yml", good_data(public_key))
    (tmp_path / "etc").chmod(mode)
    with pytest.raises(SopError, match=r"directory .*/etc: writable by group or others"):
        load_trust(path, owner_uid=ME)


def test_a_sticky_world_writable_directory_is_accepted_on_the_way(tmp_path, public_key):
    # As /tmp: nobody else can rename or replace what the trusted uid owns inside it.
    path = write(tmp_path / "shared" / "mine" / "trust.yml", good_data(public_key))
    (tmp_path / "shared").chmod(0o1777)
    assert load_trust(path, owner_uid=ME).threshold == 1


def test_a_link_is_judged_by_where_it_leads(tmp_path, public_key):
    real = write(tmp_path / "open" / "trust.yml", good_data(public_key))
    (tmp_path / "open").chmod(0o777)
    link = tmp_path / "link.yml"
    link.symlink_to(real)
    with pytest.raises(SopError, match=r"directory .*/open: writable by group or others"):
        load_trust(link, owner_uid=ME)


def test_sop_trust_file_names_the_file_and_obeys_the_same_rules(tmp_path, public_key, monkeypatch):
    path = write(tmp_path / "trust.yml", good_data(public_key))
    monkeypatch.setenv("SOP_TRUST_FILE", str(path))
    assert load_trust(owner_uid=ME).path == path
    path.chmod(0o666)
    with pytest.raises(SopError, match="writable by group or others"):
        load_trust(owner_uid=ME)
    monkeypatch.setenv("SOP_TRUST_FILE", "trust.yml")
    with pytest.raises(SopError, match="must be an absolute path"):
        load_trust(owner_uid=ME)
    monkeypatch.setenv("SOP_TRUST_FILE", str(tmp_path / "none.yml"))
    with pytest.raises(SopError, match=r"none\.yml \(from \$SOP_TRUST_FILE\): not found"):
        load_trust(owner_uid=ME)


def _without(data: dict, *path: str) -> dict:
    inner = data
    for key in path[:-1]:
        inner = inner[key]
    del inner[path[-1]]
    return data


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: _without(d, "root", "threshold"), "root.threshold: missing"),
        (lambda d: d.update(stores="x"), "stores: unknown key; allowed: approval_max, inventory"),
        (lambda d: d.update(version=2), "version: 2 is not allowed; expected 1"),
        (lambda d: d["root"].update(threshold=0), "root.threshold: 0 is not allowed"),
        (lambda d: d["root"].update(threshold=2), "root.threshold: 2 but only 1 root key"),
        (lambda d: d["root"]["keys"][0].update(public_key="abc"), r"root.keys\[0\].public_key"),
        (lambda d: d["root"]["keys"][0].update(id="Ahmad"), r"root.keys\[0\].id: .*upper-case"),
        (lambda d: d["root"]["keys"][0].update(id="a\u200dhmad"), r"root.keys\[0\].id: .*U\+200D"),
        (
            lambda d: d["root"]["keys"].append(dict(d["root"]["keys"][0])),
            r"root.keys\[1\].id: 'ahmad' is declared twice",
        ),
        (lambda d: d.update(store="mysql://x"), "store: 'mysql://x' is not allowed"),
        (lambda d: d.update(inventory="inventory/lab"), "inventory: 'inventory/lab' is not"),
        (lambda d: d.update(registry=7), "registry: 7 is not allowed; expected string"),
        (
            lambda d: d["witness"]["syslog"].update(protocol="icmp"),
            "witness.syslog.protocol: 'icmp' is not allowed; allowed: udp, tcp",
        ),
        (
            lambda d: _without(d, "witness", "ssh", "known_hosts"),
            "witness.ssh.known_hosts: missing",
        ),
    ],
)
def test_schema_errors_name_the_field(tmp_path, public_key, change, words):
    data = good_data(public_key)
    change(data)
    path = write(tmp_path / "trust.yml", data)
    with pytest.raises(SopError, match=words) as caught:
        load_trust(path, owner_uid=ME)
    assert str(caught.value).startswith(f"trust file {path}: ")
    assert "\n" not in str(caught.value)


def test_a_retired_root_key_does_not_count_towards_the_threshold(tmp_path, public_key):
    data = good_data(public_key)
    data["root"]["keys"][0]["until_version"] = 3
    with pytest.raises(SopError, match=r"only 0 root key.s. may sign new versions"):
        load_trust(write(tmp_path / "trust.yml", data), owner_uid=ME)


def test_not_yaml_is_one_line(tmp_path):
    with pytest.raises(SopError, match=r"trust\.yml: not valid YAML$"):
        load_trust(write(tmp_path / "trust.yml", "root: [unclosed"), owner_uid=ME)
