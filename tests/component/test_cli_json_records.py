"""`--json` of the records (issue 17): the registers, the access log book, the control
cards, monitoring, the configuration log, grant sessions and the errata each validate
against their schema in docs/schemas/, and every command whose help offers `--json` has
its schema named in docs/json.md, so a new one cannot be added without one.

One installation (SQLite) is filled once for the module through the features' own
functions, and `sop` runs in this process (its entry point ``main``, as
tests/component/test_access.py does): a subprocess each would cost seconds here.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from sop_runner import i18n
from sop_runner.cli import main
from sop_runner.config import REPO_ROOT
from sop_runner.lab.monitoring import start_prometheus
from sop_runner.procedures import register
from sop_runner.procedures.config import recorders
from sop_runner.procedures.grants.models import GrantSession
from sop_runner.procedures.monitoring import incidents, prom
from sop_runner.procedures.register import receiving
from tests.component.test_cli_json import _valid
from tests.support.prometheus import free_port
from tests.support.runs import request_and_run
from tests.support.sop import SopEnv, isolated_sop, ok

JSON_DOC = REPO_ROOT / "docs" / "json.md"


def _sop(*args: str, operator: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `sop` in this process through its entry point; return what it printed and its
    exit code.  The test session's arguments, input, language and environment are
    restored (`--lang en` sets SOP_LANG for the command's own process)."""
    out, err, code = io.StringIO(), io.StringIO(), 0
    argv, stdin, spoken, environ = sys.argv, sys.stdin, i18n._chosen, dict(os.environ)
    try:
        if operator:
            os.environ["SOP_OPERATOR"] = operator
        sys.argv, sys.stdin = ["sop", *args], io.StringIO("")
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main()
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        sys.argv, sys.stdin, i18n._chosen = argv, stdin, spoken
        os.environ.clear()
        os.environ.update(environ)
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


def _fill(env: SopEnv) -> None:
    """Given an installation, write a little of every record the views read, with budi's
    own key (the functions the commands call)."""
    ctx = env.ctx()
    budi = ctx.actor("budi")
    with ctx.session() as s:
        register.add_room(s, "server-farm", "server_farm", budi, "Ruang server")
        register.add_rack(s, "R01", "server-farm", budi, 42)
        register.add_feed(s, "PDU-R01-A", 2000, budi, rack="R01")
        register.add_device(
            s, "sw1", budi, owner="Diskominfo", function="switch inti", kind="switch",
            code="DKI-SW-01", u_height=1, power_w=100,
        )  # fmt: skip
        register.place_device(s, "sw1", budi, rack="R01", position=42, feed="PDU-R01-A")
        register.set_interface(s, "sw1", "ge-0/0/1", budi, mac="52:54:00:aa:bb:01")
        register.set_interface(s, "sw1", "ge-0/0/2", budi, mac="52:54:00:aa:bb:02")
        register.add_prefix(s, "10.10.0.0/24", budi, "server")
        register.assign_address(s, "10.10.0.2/24", "sw1", "ge-0/0/2", budi, "sw1.local")
        # SOP 1.1: a delivery received, staged and checked (srv2's status history).
        delivery = receiving.receive(
            s, budi, "PT Vendor", "SJ-17", [{"item": "server R650", "qty": 1}],
            [{"name": "srv2", "serial": "SN-2", "u_height": 2, "power_w": 350}],
            datetime.now(UTC) - timedelta(days=2),
        )  # fmt: skip
        receiving.stage(s, delivery.id, budi)
        receiving.check(s, delivery.id, {"server R650": 1}, budi, "baik")
        register.set_interface(s, "srv2", "eth0", budi, mac="52:54:00:aa:bb:10")
        register.add_cable(s, "C-0001", ("srv2", "eth0"), ("sw1", "ge-0/0/1"), budi, "cat6", 2.0)
        # SOP 3.1: one change that passed its test is a configuration-log entry.
        run = request_and_run(s, "3.1", ["srv1"], {"config_ref": "pr-17"}, "keepalive")
        recorders.record_config_changes(
            s, run.id, {"srv1": {"kind": "server", "changed": True, "before": "k 65;\n",
                                 "after": "k 30;\n", "tests": {"port": True}}},
        )  # fmt: skip
        # SOP 6.2: two incidents, one of them closed below.
        for summary in ("port 23 terbuka", "login gagal berulang"):
            incidents.open_incident(s, "budi", "scan", "srv1", "warning", summary, {"port": 23})
    incidents.close_incident(ctx, 1, "telnet dimatikan", "budi")


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SopEnv]:
    """One installation on SQLite for the module, filled once."""
    root = tmp_path_factory.mktemp("json-records")
    with pytest.MonkeyPatch.context() as patch:
        env = isolated_sop(root, f"sqlite:///{root / 'sop.db'}", patch)
        _fill(env)
        yield env


