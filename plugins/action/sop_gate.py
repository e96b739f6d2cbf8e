"""Action plugin behind the sop_gate module: the approval gate inside Ansible.

It runs on the controller (no file transfer) because it needs the store,
the operators' public keys and the catalog, none of which are on targets.
It reads the play's extra vars as Ansible loaded them, untemplated, through the
task's variable manager: sop_runner/gate_check.py refuses any but sop_request,
sop_params and sop_run, and compares sop_params with the request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible.plugins.action import ActionBase

# Said in English only when sop_runner itself (its catalogs) cannot be imported.
NOT_IMPORTABLE = "sop_gate: the sop_runner package is not importable here ({exc})"


def _words() -> Callable[[str], str]:
    """Return gettext's _ of sop_runner (the play's language: $SOP_LANG, then the config
    file's lang, then Indonesian; docs/i18n.md), or the English text itself without it."""
    try:
        from sop_runner.i18n import _
    except ImportError:
        return str
    return _


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("procedure", "step", "read_only", "derived", "request"))

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        result["changed"] = False
        args = self._task.args
        request_id = args.get("request") or task_vars.get("sop_request")
        playbook = task_vars.get("ansible_play_name") or self._task.get_path() or "?"
        hosts = list(task_vars.get("ansible_play_hosts_all", []))
        _ = _words()
        if self._task.check_mode and not request_id:
            refusal = _dry_run_refusal(args, _extra_vars(self._task))
            if refusal:
                result["failed"] = True
                result["msg"] = _("sop_gate refused: {why}").format(why=refusal)
                return result
            result["msg"] = _("check mode without a request: nothing will change, gate not needed")
            params = task_vars.get("sop_params") or {}
            repository = params.get("repository") if isinstance(params, dict) else None
            repository = repository or task_vars.get("repository")
            return _with_certificate(result, None, None, hosts, repository)
        if not request_id:
            result["failed"] = True
            result["msg"] = _(
                "sop_gate: no request given (-e sop_request=ID); this playbook changes state "
                "and runs only for an approved request: `sop request PROCEDURE --target HOST "
                "... --reason ...`, have it approved (`sop approve ID`), then `sop run ID` or "
                "`ansible-playbook ... -e sop_request=ID`"
            )
            return result
        try:
            from sop_runner.context import Context
            from sop_runner.errors import SopError
            from sop_runner.gate_check import check_play
        except ImportError as exc:
            result["failed"] = True
            result["msg"] = NOT_IMPORTABLE.format(exc=exc)
            return result
        try:
            step = int(args["step"])
            summary = check_play(
                ctx := Context(),
                request_id,
                str(args["procedure"]),
                step,
                hosts,
                _extra_vars(self._task),
                str(playbook),
                read_only=bool(args.get("read_only")),
                derived=dict(args.get("derived") or {}),
                check_mode=bool(self._task.check_mode),
            )
        except (SopError, KeyError, ValueError) as refusal:
            result["failed"] = True
            result["msg"] = _("sop_gate refused: {why}").format(why=refusal)
            return result
        params = summary.pop("params", {})
        result["sop_gate"] = summary
        result["msg"] = _("request {id} approved for this play").format(id=summary["request"])
        if "sop_params" not in _extra_vars(self._task):
            # An AWX job's survey asks the request alone: the play gets the request's own
            # approved parameters, as data never templated (run_once: every host has them).
            from ansible.utils.unsafe_proxy import wrap_var

            result["ansible_facts"] = {"sop_params": wrap_var(params)}
        return _with_certificate(result, int(summary["request"]), step, hosts, ctx=ctx)


def _with_certificate(
    result: dict[str, Any],
    request: int | None,
    step: int | None,
    hosts: list[str],
    repository: Any = None,
    ctx: Any = None,
) -> dict[str, Any]:
    """Given the gate's result, return it once the play's certificate is in its ssh-agent
    (sop_runner/issuer/gatekeys.py), or failed with the one line saying why not."""
    try:
        from sop_runner.context import Context
        from sop_runner.errors import SopError
        from sop_runner.issuer.gatekeys import certificate_for_play
    except ImportError as exc:
        result["failed"] = True
        result["msg"] = NOT_IMPORTABLE.format(exc=exc)
        return result
    try:
        result["sop_certificate"] = certificate_for_play(
            ctx or Context(), request, step, hosts, repository
        )
    except SopError as refusal:
        result["failed"] = True
        _ = _words()
        result["msg"] = _("sop_gate: no certificate for this play: {why}").format(why=refusal)
    return result


def _extra_vars(task: Any) -> dict[str, Any]:
    """Given the gate task, return the play's extra vars as loaded (never templated)."""
    manager = task.get_variable_manager()
    return dict(manager.extra_vars) if manager is not None else {}


def _dry_run_refusal(args: dict[str, Any], extra_vars: dict[str, Any]) -> str | None:
    """Given a check run without a request, return why its extra vars are refused (or None)."""
    try:
        from sop_runner.errors import SopError
        from sop_runner.gate_check import check_dry_run
    except ImportError as exc:
        return NOT_IMPORTABLE.format(exc=exc).removeprefix("sop_gate: ")
    try:
        check_dry_run(str(args.get("procedure")), extra_vars)
    except SopError as refusal:
        return str(refusal)
    return None
