"""The anchored audit trail: what the witness, the signatures and the rows reveal.

Chains are built in a SQLite store, tampered with as the store's owner would
(triggers lifted, rows rewritten, hashes recomputed, the head fixed), and
verified against the checkpoints a witness would hold.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from sop_runner import audit, i18n, keys
from sop_runner.requests import create_request
from sop_runner.store import session_scope
from sop_runner.store.models import Approval, Request, Run, StepRecord
from sop_runner.trust.actions import SignedAction, verify_action
from sop_runner.trust.anchor import Verdict, verify_store
from sop_runner.trust.witness import make_checkpoint
from tests.support.trail import LOG, Trail, make_trail
from tests.support.trust import acting


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests name what is refused in the messages' own words (English); that the
    default is Indonesian is tested in test_trust_words.py."""
    monkeypatch.setattr(i18n, "_chosen", "en")


@pytest.fixture
def trail(tmp_path) -> Trail:
    return make_trail(tmp_path)


def _budi(trail: Trail):
    return acting(trail.registry, trail.key_dir, "budi")


def _verify(trail: Trail, **kwargs) -> Verdict:
    kwargs.setdefault("checkpoints", trail.checkpoints)
    return verify_store(trail.engine, registries=[trail.registry], **kwargs)


def _kinds(verdict: Verdict) -> list[str]:
    return [f.kind for f in verdict.findings]


# --- the witness: truncation, deletion, rewrites ------------------------------------------


def test_witnessed_chain_is_intact(trail):
    trail.append(6)
    trail.checkpoint()
    verdict = _verify(trail)
    assert verdict.intact and verdict.anchor is not None and verdict.anchor.size == 6
    assert verdict.lines() == [
        f"audit chain intact: 6 entries; witnessed up to entry 6 ({verdict.anchor.time}, budi)"
    ]


def test_entries_newer_than_the_last_checkpoint_are_named(trail):
    trail.append(4)
    trail.checkpoint()
    trail.append(2)
    verdict = _verify(trail)
    assert verdict.intact
    assert "entries 5..6 not yet witnessed" in verdict.lines()[0]


def test_cut_tail_with_head_fixed_is_found_by_the_witness(trail):
    trail.append(10)
    trail.checkpoint()
    trail.tamper("DELETE FROM audit_entries WHERE seq >= 8")
    trail.fix_head()
    # The chain alone cannot tell: this is why the witness exists.
    assert audit.verify(trail.engine) == (7, None)
    verdict = _verify(trail)
    assert _kinds(verdict) == ["truncated"]
    finding = verdict.findings[0]
    assert finding.seq == 8 and "entries 8..10 were deleted" in finding.message
    assert "budi" in finding.message and not verdict.intact


def test_cut_tail_without_head_fixed_is_found_twice(trail):
    trail.append(10)
    trail.checkpoint()
    trail.tamper("DELETE FROM audit_entries WHERE seq >= 9")
    verdict = _verify(trail)
    assert _kinds(verdict) == ["deleted", "truncated"]
    assert verdict.lines()[0].startswith("audit chain BROKEN at entry 9: deleted:")


def test_newest_request_deleted_with_its_entries_is_found(trail):
    with session_scope(trail.url) as session:
        for n in (1, 2):
            create_request(session, _budi(trail), "6.1", ["srv1"], {"n": n}, "alasan")
    trail.checkpoint()
    with trail.engine.connect() as conn:
        first = conn.execute(
            text("SELECT MIN(seq) FROM audit_entries WHERE content LIKE '%request/2%'")
        ).scalar()
    trail.tamper("DELETE FROM audit_entries WHERE seq >= :s", s=first)
    trail.tamper("DELETE FROM requests WHERE id = 2")
    trail.fix_head()
    verdict = _verify(trail)
    # The rows agree with what is left of the trail; only the witness knows.
    assert _kinds(verdict) == ["truncated"]
    assert f"entries {first}..2 were deleted" in verdict.findings[0].message


def test_wholesale_recomputed_chain_disagrees_with_every_checkpoint(trail):
    for _ in range(3):
        trail.append(3)
        trail.checkpoint()
    trail.tamper(
        "UPDATE audit_entries SET content = REPLACE(content, 'budi', 'sari') WHERE seq = 2"
    )
    trail.recompute(1)
    assert audit.verify(trail.engine) == (9, None)
    verdict = _verify(trail)
    assert _kinds(verdict) == ["recomputed"]
    message = verdict.findings[0].message
    assert "every checkpoint on the witness (3) disagrees" in message
    assert "entry 3 differs" in message


