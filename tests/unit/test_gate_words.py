"""The words of a gate that refuses a run, in the language of the process (issue 17): why the
gate applies ("selalu diperlukan", not "(always)") and why an approval is not valid."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sop_runner import gates, i18n, impact
from sop_runner.errors import AwaitingApproval
from sop_runner.requests import create_request
from sop_runner.store.models import Request


@pytest.fixture
def indonesian(monkeypatch):
    monkeypatch.setattr(i18n, "_chosen", "id")


def _request(env):  # type: ignore[no-untyped-def]
    ctx = env.ctx()
    params = {"cleanup_path": "/var/tmp/app", "max_age_days": 30}
    with ctx.session() as session:
        request = create_request(
            session, ctx.actor("budi"), "6.1", ["ctl1"], params, "disk penuh", _fixed(ctx)
        )
        return ctx, request.id


def _fixed(ctx):  # type: ignore[no-untyped-def]
    procedure = ctx.catalog.get("6.1")
    return gates.fixed_impact(procedure, _impact(ctx), {})


def _impact(ctx):  # type: ignore[no-untyped-def]
    return impact.analyse(ctx.catalog.get("6.1"), ctx.inventory, ["ctl1"])


def _states(ctx, session, request):  # type: ignore[no-untyped-def]
    procedure = ctx.catalog.get("6.1")
    return gates.gate_states(session, request, procedure, _impact(ctx), ctx.trusted)


def test_a_gate_waiting_says_why_in_indonesian(sqlite_sop_env, indonesian):
    ctx, request_id = _request(sqlite_sop_env)
    with ctx.session() as session:
        request = session.get(Request, request_id)
        states = _states(ctx, session, request)
        with pytest.raises(AwaitingApproval) as refused:
            gates.assert_open(states, request, 5)
    line = str(refused.value)
    assert "selalu diperlukan" in line and "(always)" not in line, line
    assert "sop approve" in line and "penanggung_jawab" in line  # the field and what to do


def test_why_an_approval_is_not_valid_is_said_in_indonesian(sqlite_sop_env, indonesian):
    ctx, request_id = _request(sqlite_sop_env)
    with ctx.session() as session:
        request = session.get(Request, request_id)
        approval = gates.sign_approval(request, 5, "penanggung_jawab", ctx.actor("budi"))
        problems = gates.problems_of(approval, request, ctx.trusted, datetime.now(UTC))
    assert any("menyetujui permintaannya sendiri" in p for p in problems), problems
    assert not any("requester" in p for p in problems), problems


def test_english_on_request(sqlite_sop_env, monkeypatch):
    monkeypatch.setattr(i18n, "_chosen", "en")
    ctx, request_id = _request(sqlite_sop_env)
    with ctx.session() as session:
        request = session.get(Request, request_id)
        states = _states(ctx, session, request)
        with pytest.raises(AwaitingApproval, match=r"\(always required\)"):
            gates.assert_open(states, request, 5)
