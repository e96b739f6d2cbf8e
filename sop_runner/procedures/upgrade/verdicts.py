"""Pure judgements of SOP 4.1/4.2 records: a record's success, a run's outcome, the figures."""

from __future__ import annotations

from typing import Any

from sop_runner.procedures.upgrade.models import UpgradeRecord


def record_ok(kind: str, value: dict[str, Any]) -> bool:
    """Given a record kind and its data, return whether it is a success."""
    if kind == "upgrade_analysis":
        return bool(value.get("compatible"))
    if kind == "upgrade_backups":
        # "All data" (SOP 4.2 step 7): the files and a dump of every database the host runs.
        dumps = value.get("databases") or []
        return (
            bool(value.get("snapshot_id"))
            and _truthy(value.get("checked"))
            and all(d.get("status") == "ok" for d in dumps)
            and len(dumps) >= int(value.get("databases_expected") or 0)
        )
    if kind in ("upgrade_tests", "hw_spec_after"):
        return bool(value.get("ok"))
    if kind == "upgrade_recovery":
        return _truthy(value.get("verified"))
    return True


def _truthy(value: Any) -> bool:
    # Ansible hands a templated boolean back as text ("True") through set_stats.
    return value is True or str(value).strip().lower() in ("true", "yes", "1")


def outcome(records: list[UpgradeRecord]) -> str:
    """Given a run's upgrade records, return its outcome key.

    postponed (an analysis not compatible), failed_recovered / failed (a test
    failed; recovery verified or not), upgraded (packages changed and tests
    passed), cancelled (4.1 spec or test not met), else in_progress.
    """
    kinds = {(r.kind, r.ok) for r in records}
    if ("upgrade_analysis", False) in kinds:
        return "postponed"
    if ("hw_spec_after", False) in kinds:
        return "cancelled"
    if (
        ("upgrade_tests", False) in kinds
        or ("upgrade_recovery", False) in kinds
        or ("upgrade_recovery", True) in kinds
    ):
        recovered = [r for r in records if r.kind == "upgrade_recovery"]
        return "failed_recovered" if recovered and all(r.ok for r in recovered) else "failed"
    if ("upgrade_tests", True) in kinds and ("upgrade_packages", True) in kinds:
        return "upgraded"
    if ("hw_register", True) in kinds:
        return "upgraded"
    return "in_progress"


def figures_rows(records: list[UpgradeRecord]) -> list[dict[str, Any]]:
    """Given a run's records, return before/after response-time rows per host and check."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for record in records:
        if record.kind == "upgrade_analysis":
            phase, figures = "before", (record.data.get("baseline") or {}).get("figures", {})
        elif record.kind in ("upgrade_tests", "hw_spec_after"):
            phase, figures = "after", record.data.get("figures", {})
        elif record.kind == "upgrade_recovery":
            phase, figures = "recovered", record.data.get("figures", {})
        elif record.kind == "hw_spec_before":
            phase, figures = "before", record.data.get("figures", {})
        else:
            continue
        for name, value in (figures or {}).items():
            row = rows.setdefault((record.host, name), {"host": record.host, "check": name})
            row[phase] = value.get("median_ms")
    return list(rows.values())
