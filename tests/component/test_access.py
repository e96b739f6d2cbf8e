"""SOP 2.1–2.3, the Buku Log akses (issue 19): each kind of visitor through check-in and
check-out with the document's fields, the authorisation the document asks for, who is
inside and overdue at given clock times (with an extension), and the notice of an
overdue guest read from a real SMTP server."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select

from sop_runner import i18n
from sop_runner.cli.app import main
from sop_runner.config import REPO_ROOT
from sop_runner.errors import SopError
from sop_runner.procedures.access.models import AccessEntry, AccessPermission
from sop_runner.store.models import AuditEntry
from tests.support.smtp import SmtpSink, smtp_sink
from tests.support.sop import SopEnv, ok

KTP = "3328091203850004"
DAY = "2026-11-03"


def sop(
    *args: str,
    operator: str | None = None,
    stdin: str = "",
    now: str | None = None,
    real: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run `sop` with the identity number (if any) on standard input; return its result.

    In this process through the command's own entry point (``main``: its error lines and
    exit codes), for speed; with ``real`` as a subprocess, as a petugas runs it.
    """
    changed = {"SOP_OPERATOR": operator, "SOP_ACCESS_NOW": now}
    if real:
        env = {**os.environ, **{k: v for k, v in changed.items() if v}}
        return subprocess.run(
            [sys.executable, "-m", "sop_runner.cli", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO_ROOT,
            timeout=120,
        )
    saved = {key: os.environ.get(key) for key in changed}
    out, err, code = io.StringIO(), io.StringIO(), 0
    argv, stdin_was, spoken = sys.argv, sys.stdin, i18n._chosen
    try:
        for key, value in changed.items():
            if value:
                os.environ[key] = value
        sys.argv, sys.stdin = ["sop", *args], io.StringIO(stdin)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main()
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        # The process's language and arguments are the test session's again (a --lang en
        # command must not make later tests speak English).
        sys.argv, sys.stdin, i18n._chosen = argv, stdin_was, spoken
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


def valid(schema: str, text: str) -> dict:
    """Given a schema of docs/schemas and a command's JSON output, return it parsed once it
    validates (docs/json.md)."""
    document = json.loads((REPO_ROOT / "docs" / "schemas" / schema).read_text())
    data = json.loads(text)
    errors = sorted(Draft202012Validator(document).iter_errors(data), key=str)
    assert not errors, [e.message for e in errors]
    return data


def entries(env: SopEnv) -> list[AccessEntry]:
    with env.ctx().session() as session:
        rows = list(session.scalars(select(AccessEntry).order_by(AccessEntry.id)).all())
        session.expunge_all()
    return rows


def actions(env: SopEnv) -> list[dict]:
    with env.ctx().session() as session:
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        return [json.loads(r.content) for r in rows]


def vendor_in(*extra: str, operator: str = "budi", at: str = f"{DAY} 09:00", real: bool = False):
    return sop(
        "access",
        "checkin",
        "--kind",
        "vendor",
        "--name",
        "Andi Wijaya",
        "--organisation",
        "PT Sejuk Abadi",
        "--purpose",
        "servis AC presisi",
        "--room",
        "server-farm",
        "--escort",
        "dewi",
        "--id-type",
        "KTP",
        "--rules-acknowledged",
        "--at",
        at,
        *extra,
        operator=operator,
        stdin=KTP + "\n",
        real=real,
    )


def test_a_vendor_with_prior_coordination_goes_in_and_out_with_the_documents_fields(
    sqlite_sop_env: SopEnv,
) -> None:
    # As a petugas runs it: a process of its own, the number on its standard input.
    ok(vendor_in("--coordination", "WA-2026-11-01/Pak Budi", real=True))
    (row,) = entries(sqlite_sop_env)
    assert (row.kind, row.person_name, row.organisation) == (
        "vendor",
        "Andi Wijaya",
        "PT Sejuk Abadi",
    )
    assert row.authorisation == "coordination" and row.coordination_ref == "WA-2026-11-01/Pak Budi"
    assert row.escort == "dewi" and row.rooms == ["server-farm"] and row.recorded_by == "budi"
    assert (row.id_type, row.id_last4) == ("KTP", "0004") and len(row.id_hash) == 64
    assert "dilarang merokok" in row.rules and "dilarang tidur" in row.rules
    assert row.allowed_until - row.time_in == timedelta(hours=8)
    assert row.signed_in["signature"]
    # The door must be confirmed locked and the ID returned: refused, nothing written.
    refused = sop(
        "access",
        "checkout",
        str(row.id),
        "--id-returned",
        "--at",
        f"{DAY} 12:00",
        operator="budi",
        real=True,
    )
    assert refused.returncode == 2 and "--door-locked" in refused.stderr
    assert "Traceback" not in refused.stderr
    refused = sop(
        "access", "checkout", str(row.id), "--door-locked", "--at", f"{DAY} 12:00", operator="budi"
    )
    assert refused.returncode == 2 and "--id-returned" in refused.stderr
    assert entries(sqlite_sop_env)[0].time_out is None
    ok(
        sop(
            "access",
            "checkout",
            str(row.id),
            "--door-locked",
            "--id-returned",
            "--at",
            f"{DAY} 12:00",
            operator="budi",
        )
    )
    (row,) = entries(sqlite_sop_env)
    assert row.time_out is not None and row.id_returned and row.door_locked
    assert row.checked_out_by == "budi" and row.signed_out["signature"]
    signed = [a for a in actions(sqlite_sop_env) if a["action"].startswith("access.")]
    assert [a["action"] for a in signed] == ["access.checked_in", "access.checked_out"]
    assert all(a["signed"]["signature"] for a in signed)
    assert "Andi" not in json.dumps(signed)  # the trail carries a digest, not the name
    ok(sop("audit", "verify"))


def test_a_vendor_with_the_pj_permission_enters_and_the_permission_is_used_once(
    sqlite_sop_env: SopEnv,
) -> None:
    # A petugas cannot sign a permission; the penanggung jawab can.
    denied = sop(
        "access",
        "permit",
        "--kind",
        "vendor",
        "--name",
        "Andi Wijaya",
        "--organisation",
        "PT Sejuk Abadi",
        "--purpose",
        "perbaikan UPS",
        operator="budi",
    )
    assert denied.returncode == 2 and "penanggung_jawab" in denied.stderr
    ok(
        sop(
            "access",
            "permit",
            "--kind",
            "vendor",
            "--name",
            "Andi Wijaya",
            "--organisation",
            "PT Sejuk Abadi",
            "--purpose",
            "perbaikan UPS",
            operator="sari",
            now=f"{DAY} 08:30",
        )
    )
    with sqlite_sop_env.ctx().session() as session:
        permission = session.scalars(select(AccessPermission)).one()
        assert permission.signer == "sari" and permission.signed["signature"]
        permission_id = permission.id
    ok(vendor_in("--permission", str(permission_id)))
    (row,) = entries(sqlite_sop_env)
    assert row.authorisation == "permission" and row.permission_id == permission_id
    again = vendor_in("--permission", str(permission_id), at=f"{DAY} 09:30")
    assert again.returncode == 4 and "sudah dipakai" in again.stderr
    ok(
        sop(
            "access",
            "checkout",
            str(row.id),
            "--door-locked",
            "--id-returned",
            "--at",
            f"{DAY} 11:00",
            operator="dewi",
        )
    )


def test_a_vendor_with_neither_coordination_nor_permission_is_refused_and_nothing_written(
    sqlite_sop_env: SopEnv,
) -> None:
    refused = vendor_in()
    assert refused.returncode == 4, refused.stderr
    assert "tidak mempunyai keduanya" in refused.stderr and "Traceback" not in refused.stderr
    assert entries(sqlite_sop_env) == []
    assert not [a for a in actions(sqlite_sop_env) if a["action"].startswith("access.")]


def test_a_petugas_enters_as_their_registry_identity_for_3_jam(sqlite_sop_env: SopEnv) -> None:
    ok(
        sop(
            "access",
            "checkin",
            "--kind",
            "petugas",
            "--purpose",
            "ganti disk srv2",
            "--room",
            "server-farm",
            "--room",
            "ruang-kendali",
            "--rules-acknowledged",
            "--at",
            f"{DAY} 08:00",
            operator="budi",
        )
    )
    (row,) = entries(sqlite_sop_env)
    assert (row.operator, row.person_name, row.id_type, row.escort) == ("budi", "Budi", None, None)
    assert row.rooms == ["ruang-kendali", "server-farm"]
    assert "dilarang bermain gadget" in row.rules
    assert (row.allowed_until - row.time_in).total_seconds() == 3 * 3600
    # A room that is no place of the site is refused, naming the places allowed.
    bad = sop(
        "access",
        "checkin",
        "--kind",
        "petugas",
        "--purpose",
        "x",
        "--room",
        "dapur",
        "--rules-acknowledged",
        operator="dewi",
    )
    assert bad.returncode == 2 and "--room" in bad.stderr and "server-farm" in bad.stderr
    ok(
        sop(
            "access",
            "checkout",
            str(row.id),
            "--door-locked",
            "--at",
            f"{DAY} 10:30",
            operator="budi",
        )
    )
    assert entries(sqlite_sop_env)[0].door_locked


@pytest.fixture
def sink() -> SmtpSink:
    with smtp_sink() as running:
        yield running


def test_a_guest_needs_the_pj_permission_and_is_overdue_after_10_menit(
    sqlite_sop_env: SopEnv, sink: SmtpSink
) -> None:
    inventory = sqlite_sop_env.ctx().settings.inventory
    folder = inventory if inventory.is_dir() else inventory.parent
    (folder / "site.yml").write_text(json.dumps({"notify": [{"url": sink.url()}]}))
    guest = (
        "access",
        "checkin",
        "--kind",
        "tamu",
        "--name",
        "Rina Kartika",
        "--organisation",
        "Dinas Pendidikan",
        "--purpose",
        "kunjungan studi banding",
        "--room",
        "server-farm",
        "--escort",
        "budi",
        "--id-type",
        "SIM",
        "--gadgets",
        "1 ponsel, 1 tablet",
        "--rules-acknowledged",
        "--at",
        f"{DAY} 09:00",
    )
    refused = sop(*guest, operator="dewi", stdin="123456789012\n")
    assert refused.returncode == 4 and "tamu" in refused.stderr
    ok(
        sop(
            "access",
            "permit",
            "--kind",
            "tamu",
            "--name",
            "Rina Kartika",
            "--organisation",
            "Dinas Pendidikan",
            "--purpose",
            "studi banding",
            operator="sari",
            now=f"{DAY} 08:00",
        )
    )
    ok(sop(*guest, "--permission", "1", operator="dewi", stdin="123456789012\n"))
    (row,) = entries(sqlite_sop_env)
    assert row.gadgets == "1 ponsel, 1 tablet" and row.id_last4 == "9012"
    assert "dilarang memotret" in row.rules and "dilarang menyentuh perangkat apapun" in row.rules

    def overdue(at: str, real: bool = False) -> tuple[int, list[dict]]:
        result = sop("access", "overdue", "--json", "--at", at, real=real)
        assert result.returncode in (0, 1), result.stderr
        return result.returncode, valid("access-presence.schema.json", result.stdout)["inside"]

    assert overdue(f"{DAY} 09:09") == (0, [])
    code, late = overdue(f"{DAY} 09:11", real=True)  # as cron or AWX runs it
    assert code == 1 and [(p["id"], p["overdue_seconds"]) for p in late] == [(row.id, 60)]
    (mail,) = sink.wait(1)
    assert "Mutu Baku" in mail["Subject"] and "Rina Kartika" in mail.get_body().get_content()
    # A guest's stay is extended by the penanggung jawab's signature, not a petugas's.
    denied = sop(
        "access",
        "extend",
        str(row.id),
        "--by",
        "20m",
        "--reason",
        "diskusi",
        "--at",
        f"{DAY} 09:12",
        operator="budi",
    )
    assert denied.returncode == 2 and "penanggung_jawab" in denied.stderr
    ok(
        sop(
            "access",
            "extend",
            str(row.id),
            "--by",
            "20m",
            "--reason",
            "diskusi teknis",
            "--at",
            f"{DAY} 09:12",
            operator="sari",
        )
    )
    assert overdue(f"{DAY} 09:11")[0] == 1  # the extension came at 09:12
    assert overdue(f"{DAY} 09:25") == (0, [])
    code, late = overdue(f"{DAY} 09:31")
    assert code == 1 and late[0]["overdue_seconds"] == 60
    # One notice per overrun: the first, then the one after the extension ran out.
    assert overdue(f"{DAY} 09:32")[0] == 1
    assert len(sink.wait(2)) == 2 and len(sink.messages) == 2  # delivery is synchronous
    inside = valid(
        "access-presence.schema.json",
        ok(sop("access", "inside", "--json", "--at", f"{DAY} 09:20")).stdout,
    )
    assert [p["id"] for p in inside["inside"]] == [row.id]
    refused = sop(
        "access",
        "checkout",
        str(row.id),
        "--door-locked",
        "--id-returned",
        "--at",
        f"{DAY} 09:28",
        operator="budi",
    )
    assert refused.returncode == 2 and "--gadgets-returned" in refused.stderr
    ok(
        sop(
            "access",
            "checkout",
            str(row.id),
            "--door-locked",
            "--id-returned",
            "--gadgets-returned",
            "--at",
            f"{DAY} 09:28",
            operator="budi",
        )
    )
    (row,) = entries(sqlite_sop_env)
    assert row.gadgets_returned and row.id_returned
    assert (
        json.loads(ok(sop("access", "inside", "--json", "--at", f"{DAY} 09:29")).stdout)["inside"]
        == []
    )
    notices = [a for a in actions(sqlite_sop_env) if a["action"] == "notice.sent"]
    assert notices and "Rina" not in json.dumps(notices)


def test_a_2_2_request_names_its_visit_and_its_report_shows_it_from_the_log_book(
    sqlite_sop_env: SopEnv, tmp_path
) -> None:
    ok(
        sop(
            "access",
            "checkin",
            "--kind",
            "petugas",
            "--purpose",
            "ganti disk srv2",
            "--room",
            "server-farm",
            "--rules-acknowledged",
            "--at",
            f"{DAY} 08:00",
            operator="budi",
        )
    )
    wrong = sop(
        "request",
        "2.3",
        "--target",
        "server-farm",
        "--param",
        "visit=1",
        "--reason",
        "kunjungan",
        operator="sari",
    )
    assert wrong.returncode == 2 and "--param visit" in wrong.stderr
    elsewhere = sop(
        "request",
        "2.2",
        "--target",
        "ruang-kendali",
        "--param",
        "visit=1",
        "--reason",
        "ganti disk",
        operator="budi",
    )
    assert elsewhere.returncode == 2 and "server-farm" in elsewhere.stderr
    made = ok(
        sop(
            "request",
            "2.2",
            "--target",
            "server-farm",
            "--param",
            "visit=1",
            "--reason",
            "ganti disk",
            "--quiet",
            operator="budi",
        )
    )
    request_id = made.stdout.strip()
    ok(sop("access", "checkout", "1", "--door-locked", "--at", f"{DAY} 09:30", operator="budi"))
    ok(sop("report", request_id, "--out", str(tmp_path), "--format", "md"))
    report = (tmp_path / f"laporan-2.2-{request_id}-id.md").read_text()
    assert "Buku Log Akses Pusat Data" in report
    assert "Budi" in report and "1 jam 30 menit" in report and "pintu dikunci" in report
    # A check-in may name its request instead; a request of another kind is refused.
    ok(
        sop(
            "access",
            "permit",
            "--kind",
            "tamu",
            "--name",
            "Rina",
            "--organisation",
            "Dinas",
            "--purpose",
            "studi",
            operator="sari",
            now=f"{DAY} 08:00",
        )
    )
    refused = sop(
        "access",
        "checkin",
        "--kind",
        "tamu",
        "--name",
        "Rina",
        "--organisation",
        "Dinas",
        "--purpose",
        "studi",
        "--room",
        "server-farm",
        "--escort",
        "budi",
        "--id-type",
        "SIM",
        "--gadgets",
        "ponsel",
        "--permission",
        "1",
        "--rules-acknowledged",
        "--request",
        request_id,
        operator="dewi",
        stdin="123456789012\n",
    )
    assert refused.returncode == 2 and "permintaan 2.3" in refused.stderr


def test_who_is_inside_and_overdue_are_right_at_given_clock_times(
    sqlite_sop_env: SopEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sop_runner.procedures.access import book
    from sop_runner.procedures.access.policy import parse_time

    monkeypatch.setenv("SOP_ACCESS_NOW", f"{DAY} 23:59")
    ctx = sqlite_sop_env.ctx()
    own = book.check_in(
        ctx,
        book.Visit(
            "petugas", ("server-farm",), "cek UPS", rules_acknowledged=True, at=f"{DAY} 08:00"
        ),
        "budi",
    )
    vendor = book.check_in(
        ctx,
        book.Visit(
            "vendor",
            ("area-staging",),
            "bongkar rak",
            name="Joko",
            organisation="CV",
            coordination="SPK 1",
            escort="dewi",
            id_type="SIM",
            rules_acknowledged=True,
            at=f"{DAY} 09:00",
        ),
        "dewi",
        "123456789012",
    )
    book.check_out(ctx, book.Leaving(own.id, True, at=f"{DAY} 11:30"), "budi")

    def inside(at: str) -> list[tuple[int, int]]:
        found = book.inside(ctx, parse_time(at))
        return [(p.entry.id, int(p.overdue.total_seconds() // 60)) for p in found]

    assert inside(f"{DAY} 07:59") == []
    assert inside(f"{DAY} 08:30") == [(own.id, 0)]
    assert inside(f"{DAY} 11:15") == [(own.id, 15), (vendor.id, 0)]  # budi: 3 Jam from 08:00
    assert inside(f"{DAY} 11:30") == [(vendor.id, 0)]  # out at 11:30
    assert inside(f"{DAY} 17:05") == [(vendor.id, 5)]  # 8 Jam from 09:00
    with pytest.raises(SopError, match="penanggung_jawab"):
        book.extend(
            ctx, vendor.id, timedelta(hours=2), "kabel belum datang", "dewi", f"{DAY} 16:30"
        )
    book.extend(ctx, vendor.id, timedelta(hours=2), "kabel belum datang", "sari", f"{DAY} 16:30")
    assert inside(f"{DAY} 17:05") == [(vendor.id, 0)]
    assert inside(f"{DAY} 16:00") == [(vendor.id, 0)]
    assert [p.entry.id for p in book.overdue(ctx, parse_time(f"{DAY} 19:01"))] == [vendor.id]


def test_a_permission_edited_in_the_store_no_longer_holds(sqlite_sop_env: SopEnv) -> None:
    ok(
        sop(
            "access",
            "permit",
            "--kind",
            "vendor",
            "--name",
            "Andi Wijaya",
            "--organisation",
            "PT Sejuk Abadi",
            "--purpose",
            "perbaikan UPS",
            operator="sari",
            now=f"{DAY} 08:30",
        )
    )
    with sqlite_sop_env.ctx().session() as session:
        # An insider with write access to the store stretches the permission by a month.
        permission = session.scalars(select(AccessPermission)).one()
        permission.valid_until = permission.valid_until + timedelta(days=30)
    refused = vendor_in("--permission", "1")
    assert refused.returncode == 4 and "tidak berlaku" in refused.stderr
    assert entries(sqlite_sop_env) == []


def test_bad_input_is_one_line_exit_2_nothing_written_and_the_number_never_echoed(
    sqlite_sop_env: SopEnv,
) -> None:
    short = "332809120385000"  # 15 digits: no KTP
    bad = sop(
        "access",
        "checkin",
        "--kind",
        "vendor",
        "--name",
        "Andi",
        "--organisation",
        "PT",
        "--purpose",
        "servis",
        "--room",
        "server-farm",
        "--escort",
        "dewi",
        "--coordination",
        "SPK 1",
        "--id-type",
        "KTP",
        "--rules-acknowledged",
        operator="budi",
        stdin=short + "\n",
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    assert "nomor identitas: bukan nomor KTP" in bad.stderr and short not in bad.stderr
    future = vendor_in("--coordination", "SPK 1", at="2999-01-01 09:00")
    assert future.returncode == 2 and "--at" in future.stderr and "masa depan" in future.stderr
    unknown = vendor_in("--coordination", "SPK 1", "--escort", "sari")
    assert unknown.returncode == 2 and "--escort: 'sari' bukan petugas" in unknown.stderr
    rules = sop(
        "access",
        "checkin",
        "--kind",
        "petugas",
        "--purpose",
        "cek",
        "--room",
        "server-farm",
        operator="budi",
    )
    assert rules.returncode == 2 and "--rules-acknowledged" in rules.stderr
    assert entries(sqlite_sop_env) == []
    assert not [a for a in actions(sqlite_sop_env) if a["action"].startswith("access.")]
