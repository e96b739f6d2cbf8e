"""The netconfig module's own job: its arguments and the libraries its drivers need.

The module runs in this process (Ansible's ``patch_module_args``); no device is
reached, because each case fails before the driver logs in.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible.modules import netconfig

CLOSED = {"host": "127.0.0.1", "port": 1, "username": "u"}  # nothing listens on port 1


def _run(capsys: pytest.CaptureFixture[str], **args: Any) -> dict[str, Any]:
    """Given module arguments, run netconfig and return its result."""
    with patch_module_args({"candidate": "hostname x\n", **args}), pytest.raises(SystemExit):
        netconfig.main()
    return dict(json.loads(capsys.readouterr().out))


@pytest.mark.parametrize(
    ("platform", "library"),
    [("ios", "napalm"), ("cisco_ios", "netmiko"), ("frr", "paramiko")],
)
def test_a_driver_library_that_is_not_installed_is_named(
    platform: str, library: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stand-in for "not installed": None in sys.modules makes `import <library>` fail.
    monkeypatch.setitem(sys.modules, library, None)
    result = _run(capsys, platform=platform, password="rahasia-uji", **CLOSED)
    assert result["failed"] is True
    assert f"Failed to import the required Python library ({library})" in result["msg"], result


def test_frr_needs_a_key_file_a_password_or_an_agent(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    result = _run(capsys, platform="frr", **CLOSED)
    assert result["failed"] is True
    assert result["msg"] == (
        "platform is frr but none of key_file, password or an ssh-agent (SSH_AUTH_SOCK) "
        "is there to log in with"
    )
