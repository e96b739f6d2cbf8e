"""Verifying the audit trail against its witness, its signatures and the store's rows.

One pass over the chain (``audit.verify`` with a visitor) gathers what the
three checks need; the checks themselves are pure functions of what was
gathered, so tests build chains in memory, tamper, and expect the finding:

- checkpoints: the witness's signed checkpoints against the chain — a chain
  shorter than a checkpoint lost its tail; a chain whose entry at a
  checkpoint's size has another hash was rewritten, between the last
  checkpoint that still agrees and the first that does not; when every
  checkpoint disagrees the chain was recomputed as a whole;
- signatures: every entry that carries a signature block verifies against
  the key the registry gave its signer, and follows the head it signed;
  entries of the kinds a person signs that carry none are named;
- rows: every request, approval, run and step record has its audit entry and
  every such entry its row.

A witness that cannot be reached, or holds nothing for this store, leaves the
verdict "cannot verify", never "intact".
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, text

from sop_runner import audit
from sop_runner.audit import GENESIS, Finding, Row
from sop_runner.i18n import _
from sop_runner.trust import fingerprint
from sop_runner.trust.actions import SignedAction, verify_action
from sop_runner.trust.registry import Registry, history
from sop_runner.trust.trustfile import TrustRoot
from sop_runner.trust.witness import (
    Checkpoint,
    KnownKeys,
    WitnessUnavailable,
    checkpoint_problem,
    fetch,
)

# Actions a person takes and signs (issue 14); a human step's confirmation too.
SIGNED_ACTIONS = frozenset(
    {"request.created", "approval.approve", "approval.reject", "run.started", "run.resumed"}
)
_RUN_STEP = re.compile(r"run/(\d+)/step/(\d+)")
_ACTION_PREFIX = '{"action":"'  # canonical JSON sorts keys: "action" always comes first


def _subject(content: str) -> str:
    """Given an entry's canonical content, return its subject without parsing the JSON.

    The top-level subject is the last ``"subject":"`` key: only "time" follows it,
    and a subject of ours holds no quote (one that does is read short and ignored).
    """
    start = content.rfind(',"subject":"')
    if start < 0:
        return ""
    start += len(',"subject":"')
    return content[start : content.find('"', start)]


def is_signed_kind(action: str, data: Mapping[str, Any]) -> bool:
    """Given an entry's action and data, return whether a person's signature belongs on it."""
    return action in SIGNED_ACTIONS or (action.startswith("step.") and data.get("kind") == "human")


def known_keys(registries: Sequence[Registry]) -> dict[str, tuple[str, str]]:
    """Given every registry version, return fingerprint -> (name, base64 key).

    Every version counts: a checkpoint signed before a key was revoked still
    verifies against the key its signer held then.
    """
    return {
        fingerprint(op.public_key): (op.name, op.public_key)
        for registry in registries
        for op in registry.operators
    }


@dataclass
class Gathered:
    """What one pass over the chain collected for the checks."""

    last_seq: int = 0
    hash_at: dict[int, str] = field(default_factory=dict)
    requests: dict[int, int] = field(default_factory=dict)  # request id -> entry
    approvals: dict[int, int] = field(default_factory=dict)  # approval id -> entry
    runs: dict[int, int] = field(default_factory=dict)  # run id -> entry
    steps: dict[tuple[int, int, str], list[int]] = field(default_factory=dict)
    duplicates: list[Finding] = field(default_factory=list)
    signatures: list[Finding] = field(default_factory=list)


class Gatherer:
    """A visitor of the chain's rows: collects hashes at checkpoint sizes, row references,
    and checks the signature of every entry that carries one."""

    def __init__(
        self, sizes: Iterable[int], registries: Sequence[Registry], require_signatures: bool
    ) -> None:
        self.sizes = set(sizes)
        self.registries = registries
        self.require = require_signatures
        self.out = Gathered()

    def __call__(self, row: Row) -> None:
        out = self.out
        out.last_seq = row.seq
        if row.seq in self.sizes:
            out.hash_at[row.seq] = row.entry_hash
        content = row.content
        # Parsing JSON costs as much as the hash: only entries that carry a signature, need
        # their data, or must be named unsigned are parsed; the rest is read as text.
        if content.startswith(_ACTION_PREFIX) and '"signed":{' not in content:
            action = content[len(_ACTION_PREFIX) : content.find('"', len(_ACTION_PREFIX))]
            if action.startswith("approval."):
                pass  # the approval's id is in its data
            elif action.startswith("step."):
                if not (self.require and '"kind":"human"' in content):
                    self._reference(row.seq, action, _subject(content), {})
                    return
            elif action in SIGNED_ACTIONS:
                if not self.require:
                    self._reference(row.seq, action, _subject(content), {})
                    return
            elif action != "gate.passed":  # a gate's pass may record a plain play's run
                return
        try:
            entry = json.loads(content)
            action = str(entry["action"])
            data = entry.get("data") or {}
        except (ValueError, KeyError, TypeError, AttributeError):
            return  # the chain check names an entry that is not what sop writes
        self._reference(row.seq, action, str(entry.get("subject", "")), data)
        if "signed" in entry:
            problem = self._signature_problem(entry, row)
            if problem is not None:
                out.signatures.append(
                    Finding(row.seq, "bad-signature", f"entry {row.seq} ({action}): {problem}")
                )
        elif self.require and is_signed_kind(action, data):
            out.signatures.append(
                Finding(
                    row.seq,
                    "unsigned",
                    f"entry {row.seq} ({action} {entry.get('subject', '')} by "
                    f"{entry.get('actor', '?')}) carries no signature; actions of this kind "
                    "are signed by the person who takes them",
                )
            )

    def _reference(self, seq: int, action: str, subject: str, data: Mapping[str, Any]) -> None:
        out = self.out
        target: dict[int, int] | None = None
        ident: Any = None
        if action == "request.created" and subject.startswith("request/"):
            target, ident = out.requests, subject.removeprefix("request/")
        elif action in ("approval.approve", "approval.reject"):
            target, ident = out.approvals, data.get("approval")
        elif action == "run.started" and subject.startswith("run/"):
            target, ident = out.runs, subject.removeprefix("run/")
        elif action == "gate.passed" and data.get("outside_run") is not None:
            # A plain ansible-playbook (or AWX) play's run, claimed by the gate itself.
            target, ident = out.runs, data.get("outside_run")
        elif action.startswith("step.") and (match := _RUN_STEP.fullmatch(subject)):
            key = (int(match[1]), int(match[2]), action.removeprefix("step."))
            out.steps.setdefault(key, []).append(seq)
            return
        if target is None:
            return
        try:
            number = int(ident)
        except (TypeError, ValueError):
            return
        if number in target:
            out.duplicates.append(
                Finding(
                    seq,
                    "duplicate",
                    f"entry {seq} ({action}) records {action.split('.')[0]} {number} again "
                    f"(first at entry {target[number]})",
                )
            )
        else:
            target[number] = seq

    def _signature_problem(self, entry: Mapping[str, Any], row: Row) -> str | None:
        block = entry["signed"]
        if not isinstance(block, dict) or sorted(block) != list(audit.SIGNATURE_KEYS):
            return f"its signature block is not {{{', '.join(audit.SIGNATURE_KEYS)}}}"
        if block["audit_head"] != row.prev_hash:
            return "its signature covers another audit head than the entry it follows"
        try:
            payload = json.loads(audit.signed_payload(entry))
        except KeyError as missing:
            return f"the entry lacks {missing} that its signature covers"
        signed = SignedAction(payload, str(block["signature"]))
        problems = verify_action(signed, self.registries)
        return "; ".join(problems) if problems else None


def compare_checkpoints(
    gathered: Gathered, checkpoints: list[Checkpoint], keys: KnownKeys
) -> tuple[list[Finding], Checkpoint | None]:
    """Given what the pass gathered and the witness's checkpoints, return the findings
    and the newest checkpoint the chain agrees with (its anchor)."""
    findings: list[Finding] = []
    valid: list[Checkpoint] = []
    for cp in checkpoints:
        problem = checkpoint_problem(cp, keys)
        if problem is None:
            valid.append(cp)
        else:
            findings.append(
                Finding(cp.size, "bad-checkpoint", f"{cp.describe()} on the witness: {problem}")
            )
    last = gathered.last_seq
    agree: list[Checkpoint] = []
    differ: list[Checkpoint] = []
    beyond: list[Checkpoint] = []
    for cp in valid:
        if cp.size > last:
            beyond.append(cp)
        elif (GENESIS if cp.size == 0 else gathered.hash_at.get(cp.size)) == cp.head_hash:
            agree.append(cp)
        else:
            differ.append(cp)
    if beyond:
        cp = max(beyond, key=lambda c: c.size)
        findings.append(
            Finding(
                last + 1,
                "truncated",
                f"the chain ends at entry {last} but {cp.describe()} on the witness records "
                f"{cp.size}: entries {last + 1}..{cp.size} were deleted",
            )
        )
    if differ:
        first = min(differ, key=lambda c: c.size)
        if not agree:
            findings.append(
                Finding(
                    1,
                    "recomputed",
                    f"every checkpoint on the witness ({len(differ)}) disagrees with the chain: "
                    f"the whole chain was recomputed; already entry {first.size} differs from "
                    f"{first.describe()}",
                )
            )
        else:
            below = [c.size for c in agree if c.size < first.size]
            good = max(below, default=0)
            findings.append(
                Finding(
                    good + 1,
                    "rewritten",
                    f"entries {good + 1}..{first.size} were changed, deleted or inserted and the "
                    f"chain recomputed: entry {first.size} differs from {first.describe()}, while "
                    f"entry {good} still agrees with the witness",
                )
            )
    anchor = max(agree, key=lambda c: c.size, default=None)
    return findings, anchor


def cross_check(gathered: Gathered, rows: Mapping[str, Any]) -> list[Finding]:
    """Given what the pass gathered and the store's row ids, return every mismatch.

    ``rows`` holds ``requests``, ``approvals``, ``runs`` (sets of ids) and
    ``steps`` (a Counter of (run id, step number, status)).
    """
    findings: list[Finding] = []
    for kind, entries, action in (
        ("request", gathered.requests, "request.created"),
        ("approval", gathered.approvals, "approval.approve|reject"),
        ("run", gathered.runs, "run.started"),
    ):
        ids: set[int] = rows[f"{kind}s"]
        for number in sorted(ids - set(entries)):
            findings.append(
                Finding(
                    0,
                    "unrecorded",
                    f"{kind} {number} has no audit entry ({action}): the row was added "
                    "without the trail, or its entry was deleted",
                )
            )
        for number in sorted(set(entries) - ids):
            seq = entries[number]
            findings.append(
                Finding(
                    seq,
                    "row-missing",
                    f"entry {seq} ({action}) records {kind} {number}, which the store no "
                    "longer has: the row was deleted",
                )
            )
    counted: Counter[tuple[int, int, str]] = rows["steps"]
    for key in sorted(set(counted) | set(gathered.steps)):
        run, step, status = key
        in_rows, in_trail = counted.get(key, 0), len(gathered.steps.get(key, []))
        if in_rows != in_trail:
            seqs = gathered.steps.get(key, [])
            where = f"entries {', '.join(map(str, seqs[:5]))}" if seqs else "no entry"
            findings.append(
                Finding(
                    seqs[0] if seqs else 0,
                    "step-mismatch",
                    f"run {run} step {step} ({status}): {in_rows} step record(s) but "
                    f"{in_trail} audit entr{'y' if in_trail == 1 else 'ies'} ({where})",
                )
            )
    return findings + gathered.duplicates


def store_rows(engine: Engine) -> dict[str, Any]:
    """Given the store, return the ids the cross-check compares with the trail."""
    with engine.connect() as conn:
        ids = {
            name: set(conn.execute(text(f"SELECT id FROM {name}")).scalars())
            for name in ("requests", "approvals", "runs")
        }
        steps = Counter(
            {
                (int(run), int(step), str(status)): int(count)
                for run, step, status, count in conn.execute(
                    text(
                        "SELECT run_id, step_number, status, COUNT(*) FROM step_records "
                        "GROUP BY run_id, step_number, status"
                    )
                )
            }
        )
    return {**ids, "steps": steps}


@dataclass
class Verdict:
    """The outcome of `sop audit verify`: intact only when nothing was found and the
    witness (when the trust root names one) was read and agrees."""

    entries: int
    findings: list[Finding]
    unavailable: str | None = None  # why the chain could not be checked against a witness
    anchor: Checkpoint | None = None
    witnessed: bool = False

    @property
    def intact(self) -> bool:
        return not self.findings and self.unavailable is None

    def lines(self, limit: int = 20) -> list[str]:
        """Given the verdict, return what `sop audit verify` prints, one per line, in the
        person's language (sop_runner/i18n.py).  A finding's kind (``truncated``,
        ``bad-signature`` …) and the entry numbers stay as written, for scripts and logs."""
        out = []
        for finding in self.findings[:limit]:
            broken = (
                _("audit chain BROKEN at entry {seq}: {kind}: {message}")
                if finding.seq
                else _("audit chain BROKEN: {kind}: {message}")
            )
            out.append(broken.format(seq=finding.seq, kind=finding.kind, message=finding.message))
        if len(self.findings) > limit:
            more = len(self.findings) - limit
            out.append(_("... and {count} more finding(s)").format(count=more))
        if self.unavailable is not None:
            out.append(_("audit chain cannot be verified: {why}").format(why=self.unavailable))
        if self.intact:
            line = _("audit chain intact: {count} entries").format(count=self.entries)
            if self.anchor is not None:
                line += _("; witnessed up to entry {size} ({time}, {signer})").format(
                    size=self.anchor.size, time=self.anchor.time, signer=self.anchor.signer
                )
                if self.entries > self.anchor.size:
                    line += _("; entries {first}..{last} not yet witnessed").format(
                        first=self.anchor.size + 1, last=self.entries
                    )
            elif not self.witnessed:
                line += _(
                    "; not anchored: no witness is named in the trust file, so a cut tail or "
                    "a recomputed chain cannot be seen (docs/audit-trail.md)"
                )
            out.append(line)
        return out


def verify_store(
    engine: Engine,
    *,
    checkpoints: list[Checkpoint] | None = None,
    registries: Sequence[Registry] = (),
    require_signatures: bool = False,
    unavailable: str | None = None,
) -> Verdict:
    """Given the store and what the witness holds, return the verdict of every check.

    ``checkpoints`` None means no witness is consulted (no trust root yet);
    ``unavailable`` says why a configured witness could not be read.  The
    chain's own check comes first, then the witness, signatures and rows.
    """
    sizes = [cp.size for cp in checkpoints or []]
    gatherer = Gatherer(sizes, registries, require_signatures)
    count, chain_finding = audit.verify(engine, gatherer)
    gathered = gatherer.out
    findings = [chain_finding] if chain_finding is not None else []
    anchor = None
    if checkpoints is not None and unavailable is None:
        found, anchor = compare_checkpoints(gathered, checkpoints, known_keys(registries))
        findings += found
        if anchor is None and not found and count:
            unavailable = _(
                "the witness holds no checkpoint of this store yet; publish one "
                "(`sop audit checkpoint`) before the trail can be verified"
            )
    findings += gathered.signatures
    findings += cross_check(gathered, store_rows(engine))
    return Verdict(count, findings, unavailable, anchor, witnessed=checkpoints is not None)


def verify_with_trust(engine: Engine, trust: TrustRoot) -> Verdict:
    """Given the store and the trust root, return the verdict with the witness consulted.

    Signatures are required on the kinds a person signs; the registry's every
    version gives the keys.  A witness that cannot be read makes the verdict
    "cannot verify".  Raise SopError if the registry itself does not verify.
    """
    registries = history(trust)
    if trust.witness_ssh is None and trust.witness_syslog is None:
        # Root chose a trust root without a witness to read back: the chain, the
        # signatures and the rows are checked, and the verdict says it is unanchored.
        return verify_store(engine, registries=registries, require_signatures=True)
    try:
        checkpoints: list[Checkpoint] = fetch(trust)
        unavailable = None
    except WitnessUnavailable as exc:
        checkpoints, unavailable = [], str(exc)
    return verify_store(
        engine,
        checkpoints=checkpoints,
        registries=registries,
        require_signatures=True,
        unavailable=unavailable,
    )