def test_register_views_validate(records):
    device = _valid("register-device", ok(_sop("register", "show", "sw1", "--json")).stdout)
    assert device["device"]["rack"] == "R01" and len(device["device"]["interfaces"]) == 2
    history = _valid("register-history", ok(_sop("register", "history", "srv2", "--json")).stdout)
    assert [(h["from_status"], h["to_status"]) for h in history["history"]] == [
        (None, "received"),
        ("received", "staged"),
    ]
    assert all(h["by"] == "budi" for h in history["history"])
    assert "received → staged" in ok(_sop("register", "history", "srv2")).stdout
    check = _sop(
        "register", "check", "srv2", "--rack", "R01", "--feed", "PDU-R01-A",
        "--switch", "sw1", "--prefix", "10.10.0.0/24", "--json",
    )  # fmt: skip
    found = _valid("register-check", ok(check).stdout)
    assert found["ok"] and found["position"] == 1 and found["address"] == "10.10.0.1/24"
    rooms = _valid("register-rooms", ok(_sop("register", "room", "list", "--json")).stdout)
    assert [r["name"] for r in rooms["rooms"]] == ["server-farm"]
    racks = _valid("register-racks", ok(_sop("register", "rack", "list", "--json")).stdout)
    assert racks["racks"] == [{"name": "R01", "u_height": 42, "used_u": 1, "room": "server-farm"}]
    feeds = _valid("register-feeds", ok(_sop("register", "feed", "list", "--json")).stdout)
    assert feeds["feeds"][0]["load_w"] == 100
    ips = _valid("register-ips", ok(_sop("register", "ip", "list", "--json")).stdout)
    assert ips["addresses"] == [
        {
            "address": "10.10.0.2/24",
            "device": "sw1",
            "interface": "ge-0/0/2",
            "dns_name": "sw1.local",
        }
    ]
    cables = _valid("register-cables", ok(_sop("register", "cable", "list", "--json")).stdout)
    assert cables["cables"][0]["a_device"] == "srv2" and cables["cables"][0]["length"] == 2.0
    listed = _sop("register", "delivery", "list", "--json")
    (delivery,) = _valid("register-deliveries", ok(listed).stdout)["deliveries"]
    assert delivery["complete"] is True and delivery["devices"] == ["srv2"]
    assert delivery["late_hours"] == pytest.approx(24, abs=0.2)  # 2 days: 1 past its Mutu Baku


def test_access_cards_monitoring_config_and_errata_validate(records):
    checkin = _sop(
        "access", "checkin", "--kind", "petugas", "--purpose", "cek UPS", "--room",
        "server-farm", "--rules-acknowledged", "--json", operator="budi",
    )  # fmt: skip
    entry = _valid("access-entry", ok(checkin).stdout)
    assert entry["kind"] == "petugas" and entry["operator"] == "budi" and entry["time_out"] is None
    card = _sop("kartu", "bbm", "--tempat", "server-farm", "--persen", "80", "--json",
                operator="budi")  # fmt: skip
    recorded = _valid("kartu-entry", ok(card).stdout)
    assert recorded["fuel_percent"] == 80 and recorded["followups"] == []
    listed = _valid("kartu-entries", ok(_sop("kartu", "daftar", "--json")).stdout)
    assert [e["id"] for e in listed] == [recorded["id"]]
    found = _valid("monitoring-incidents", ok(_sop("monitoring", "incidents", "--json")).stdout)
    assert sorted(i["status"] for i in found) == ["closed", "open"]
    log = _valid("config-log", ok(_sop("config", "log", "--json")).stdout)
    (logged,) = log["entries"]
    assert logged["device"] == "srv1" and logged["diff_lines"] > 0
    assert "pr-17" in logged["notes"]
    people = ok(_sop("config", "log")).stdout  # the lines for people are as they were
    assert re.match(rf"{logged['id']}\t\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d\tsrv1\t", people)
    assert f"\t{logged['diff_lines']} diff lines\t" in people
    errata = _valid("errata", ok(_sop("errata", "--json", "--lang", "en")).stdout)
    assert errata["lang"] == "en" and errata["document"]


