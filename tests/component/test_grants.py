"""SOP 2.4 grants with a store (SQLite and PostgreSQL) and the real `sop` command.

The firewall of these tests is reachable by no one (its Python does not exist): a
change that reaches the playbook fails at once and touches nothing.  The firewall
itself is in tests/integration/test_grants.py.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from sop_runner import i18n
from sop_runner.context import Context
from sop_runner.errors import SopError
from sop_runner.procedures.grants import api, ledger, policy, recorders, service
from sop_runner.procedures.grants.models import (
    FirewallGrant,
    GrantEvent,
    RemoteAccessLogEntry,
)
from sop_runner.requests import new_request
from sop_runner.store.models import AuditEntry, Request, Run, StepRecord
from tests.support.grant_net import UNREACHABLE_FIREWALL, grant_wish
from tests.support.sop import point_inventory

# ------------------------------------------------------------------ fail safe (issue 12)
#
# Bullets of issue 12, each with a test that failed before its fix: a total cap counted
# from the grant's start (extensions included); a grant whose end comes before it reaches
# the firewall is recorded as failed and the firewall is not touched; huge numbers
# refused with one line.


@pytest.fixture
def grant_env(sop_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Given an isolated sop installation, point it at an inventory with a firewall."""
    inventory = tmp_path / "grant-inventory"
    inventory.mkdir()
    (inventory / "hosts.yml").write_text(UNREACHABLE_FIREWALL)
    (inventory / "services.yml").write_text("services: []\n")
    point_inventory(str(inventory))
    monkeypatch.delenv(policy.MAX_DURATION_ENV, raising=False)
    return sop_env


def _insert(ctx, status: str, starts_at: datetime, ends_at: datetime) -> int:  # type: ignore[no-untyped-def]
    """Given a context, record a grant as if sop had opened (or scheduled) it; return its id."""
    with ctx.session() as session:
        grant = FirewallGrant(
            user="andi",
            source="10.77.2.10",
            target="srv1",
            destination="10.77.1.11",
            port=22,
            protocol="tcp",
            firewall="gw",
            backend="nftables",
            reason="uji",
            petugas="budi",
            status=status,
            created_at=starts_at,
            starts_at=starts_at,
            ends_at=ends_at,
            opened_at=starts_at if status == "open" else None,
            extensions=0,
        )
        session.add(grant)
        session.flush()
        return int(grant.id)


def _written(ctx) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    with ctx.session() as session:
        return (
            session.scalar(select(func.count()).select_from(AuditEntry)) or 0,
            session.scalar(select(func.count()).select_from(Request)) or 0,
            session.scalar(select(func.count()).select_from(GrantEvent)) or 0,
        )


def test_extending_an_open_grant_never_passes_the_cap_counted_from_its_start(grant_env) -> None:  # type: ignore[no-untyped-def]
    """Repeated small extensions used to keep a grant open past 8 h: each was measured
    from 'now'.  The cap holds for the grant's whole life from its start."""
    ctx = grant_env.ctx()
    now = datetime.now(UTC)
    gid = _insert(ctx, "open", now - timedelta(hours=7, minutes=50), now + timedelta(minutes=5))
    before = _written(ctx)
    with pytest.raises(SopError, match=r"--by: .*melewati 8h seluruhnya sejak awalnya") as refused:
        service.extend_grant(ctx, gid, "30m", "budi")
    assert "\n" not in str(refused.value)
    assert "buka izin baru" in str(refused.value)
    assert _written(ctx) == before, "a refused extension wrote something"


def test_a_scheduled_grant_is_capped_from_its_scheduled_start(grant_env) -> None:  # type: ignore[no-untyped-def]
    ctx = grant_env.ctx()
    start = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)
    gid = _insert(ctx, "scheduled", start, start + timedelta(hours=7))
    assert service.extend_grant(ctx, gid, "1h", "budi").extensions == 1  # exactly 8 h: allowed
    with pytest.raises(SopError, match="seluruhnya sejak awalnya"):
        service.extend_grant(ctx, gid, "1s", "budi")


