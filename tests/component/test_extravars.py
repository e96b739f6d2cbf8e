"""How a request's parameters reach Ansible: `sop_params`, marked unsafe, in a private
file named on the command line by its path only (sop_runner/runner.py).

A playbook of the test's own reads a parameter that looks like a template and the
command line it was started with (``/proc/self/cmdline`` of ansible-playbook, read
by a lookup on the controller), and stats the extra-vars file while it runs.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from sop_runner.runner import run_playbook

SENTINEL = "sentinel-param-7f3a"

PLAYBOOK = """\
- name: Show what a parameter became
  hosts: all
  gather_facts: false
  tasks:
    - name: Find the extra-vars file on the command line
      ansible.builtin.set_fact:
        cmdline: "{{ lookup('ansible.builtin.file', '/proc/self/cmdline').split('\\x00') }}"
    - name: Look at the extra-vars file
      ansible.builtin.stat:
        path: "{{ cmdline | select('match', '^@') | first | regex_replace('^@', '') }}"
      register: extravars_file
      delegate_to: localhost
    - name: Write what the play saw
      ansible.builtin.copy:
        dest: "{{ out }}"
        content: >-
          {{ {'template': sop_params.template, 'count': sop_params.count,
              'flag': sop_params.flag, 'items': sop_params.items_,
              'cmdline': cmdline, 'file': extravars_file.stat} | to_json }}
      delegate_to: localhost
"""


def test_parameters_reach_ansible_as_data_through_a_private_file(sqlite_sop_env, tmp_path):
    marker = tmp_path / "templated"
    out = tmp_path / "seen.json"
    project = tmp_path / "project"
    (project / "playbooks").mkdir(parents=True)
    (project / "ansible.cfg").write_text("[defaults]\nstdout_callback = ansible.builtin.default\n")
    (project / "playbooks" / "show.yml").write_text(PLAYBOOK.replace("{{ out }}", str(out)))
    settings = replace(sqlite_sop_env.ctx().settings, repo_root=project)
    params = {
        "template": f"{{{{ lookup('pipe', 'touch {marker}') }}}} {SENTINEL}",
        "count": 30,
        "flag": True,
        "items_": ["/srv/a", "{{ 7 * 6 }}"],
    }
    result = run_playbook(
        settings, "show.yml", ["ctl1"], {"sop_request": "7", "sop_params": params}, "extravars-1"
    )
    assert result.ok, result.error
    assert not marker.exists(), "a parameter was templated: the lookup ran"
    seen = json.loads(out.read_text())
    assert seen["template"] == params["template"]
    assert (seen["count"], seen["flag"], seen["items"]) == (30, True, ["/srv/a", "{{ 7 * 6 }}"])
    cmdline = " ".join(seen["cmdline"])
    assert SENTINEL not in cmdline and "sop_params" not in cmdline
    assert seen["file"]["exists"] and seen["file"]["mode"] == "0600"
    assert seen["file"]["pw_name"] == "root"
    assert not Path(seen["file"]["path"]).exists(), "the extra-vars file outlived the run"