def test_rewrite_after_a_checkpoint_is_bounded_by_the_checkpoints(trail):
    for _ in range(3):
        trail.append(3)
        trail.checkpoint()
    trail.tamper("DELETE FROM audit_entries WHERE seq = 8")
    trail.tamper("UPDATE audit_entries SET seq = 8 WHERE seq = 9")
    trail.recompute(8)
    trail.append(1)  # work goes on, the chain is as long as the witness says again
    verdict = _verify(trail)
    assert _kinds(verdict) == ["rewritten"]
    rewritten = verdict.findings[0]
    assert rewritten.seq == 7 and "entries 7..9" in rewritten.message
    assert "entry 6 still agrees" in rewritten.message


def test_checkpoint_not_signed_by_a_registry_key_is_named(trail, tmp_path):
    trail.append(3)
    good = trail.checkpoint()
    outsider = keys.init_key(tmp_path / "outsider", "budi")
    del outsider
    forged = make_checkpoint(
        LOG, 3, good.head_hash, "budi", keys.load_key(tmp_path / "outsider", "budi")
    )
    tampered = replace(good, size=2)  # the signature no longer covers it
    trail.checkpoints += [forged, tampered]
    verdict = _verify(trail)
    assert _kinds(verdict) == ["bad-checkpoint", "bad-checkpoint"]
    assert "which no registry version holds" in verdict.findings[0].message
    assert "does not verify" in verdict.findings[1].message


def test_unreachable_witness_is_never_intact(trail):
    trail.append(3)
    verdict = _verify(
        trail, checkpoints=[], unavailable="witness unreachable: ssh sopwitness@10.0.0.1:22"
    )
    assert not verdict.intact and not verdict.findings
    assert verdict.lines() == [
        "audit chain cannot be verified: witness unreachable: ssh sopwitness@10.0.0.1:22"
    ]


def test_witness_without_a_checkpoint_of_this_store_cannot_vouch(trail):
    trail.append(3)
    verdict = _verify(trail, checkpoints=[])
    assert not verdict.intact
    assert "holds no checkpoint of this store" in verdict.lines()[-1]


def test_without_a_trust_root_the_chain_and_rows_still_verify(trail):
    trail.append(3)
    verdict = verify_store(trail.engine)
    assert verdict.intact and verdict.lines()[0].startswith("audit chain intact: 3 entries")
    assert "not anchored: no witness is named in the trust file" in verdict.lines()[0]


# --- signatures -------------------------------------------------------------------------


def test_signed_entries_verify_and_carry_the_action_signature(trail):
    trail.signed("budi", "request.created", "request/1", {"procedure": "6.1"})
    trail.signed("sari", "approval.approve", "request/1", {"approval": 1})
    with trail.engine.connect() as conn:
        prev, content = conn.execute(
            text("SELECT prev_hash, content FROM audit_entries WHERE seq = 2")
        ).one()
    import json

    entry = json.loads(content)
    assert sorted(entry["signed"]) == list(audit.SIGNATURE_KEYS)
    assert entry["signed"]["audit_head"] == prev
    # The block is the signed action of sop_runner.trust.actions, rebuilt from the entry.
    signed = SignedAction(json.loads(audit.signed_payload(entry)), entry["signed"]["signature"])
    assert verify_action(signed, [trail.registry]) == []
    verdict = _verify(trail, checkpoints=None, require_signatures=True)
    # No signature finding; the rows these entries name were never made here.
    assert _kinds(verdict) == ["row-missing", "row-missing"]


def test_entry_changed_after_signing_is_named_even_when_the_chain_is_recomputed(trail):
    trail.signed("sari", "approval.approve", "request/1", {"approval": 1, "role": "pj"})
    trail.append(2)
    trail.tamper(
        "UPDATE audit_entries SET content = REPLACE(content, '\"pj\"', '\"pimpinan\"') "
        "WHERE seq = 1"
    )
    trail.recompute(1)
    verdict = _verify(trail, checkpoints=None, require_signatures=True)
    bad = [f for f in verdict.findings if f.kind == "bad-signature"]
    assert [f.seq for f in bad] == [1] and "does not verify" in bad[0].message