def test_a_grant_whose_end_came_before_the_firewall_is_failed_and_the_firewall_untouched(
    grant_env,  # type: ignore[no-untyped-def]
) -> None:
    """Its end was past when sop was about to change the firewall: no request, no playbook,
    status failed with the reason, instead of 'open ... 0s left'."""
    ctx = grant_env.ctx()
    start = (datetime.now(UTC) - timedelta(seconds=30)).isoformat()
    wish = policy.GrantWish("andi", "10.77.2.10", "srv1", 22, "tcp", start, "20s", "uji")
    with pytest.raises(service.GrantFailed, match="tiba sebelum izin mencapai firewall") as failed:
        service.open_grant(ctx, wish, "budi")
    assert "\n" not in str(failed.value)
    with ctx.session() as session:
        grant = session.scalars(select(FirewallGrant)).one()
        assert grant.status == "failed" and grant.request_id is None
        assert session.scalars(select(Request)).all() == [], "a request for the firewall was made"
        events = session.scalars(select(GrantEvent).order_by(GrantEvent.id)).all()
        assert [e.event for e in events] == ["requested", "failed"]
        # Recorded as its reason's key and values (said in the reader's language when
        # shown) beside the English text, the same in every language.
        assert "came before it reached the firewall" in events[1].detail["error"]
        assert events[1].detail["why"]["key"] == "late"


def test_a_scheduled_grant_whose_end_passed_unopened_is_recorded_failed(grant_env) -> None:  # type: ignore[no-untyped-def]
    """It never reached the firewall (reconcile did not run in its window): failed, not
    'scheduled' for ever and not 'opened' later."""
    ctx = grant_env.ctx()
    now = datetime.now(UTC)
    gid = _insert(ctx, "scheduled", now - timedelta(minutes=10), now - timedelta(minutes=5))
    with ctx.session() as session:
        ledger.settle_expired(session, now)
    with ctx.session() as session:
        grant = session.get(FirewallGrant, gid)
        assert grant is not None and grant.status == "failed"
        assert grant.opened_at is None


