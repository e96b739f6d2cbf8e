"""`sop run` against bare `ansible-playbook` (issue 21): the 6.1 bench and 50 light hosts.

1. The 6.1 bench: a SOP 6.1 request on four hosts of the test lab (backup, gw, srv1,
   srv2) runs its two gated playbooks through `sop run` (the lab's hosts take only the
   issuer's certificates, so the issuer serves the bench's trust root with the lab's
   CA); the baseline runs the same two playbooks with `ssh-agent ansible-playbook`, the
   same request and operator (its gate gets its certificate from the same issuer).
2. 50 light hosts (sop_runner/lab/light.py: a namespace and sshd each): the same 6.1
   request on all of them, each host with 11 old files to remove, so every host
   yields 20 task results (3 + 6 tasks, 11 loop items); trust root without issuer
   (the inventory's key).
3. Ingestion: one more `sop run` of (2) under cProfile; the time spent in the step's
   event sink (sop_runner/run_events.py, UI and store writes) and in ansible-runner's
   event callback (which calls it), over the run's wall time.

Each ratio: `sop run` and the baseline alternate in the same process, median of N rounds.
A bare playbook gets an SSH control folder of its own, as `sop run`'s play does (a
master opened with one step's certificate must not serve the next play).
"""

from __future__ import annotations

import contextlib
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from results import lab_lock

from sop_runner import gates
from sop_runner.config import REPO_ROOT
from sop_runner.context import Context

BIN = Path(sys.executable).parent
LAB_HOSTS = ["backup", "gw", "srv1", "srv2"]
CONFIRM = ["--confirm", "2=a", "--confirm", "3=b", "--confirm", "4=c", "--confirm", "6=d"]
PLAYBOOKS = ("resource_monitor.yml", "resource_repair.yml")
OLD_FILES = 11


def installation(root: Path, inventory: Path) -> dict[str, str]:
    """Given a scratch folder and an inventory folder, make a trust root there (root's)
    for budi, sari and ahmad; return the environment that points `sop` at it."""
    from tests.support.trust import make_trust_root

    root.mkdir(parents=True, exist_ok=True)
    setup = make_trust_root(
        {"budi": ["petugas"], "sari": ["penanggung_jawab"], "ahmad": ["pimpinan"]},
        root / "keys",
        store=f"sqlite:///{root / 'sop.db'}",
        inventory=inventory,
        base=root,
    )
    env = {
        "SOP_DATA_DIR": str(root / "data"),
        "SOP_KEY_DIR": str(root / "keys"),
        "SOP_TRUST_FILE": str(setup.trust_file),
    }
    os.environ.update(env)
    return env


def approved_request(hosts: list[str], cleanup_path: str) -> int:
    """Given the targets and the folder to clean, return a new approved 6.1 request."""
    from sop_runner.requests import new_request
    from sop_runner.store.models import Request

    ctx = Context()
    params = {"cleanup_path": cleanup_path, "max_age_days": 30}
    made = new_request(ctx, "6.1", hosts, params, "bench", "budi")
    with ctx.session() as session:
        req = session.get(Request, made.id)
        for who, role in (("sari", "penanggung_jawab"), ("ahmad", "pimpinan")):
            session.add(gates.sign_approval(req, 5, role, ctx.actor(who)))
        return int(made.id)


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "PATH": f"{BIN}:{os.environ['PATH']}",
        "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg"),
        "SOP_OPERATOR": "budi",
    }


def _timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO_ROOT, env=env, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        output = done.stdout[-3000:] + done.stderr[-2000:]
        raise RuntimeError(f"{' '.join(cmd[:3])}…: rc {done.returncode}\n{output}")
    return elapsed


def sop_run(request_id: int, profile: Path | None = None) -> float:
    """Given an approved request, return the seconds `sop run` took (under cProfile when
    ``profile`` names its output)."""
    cmd = [str(BIN / "sop"), "run", str(request_id), "--as", "budi", *CONFIRM]
    if profile is not None:
        cmd = [sys.executable, "-m", "cProfile", "-o", str(profile), *cmd]
    return _timed(cmd, _env())


def bare(request_id: int, inventory: Path, hosts: list[str], cleanup_path: str) -> float:
    """Given the same request, return the seconds of its two playbooks run bare."""
    total = 0.0
    extra = Path(os.environ["SOP_DATA_DIR"]) / "bench-extravars.json"
    params = {"cleanup_path": cleanup_path, "max_age_days": 30}
    extra.write_text(json.dumps({"sop_request": str(request_id), "sop_params": params}))
    for playbook in PLAYBOOKS:
        control = Path(tempfile.mkdtemp(prefix="sop-bench-cp-"))
        env = {**_env(), "ANSIBLE_SSH_CONTROL_PATH_DIR": str(control)}
        try:
            total += _timed(
                [
                    "ssh-agent",
                    str(BIN / "ansible-playbook"),
                    *("-i", str(inventory / "hosts.yml"), f"playbooks/{playbook}"),
                    *("-l", ",".join(hosts), "-e", f"@{extra}"),
                ],
                env,
            )
        finally:
            for socket in control.glob("*"):
                subprocess.run(["ssh", "-o", f"ControlPath={socket}", "-O", "exit", "x"],
                               capture_output=True, check=False)  # fmt: skip
            shutil.rmtree(control, ignore_errors=True)
    return total


