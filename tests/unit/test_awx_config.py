"""AWX as code (awx/configure.yml): generated from the catalog, and every awx.awx task
valid against the modules' argument specs (awx/awx_collection_argspecs.json, read from
ansible/awx's awx_collection by awx/extract_argspecs.py: the collection cannot be
installed here), every survey valid by AWX's own survey rules."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from sop_runner.awx.config import render, template_name
from sop_runner.catalog import load_catalog
from sop_runner.config import REPO_ROOT

CONFIG = REPO_ROOT / "awx" / "configure.yml"
SPECS = json.loads((REPO_ROOT / "awx" / "awx_collection_argspecs.json").read_text())["modules"]
# AWX's survey question types and the Python type of their default
# (awx/main/models/jobs.py SURVEY_TYPE_MAPPING).
SURVEY_TYPES = {
    "text": str,
    "textarea": str,
    "password": str,
    "multiplechoice": str,
    "multiselect": str,
    "integer": int,
    "float": (float, int),
}
_TYPES = {
    "str": str,
    "bool": bool,
    "int": int,
    "float": (int, float),
    "dict": dict,
    "list": list,
    "path": str,
    "raw": object,
    "json": (dict, list, str),
}


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def _tasks(text: str) -> list[dict[str, Any]]:
    plays = yaml.load(text, Loader=_Loader)
    return [task for play in plays for task in play["tasks"]]


def _awx_tasks(text: str) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for task in _tasks(text):
        for key, args in task.items():
            if key.startswith("awx.awx."):
                found.append((key.removeprefix("awx.awx."), args))
    return found


def argument_errors(module: str, args: dict[str, Any]) -> list[str]:
    """Given an awx.awx module and its task's arguments, return what its spec refuses."""
    spec = SPECS.get(module)
    if spec is None:
        return [f"awx.awx.{module}: no such module in the snapshot"]
    names = {alias: key for key, opt in spec.items() for alias in [key, *opt.get("aliases", [])]}
    errors = []
    for given, value in args.items():
        key = names.get(given)
        if key is None:
            errors.append(f"{module}: unsupported option {given!r}")
            continue
        option = spec[key]
        templated = isinstance(value, str) and "{{" in value
        if templated:
            continue
        if not isinstance(value, _TYPES[option["type"]]) or (
            option["type"] == "int" and isinstance(value, bool)
        ):
            errors.append(f"{module}.{given}: {value!r} is not of type {option['type']}")
        if "choices" in option and value not in option["choices"]:
            errors.append(f"{module}.{given}: {value!r} not in {option['choices']}")
        if option["type"] == "list" and option.get("elements") == "str":
            errors.extend(
                f"{module}.{given}: element {v!r} is not str"
                for v in value
                if not isinstance(v, str)
            )
    for key, option in spec.items():
        if option.get("required") and not ({key, *option.get("aliases", [])} & set(args)):
            errors.append(f"{module}: missing required option {key!r}")
    return errors


def survey_errors(spec: dict[str, Any]) -> list[str]:
    """Given a survey spec, return what AWX's survey validation refuses
    (awx/api/views/__init__.py JobTemplateSurveySpec._validate_spec_data)."""
    errors = [
        f"survey: {field} missing or not {kind.__name__}"
        for field, kind in (("name", str), ("description", str), ("spec", list))
        if not isinstance(spec.get(field), kind)
    ]
    if errors or not spec["spec"]:
        return errors or ["survey: 'spec' doesn't contain any items"]
    seen = set()
    for index, item in enumerate(spec["spec"]):
        for field in ("type", "question_name", "variable", "required"):
            kind = bool if field == "required" else str
            if not isinstance(item.get(field), kind):
                errors.append(f"question {index}: {field} missing or not {kind.__name__}")
        if item.get("variable") in seen:
            errors.append(f"question {index}: variable duplicated")
        seen.add(item.get("variable"))
        qtype = item.get("type")
        if qtype not in SURVEY_TYPES:
            errors.append(f"question {index}: type {qtype!r} not allowed")
            continue
        default = item.get("default", "")
        if default != "" and not isinstance(default, SURVEY_TYPES[qtype]):
            errors.append(f"question {index}: default {default!r} is not {qtype}")
        for key in ("min", "max"):
            if item.get(key) is not None and not isinstance(item[key], int):
                errors.append(f"question {index}: {key} is not an integer")
        if qtype in ("multiplechoice", "multiselect") and "choices" not in item:
            errors.append(f"question {index}: {qtype} without choices")
    return errors