def test_why_a_grant_failed_is_said_in_the_language_of_whoever_lists_it(
    sqlite_sop_env,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The reason is recorded once, as a key (issue 17): `sop grant list --all` says it in
    Indonesian by default, and the same record in English on request (one store is
    enough: the words do not depend on it)."""
    ctx = sqlite_sop_env.ctx()
    now = datetime.now(UTC)
    gid = _insert(ctx, "scheduled", now - timedelta(minutes=10), now - timedelta(minutes=5))
    with ctx.session() as session:
        ledger.settle_expired(session, now)
    listed = sqlite_sop_env.sop("grant", "list", "--all")
    assert listed.returncode == 0, listed.stderr
    assert (
        f"izin {gid} gagal: masa berakhirnya tiba sebelum izin mencapai firewall: tidak ada "
        "`sop grant reconcile` yang membukanya antara awal dan akhirnya"
    ) in listed.stdout, listed.stdout
    monkeypatch.setattr(i18n, "_chosen", "en")
    assert service.failures(ctx, [gid]) == {
        gid: "its end came before it reached the firewall: no `sop grant reconcile` opened it "
        "between its start and its end"
    }


HUGE = "99999999999999999999h"


@pytest.mark.parametrize(
    ("args", "environ", "words"),
    [
        (["open", "--duration", HUGE], {}, ("--duration", "yang diizinkan: paling lama 8h")),
        (["open", "--duration", "99999999999999999999"], {}, ("--duration", "paling lama 8h")),
        (["open", "--start", "9999-12-31T23:00:00+00:00"], {}, ("--start",)),
        (["open", "--start", "0001-01-01T00:00:00+07:00"], {}, ("--start",)),
        (["open"], {policy.MAX_DURATION_ENV: HUGE}, (policy.MAX_DURATION_ENV,)),
        (["extend", "1", "--by", HUGE], {}, ("--by", "yang diizinkan: paling lama 8h")),
        (["extend", "99999999999999999999999", "--by", "1m"], {}, ("grant",)),
        (["revoke", "99999999999999999999999", "--reason", "x"], {}, ("grant",)),
    ],
)
def test_huge_numbers_are_one_clear_line(grant_env, monkeypatch, args, environ, words) -> None:  # type: ignore[no-untyped-def]
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    if args[0] == "open":
        base = {
            "--user": "andi",
            "--source": "10.77.2.10",
            "--target": "srv1",
            "--port": "22",
            "--reason": "uji",
        }
        for i in range(1, len(args), 2):
            base[args[i]] = args[i + 1]
        args = ["open", *[x for pair in base.items() for x in pair]]
    before = _written(grant_env.ctx())
    result = grant_env.sop("grant", *args, operator="budi")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    assert _written(grant_env.ctx()) == before


# ------------------------------------------------------------------ one way (issue 13)
#
# Every change of a grant is a 2.4 request made with new_request and carried out by
# execution.run_step (a Run and StepRecord like `sop run`), and one writer applies the
# firewall's answer to the grant records for `sop grant` and `sop run` alike.


def test_a_grant_change_is_a_run_step_recorded_like_sop_run(grant_env) -> None:  # type: ignore[no-untyped-def]
    """`sop grant open` used to run the playbook beside the run loop: no Run, no
    StepRecord.  Now its request runs step 2 through execution.run_step; a firewall that
    cannot be reached fails that step (recorded) and the grant (recorded)."""
    ctx = grant_env.ctx()
    with pytest.raises(service.GrantFailed, match="firewall tidak menerimanya") as failed:
        service.open_grant(ctx, grant_wish(), "budi")
    assert "\n" not in str(failed.value)
    with ctx.session() as session:
        grant = session.scalars(select(FirewallGrant)).one()
        request = session.scalars(select(Request)).one()
        assert (grant.status, grant.request_id) == ("failed", request.id)
        assert (request.procedure_id, request.targets) == ("2.4", ["gw"])
        assert request.params["grant_ends_at"] == policy.epoch_seconds(grant.ends_at)
        run = session.scalars(select(Run).where(Run.request_id == request.id)).one()
        assert (run.operator, run.status) == ("budi", "failed")
        step = session.scalars(select(StepRecord).where(StepRecord.run_id == run.id)).one()
        assert (step.step_number, step.status) == (policy.GRANT_STEP, "failed")
        assert step.data["playbook"] == "remote_access_grant.yml"
        events = session.scalars(select(GrantEvent).order_by(GrantEvent.id)).all()
        assert [e.event for e in events] == ["requested", "failed"]
        assert events[1].detail["action"] == "open"
        assert events[1].detail["request"] == request.id
        contents = session.scalars(select(AuditEntry.content).order_by(AuditEntry.seq)).all()
    actions = [json.loads(c)["action"] for c in contents]
    assert "request.created" in actions and "run.started" in actions
    assert "step.failed" in actions and "grant.failed" in actions


def test_open_refuses_what_the_parameter_schema_refuses_and_writes_nothing(grant_env) -> None:  # type: ignore[no-untyped-def]
    """The wish is held against the 2.4 parameter schema before anything is written (it
    used to be recorded and sent to the firewall)."""
    ctx = grant_env.ctx()
    before = _written(ctx)
    with pytest.raises(SopError, match=r"^--user: .*paling banyak 100 karakter"):
        service.open_grant(ctx, grant_wish(user="a" * 101), "budi")
    assert _written(ctx) == before


def _request(ctx: Context, params: dict[str, Any], reason: str = "uji") -> tuple[int, int]:
    """Given a 2.4 request's parameters, make it and a Run of it; return their ids."""
    request = new_request(ctx, "2.4", ["gw"], params, reason, "budi")
    with ctx.session() as session:
        run = Run(request_id=request.id, operator="dewi", status="running", started_at=ledger.now())
        session.add(run)
        session.flush()
        return request.id, run.id


def _answer(port: int = 22) -> dict[str, Any]:
    """Return what remote_access_grant.yml hands back for gw (set_stats)."""
    grant = {"source": "10.77.2.10", "destination": "10.77.1.11", "protocol": "tcp"}
    return {"gw": {"changed": True, "grants": [{**grant, "port": port, "seconds_left": 600}]}}


def _params(state: str, ends: datetime, port: int = 22) -> dict[str, Any]:
    return policy.request_params(state, "andi", "10.77.2.10", "srv1", port, "tcp", ends)


def test_one_writer_applies_the_firewall_answer_for_sop_grant_and_sop_run(grant_env) -> None:  # type: ignore[no-untyped-def]
    """The recorder of remote_access_grant.yml is the one place the firewall's answer
    reaches the grant records: the grant `sop grant` asked for is opened, extended and
    closed in place (it used to write its own row beside the service's, or nothing), and
    a request of `sop request 2.4` gets a grant of its own."""
    ctx = grant_env.ctx()
    now = ledger.now().replace(microsecond=0)
    ends = now + timedelta(minutes=10)
    gid = _insert(ctx, "opening", now, ends)
    # sop grant open: the service links its request to the grant; the recorder opens it.
    rid, run_id = _request(ctx, _params("present", ends))
    with ctx.session() as session:
        ledger.requested(session, session.get(FirewallGrant, gid), rid, "open", {})
    with ctx.session() as session:
        assert recorders.record_from_run(session, run_id, _answer()) == 1
    # sop grant extend
    later = ends + timedelta(minutes=30)
    rid2, run2 = _request(ctx, _params("present", later))
    with ctx.session() as session:
        ledger.requested(session, session.get(FirewallGrant, gid), rid2, "extend", {"by": "30m"})
    with ctx.session() as session:
        assert recorders.record_from_run(session, run2, _answer()) == 1
    with ctx.session() as session:
        grant = session.get(FirewallGrant, gid)
        assert grant is not None
        assert (grant.status, grant.request_id, grant.extensions) == ("open", rid, 1)
        assert grant.ends_at == later
        entry = session.get(RemoteAccessLogEntry, grant.log_entry_id)
        assert entry is not None and entry.ends_at == later and entry.closed_at is None
        assert session.scalar(select(func.count()).select_from(FirewallGrant)) == 1
        events = session.scalars(select(GrantEvent).order_by(GrantEvent.id)).all()
        assert [e.event for e in events] == ["opened", "extended"]
        assert events[0].detail["request"] == rid and events[0].detail["run"] == run_id
        assert events[1].detail["by"] == "30m" and events[1].detail["request"] == rid2
    # sop request 2.4 + sop run, another port: a grant of its own, opened by the recorder
    rid3, run3 = _request(ctx, _params("present", ends, port=2222))
    with ctx.session() as session:
        assert recorders.record_from_run(session, run3, _answer(2222)) == 1
    # sop request 2.4 grant_state=absent + sop run: the grants it names are closed
    _, run4 = _request(ctx, _params("absent", ends, port=2222))
    with ctx.session() as session:
        assert recorders.record_from_run(session, run4, _answer(2222)) == 1
    with ctx.session() as session:
        other = session.scalars(select(FirewallGrant).where(FirewallGrant.port == 2222)).one()
        assert (other.request_id, other.destination, other.petugas) == (rid3, "10.77.1.11", "budi")
        assert (other.status, other.closed_by) == ("closed", "revoke")
        assert session.get(FirewallGrant, gid).status == "open"  # type: ignore[union-attr]


def test_open_grants_on_a_host_is_asked_through_the_api(grant_env) -> None:  # type: ignore[no-untyped-def]
    """Dismantle asks "open grants on host X?" through grants.api, not the tables."""
    ctx = grant_env.ctx()
    now = ledger.now().replace(microsecond=0)
    gid = _insert(ctx, "open", now, now + timedelta(minutes=10))
    closed = _insert(ctx, "open", now, now + timedelta(minutes=20))
    with ctx.session() as session:
        for grant_id in (gid, closed):
            ledger.log_entry(session, session.get(FirewallGrant, grant_id))  # type: ignore[arg-type]
        ledger.close(session, session.get(FirewallGrant, closed), now, "revoke", "budi")  # type: ignore[arg-type]
    with ctx.session() as session:
        assert api.open_grants_on(session, "srv1") == [
            {"user": "andi", "port": 22, "ends_at": (now + timedelta(minutes=10)).isoformat()}
        ]
        assert api.open_grants_on(session, "srv2") == []