def test_entry_in_another_name_signed_with_ones_own_key_is_named(trail):
    budi = trail.operator("budi")
    now = datetime.now(UTC)
    from sop_runner.trust.actions import sign_action
    from sop_runner.trust.trail import signature_block

    # budi writes an approval "by sari" and signs it with his own key.
    with session_scope(trail.url) as session:
        audit.append(
            session,
            "sari",
            "approval.approve",
            "request/1",
            {"approval": 1},
            sign=lambda head: {
                **signature_block(
                    sign_action(
                        trail.key_dir,
                        budi,
                        "approval.approve",
                        "request/1",
                        {"approval": 1},
                        head,
                        1,
                        now,
                    )
                )
            },
        )
    verdict = _verify(trail, checkpoints=None, require_signatures=True)
    bad = next(f for f in verdict.findings if f.kind == "bad-signature")
    assert bad.seq == 1 and "not the key of 'sari'" in bad.message


def test_signed_kind_without_a_signature_is_named_when_signatures_are_required(trail):
    trail.append(1)
    trail.append(1, actor="sari", action="approval.approve")
    trail.append(1, actor="budi", action="test.event")
    required = _verify(trail, checkpoints=None, require_signatures=True)
    unsigned = [f for f in required.findings if f.kind == "unsigned"]
    assert [f.seq for f in unsigned] == [2] and "by sari" in unsigned[0].message
    # Before the trust root exists (today's stores), unsigned entries are not findings.
    assert "unsigned" not in _kinds(_verify(trail, checkpoints=None))


def test_signature_over_another_head_is_named(trail):
    trail.signed("budi", "run.started", "run/1", {"request": 1})
    trail.append(1)
    # Moving a signed entry elsewhere in the chain keeps its signature but not its head.
    trail.tamper("UPDATE audit_entries SET seq = 99 WHERE seq = 1")
    trail.tamper("UPDATE audit_entries SET seq = 1 WHERE seq = 2")
    trail.tamper("UPDATE audit_entries SET seq = 2 WHERE seq = 99")
    trail.recompute(1)
    verdict = _verify(trail, checkpoints=None, require_signatures=True)
    bad = next(f for f in verdict.findings if f.kind == "bad-signature")
    assert bad.seq == 2 and "another audit head" in bad.message


# --- rows and entries -------------------------------------------------------------------


def _request_with_run(trail: Trail) -> None:
    with session_scope(trail.url) as session:
        request = create_request(session, _budi(trail), "6.1", ["srv1"], {}, "alasan")
        run = Run(
            request_id=request.id, operator="budi", status="running", started_at=datetime.now(UTC)
        )
        session.add(run)
        session.flush()
        audit.append(session, "budi", "run.started", f"run/{run.id}", {"request": request.id})
        session.add(
            StepRecord(
                run_id=run.id,
                step_number=1,
                kind="human",
                status="done",
                started_at=datetime.now(UTC),
            )
        )
        audit.append(session, "budi", "step.done", f"run/{run.id}/step/1", {"kind": "human"})


def test_rows_and_entries_match_in_a_normal_store(trail):
    _request_with_run(trail)
    assert _verify(trail, checkpoints=None).intact


def test_row_without_its_entry_is_named(trail):
    _request_with_run(trail)
    with session_scope(trail.url) as session:
        session.add(
            Request(
                procedure_id="6.1",
                targets=[],
                params={},
                reason="x",
                requested_by="budi",
                created_at="2026-01-01T00:00:00+00:00",
                status="open",
            )
        )
        session.add(
            Approval(
                request_id=1,
                request_hash="0" * 64,
                step_number=5,
                role="pimpinan",
                signer="ahmad",
                decision="approve",
                signed_at="",
                expires_at="",
                signature="00",
            )
        )
        session.add(
            StepRecord(
                run_id=1, step_number=2, kind="human", status="done", started_at=datetime.now(UTC)
            )
        )
    verdict = _verify(trail, checkpoints=None)
    messages = {f.kind: f.message for f in verdict.findings}
    assert set(messages) == {"unrecorded", "step-mismatch"}
    assert [m for m in (f.message for f in verdict.findings) if "request 2" in m]
    assert [m for m in (f.message for f in verdict.findings) if "approval 1" in m]
    assert "run 1 step 2 (done): 1 step record(s) but 0 audit entries" in messages["step-mismatch"]


def test_entry_whose_row_was_deleted_is_named(trail):
    _request_with_run(trail)
    trail.tamper("DELETE FROM step_records WHERE run_id = 1")
    trail.tamper("DELETE FROM runs WHERE id = 1")
    verdict = _verify(trail, checkpoints=None)
    assert sorted(_kinds(verdict)) == ["row-missing", "step-mismatch"]
    missing = next(f for f in verdict.findings if f.kind == "row-missing")
    assert missing.seq == 2 and "run 1, which the store no longer has" in missing.message