def test_the_committed_configuration_is_the_generated_one():
    assert CONFIG.read_text() == render(), (
        "awx/configure.yml is stale: python -m sop_runner.awx.config > awx/configure.yml"
    )


def test_every_awx_task_fits_the_module_argument_spec():
    tasks = _awx_tasks(CONFIG.read_text())
    assert len(tasks) > 20
    errors = [error for module, args in tasks for error in argument_errors(module, args)]
    assert errors == []


def test_the_argument_check_can_fail():
    assert argument_errors("job_template", {"name": "x", "playbok": "a.yml"}) == [
        "job_template: unsupported option 'playbok'"
    ]
    assert argument_errors("job_template", {"name": "x", "job_type": "apply"})
    assert argument_errors("schedule", {"rrule": "x", "unified_job_template": "t"}) == [
        "schedule: missing required option 'name'"
    ]
    assert argument_errors("credential_type", {"name": "x", "inputs": "text"})


def test_every_survey_is_valid_for_awx():
    surveys = [
        args["survey_spec"] for m, args in _awx_tasks(CONFIG.read_text()) if "survey_spec" in args
    ]
    assert surveys
    for survey in surveys:
        assert survey_errors(survey) == [], survey["name"]
        assert [q["variable"] for q in survey["spec"]] == ["sop_request"]
    broken = {"name": "x", "description": "", "spec": [{"type": "number", "variable": "a"}]}
    assert survey_errors(broken)


def test_every_playbook_of_the_catalog_has_a_template():
    names = {
        args["name"]: args for m, args in _awx_tasks(CONFIG.read_text()) if m == "job_template"
    }
    for procedure in load_catalog().procedures:
        for step in procedure.steps:
            for playbook in step.all_playbooks:
                template = names[template_name(procedure, step, playbook)]
                assert template["playbook"] == f"playbooks/{playbook}"
                assert (REPO_ROOT / template["playbook"]).is_file()
    scheduled = [t for t in names.values() if t["playbook"] == "awx/scheduled_run.yml"]
    assert len(scheduled) == 1 and (REPO_ROOT / "awx" / "scheduled_run.yml").is_file()


def test_the_credential_type_injects_only_its_own_inputs_and_the_trusted_settings():
    (args,) = [a for m, a in _awx_tasks(CONFIG.read_text()) if m == "credential_type"]
    ids = {field["id"] for field in args["inputs"]["fields"]}
    env = args["injectors"]["env"]
    assert {"SOP_TRUST_FILE", "SOP_DB_URL", "SOP_OPERATOR"} <= set(env)
    for value in [*env.values(), *args["injectors"]["file"].values()]:
        for used in re.findall(r"{{\s*([\w.]+)\s*}}", value):
            assert used in ids or used.startswith("tower.filename."), used
    secret = {f["id"] for f in args["inputs"]["fields"] if f.get("secret")}
    assert {"store_url", "operator_key"} <= secret
    # The injector templates reach AWX as text: Ansible must not render them.
    assert "!unsafe '{{ trust_file }}'" in CONFIG.read_text()


@pytest.mark.parametrize("procedure", ["7.1", "7.2", "6.1"])
def test_schedules_launch_the_scheduled_template(procedure):
    schedules = [a for m, a in _awx_tasks(CONFIG.read_text()) if m == "schedule"]
    (found,) = [s for s in schedules if s["extra_data"]["sop_schedule"]["procedure"] == procedure]
    assert found["rrule"].startswith("DTSTART;TZID=Asia/Jakarta:")
    assert "RRULE:FREQ=" in found["rrule"]


def test_the_snapshot_names_its_source():
    data = json.loads((REPO_ROOT / "awx" / "awx_collection_argspecs.json").read_text())
    assert data["source"].startswith("ansible/awx ")
    assert Path(REPO_ROOT / "awx" / "extract_argspecs.py").is_file()