def test_monitoring_targets_validate(tmp_path):
    """A real Prometheus with one target nobody answers on: listed, its health not up."""
    if shutil.which("prometheus") is None:
        pytest.skip("Debian's prometheus package is not installed (scripts/bootstrap.sh)")
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s}\nscrape_configs:\n  - job_name: node\n"
        f"    static_configs: [{{targets: ['127.0.0.1:{free_port()}'], labels: {{host: srv9}}}}]\n"
    )
    port = free_port()
    server = start_prometheus(config, tmp_path / "data", port, tmp_path / "prometheus.log")
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while not prom.targets(url) and time.monotonic() < deadline:
            time.sleep(0.1)  # the scrape manager takes its targets a moment after ready
        result = _sop("monitoring", "targets", "--prometheus", url, "--json")
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert result.returncode == 1, result.stderr  # its one target is not up
    (target,) = _valid("monitoring-targets", result.stdout)
    assert target["labels"]["host"] == "srv9" and target["health"] in ("unknown", "down")


def test_grant_sessions_json_validates(records):
    from sop_runner.procedures.grants.cli import sessions_json

    opened = datetime(2026, 11, 30, 7, 5, tzinfo=UTC)
    rows = [
        GrantSession(
            grant_id=3, key_id="grant-3 andi", host="srv1", account="vendor",
            source="203.0.113.7", port=50122, opened_at=opened, closed_at=None,
        ),
        GrantSession(
            grant_id=3, key_id="grant-3 andi", host="srv1", account="vendor",
            source="203.0.113.7", port=50130, opened_at=opened,
            closed_at=opened + timedelta(minutes=40),
        ),
    ]  # fmt: skip
    data = _valid("grant-sessions", json.dumps(sessions_json(3, rows)))
    assert [s["closed_at"] for s in data["sessions"]] == [None, "2026-11-30T07:45:00+00:00"]
    assert _valid("grant-sessions", json.dumps(sessions_json(3, [])))["sessions"] == []
    # A grant that does not exist: one line, exit 2, no JSON.
    missing = _sop("grant", "sessions", "99", "--json", operator="budi")
    assert missing.returncode == 2 and missing.stdout == "", missing.stdout
    assert len(missing.stderr.strip().splitlines()) == 1 and "99" in missing.stderr


def _json_commands() -> list[str]:
    """Return every command whose options offer --json ("sop register list"), feature
    groups included (each loaded)."""
    from sop_runner.cli.app import CORE_COMMANDS, _feature_command, core_commands
    from sop_runner.features import startup

    def walk(command: object, path: list[str]) -> Iterator[str]:
        subcommands = getattr(command, "commands", None)
        if subcommands is not None:
            for name, sub in sorted(subcommands.items()):
                yield from walk(sub, [*path, name])
        elif any("--json" in p.opts for p in command.params):  # type: ignore[attr-defined]
            yield " ".join(path)

    found = [
        path
        for name, module in CORE_COMMANDS.items()
        for path in walk(core_commands(module)[name], ["sop", name])
    ]
    for name in sorted(startup().commands):
        found += walk(_feature_command(name, True), ["sop", name])
    return found


def _documented() -> dict[str, list[str]]:
    """Return each command docs/json.md's table names, with the schema files of its row."""
    rows: dict[str, list[str]] = {}
    for line in JSON_DOC.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not cells[0].startswith("`sop "):
            continue
        schemas = re.findall(r"`([\w.-]+\.schema\.json)`", cells[1])
        for example in re.findall(r"`(sop [^`]*)`", cells[0]):
            words = []
            for word in example.split():
                if not re.fullmatch(r"[a-z][a-z-]*", word):
                    break
                words.append(word)
            rows.setdefault(" ".join(words), []).extend(schemas)
    return rows


def _undocumented(commands: list[str], documented: dict[str, list[str]]) -> list[str]:
    """Given the commands offering --json and the table's rows, return what lacks a schema
    (no row, or a row naming no schema file, or one that does not exist)."""
    return [
        c
        for c in commands
        if not documented.get(c)
        or not all((REPO_ROOT / "docs" / "schemas" / n).is_file() for n in documented[c])
    ]


def test_every_command_offering_json_names_its_schema():
    commands = _json_commands()
    assert {"sop list", "sop register history", "sop config log", "sop grant sessions"} <= set(
        commands
    )
    assert "sop backup recap" not in commands  # a document (naskah dinas), no JSON
    missing = _undocumented(commands, _documented())
    assert not missing, f"--json without its schema in docs/json.md: {missing}"


def test_the_checker_sees_a_command_left_out():
    documented = _documented()
    assert documented["sop register show"] == ["register-device.schema.json"]
    assert documented["sop kartu suhu"] == ["kartu-entry.schema.json"]
    commands = ["sop register show", "sop kartu suhu", "sop new thing"]
    without = {k: v for k, v in documented.items() if k != "sop register show"}
    assert _undocumented(commands, without) == ["sop register show", "sop new thing"]
    wrong = {**documented, "sop kartu suhu": ["kartu.schema.json"]}  # no such file
    assert _undocumented(commands[1:2], wrong) == ["sop kartu suhu"]