def alternate(rounds: int, run_sop: object, run_bare: object) -> tuple[float, float]:
    """Given a number of rounds and two callables returning seconds, return their medians.

    The order turns every round (sop, bare, bare, sop, …): a load that rises or falls
    while the bench runs (the machine is shared) favours neither.
    """
    sop_times, bare_times = [], []
    for n in range(rounds):
        if n % 2:
            bare_times.append(run_bare())  # type: ignore[operator]
            sop_times.append(run_sop())  # type: ignore[operator]
        else:
            sop_times.append(run_sop())  # type: ignore[operator]
            bare_times.append(run_bare())  # type: ignore[operator]
    return statistics.median(sop_times), statistics.median(bare_times)


@contextlib.contextmanager
def test_lab() -> Iterator[Path]:
    """Yield the test lab's inventory folder with the lab up and the issuer serving the
    bench's trust root with the lab's CA; the lab is down afterwards (lock held)."""
    from sop_runner.lab import down, up
    from tests.support.issuer import serving

    with lab_lock():
        state = up()
        try:
            with serving(
                Path(os.environ["SOP_TRUST_FILE"]), Path(state.ca_key), [str(state.controller)]
            ):
                yield REPO_ROOT / "inventory" / "lab"
        finally:
            down()


def six_one(root: Path, rounds: int, profile: Path | None = None) -> tuple[float, float]:
    """Given a scratch folder, return the medians (sop run s, bare s) of the 6.1 bench."""
    installation(root, REPO_ROOT / "inventory" / "lab")
    cleanup = "/var/tmp/sop-bench"
    with test_lab() as inventory:
        for host in LAB_HOSTS:
            subprocess.run(["ssh", "-F", "/var/lib/sop-lab/ssh/config", host,
                            f"mkdir -p {cleanup}"], check=True)  # fmt: skip

        # Each its own request: `sop run` finishes its request, which no gate lets
        # through again.
        medians = alternate(
            rounds,
            lambda: sop_run(approved_request(LAB_HOSTS, cleanup)),
            lambda: bare(approved_request(LAB_HOSTS, cleanup), inventory, LAB_HOSTS, cleanup),
        )
        if profile is not None:
            sop_run(approved_request(LAB_HOSTS, cleanup), profile)
    return medians


def fifty(root: Path, rounds: int, count: int, profile: Path) -> dict[str, float]:
    """Given a scratch folder, return the medians of `sop run` and the bare playbooks
    ("sop", "bare") on `count` light hosts, and of one more `sop run` under cProfile
    (written to profile) its wall time ("profiled") and SSH logins per host ("logins")."""
    from sop_runner.lab.light import WORK_DIR, light_lab

    folder = root / "light"
    folder.mkdir(parents=True)
    with lab_lock(), light_lab(folder, count) as lab:
        installation(root / "fifty", lab.folder)
        names = [h.name for h in lab.hosts]
        seed = " ".join(f"{WORK_DIR}/old-{n:02d}.log" for n in range(OLD_FILES))
        touch = f"touch -d 2020-01-01 {seed}"

        def seeded() -> int:
            for host in lab.hosts:
                lab.in_host(host, touch)
            return approved_request(names, str(WORK_DIR))

        sop_t, bare_t = alternate(
            rounds,
            lambda: sop_run(seeded()),
            lambda: bare(seeded(), folder, names, str(WORK_DIR)),
        )
        request_id = seeded()
        before = lab.logins()
        profiled = sop_run(request_id, profile)
        logins = (lab.logins() - before) / count
    return {"sop": sop_t, "bare": bare_t, "profiled": profiled, "logins": logins}


def share(profile: Path, wall: float) -> tuple[float, float]:
    """Given a cProfile output of `sop run` and its wall time, return the shares of the
    run spent in the event sink and in ansible-runner's event callback (which calls it)."""
    stats = pstats.Stats(str(profile)).stats  # type: ignore[attr-defined]
    sink = callback = 0.0
    for (filename, _line, name), (_cc, _nc, _tt, cumulative, callers) in stats.items():
        if filename.endswith("sop_runner/run_events.py") and name == "__call__":
            sink += cumulative
        if filename.endswith("sop_runner/run_events.py") and name == "flush":
            # The last flush, after the play; the others are inside __call__.
            sink += sum(c[3] for k, c in callers.items() if k[2] != "__call__")
        if filename.endswith("ansible_runner/runner.py") and name == "event_callback":
            callback += cumulative
    return sink / wall, callback / wall


# (label, file suffix, function) of the phases of `sop run` read from its profile.
PHASES = [
    ("the two plays (ansible-runner, ansible-playbook)", "ansible_runner/runner.py", "run"),
    ("store opened (engine, every feature's tables)", "sop_runner/store/db.py", "engine_for"),
    ("request checked again (inventory through Ansible)", "sop_runner/execution.py",
     "_checked_request"),
    ("features loaded (the records' writers)", "sop_runner/context.py", "features"),
    ("step records, companion records, audit (features included)", "sop_runner/execution.py",
     "_finish_step"),
    ("event sink (progress line, store writes)", "sop_runner/run_events.py", "__call__"),
    ("event sink's last flush", "sop_runner/run_events.py", "flush"),
    ("ssh-agent and control masters of each play", "sop_runner/runner.py", "play_credentials"),
]  # fmt: skip


def phases(profile: Path) -> list[tuple[str, float]]:
    """Given a cProfile output of `sop run`, return (phase, cumulative seconds) rows, the
    whole process first (profiled: Python's own work is slowed, waiting is not)."""
    stats = pstats.Stats(str(profile)).stats  # type: ignore[attr-defined]
    whole = max(v[3] for v in stats.values())
    rows = [("whole `sop run` process (under cProfile)", whole)]
    for label, suffix, name in PHASES:
        seconds = sum(v[3] for k, v in stats.items() if k[0].endswith(suffix) and k[2] == name)
        rows.append((label, seconds))
    return rows
