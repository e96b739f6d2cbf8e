"""Shared code of the restic modules of sop-pusatdata (SOP 7.1–7.5).

restic is driven by subprocess (the Debian binary).  The repository password
reaches restic only through the environment of the subprocess
(RESTIC_PASSWORD) or a password file on the target (RESTIC_PASSWORD_FILE):
never through argv, never in a module result.

The pure helpers (extension counting, dump file names, retention selection,
check subsets, tag encoding) need nothing but the standard library so the
unit tests import them directly.
"""

from __future__ import annotations

import calendar
import json
import os
import re
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote

# Tags every snapshot made by sop carries; "source" is what a snapshot backs up.
SOP_TAG = "sop"
SAFE = "/:@+-_.="


def restic_options() -> dict[str, Any]:
    """Return the argument_spec entries every restic module shares."""
    return {
        "repository": {"type": "str", "required": True},
        "password": {"type": "str", "no_log": True},
        "password_file": {"type": "path", "no_log": False},
        "env": {"type": "dict", "default": {}, "no_log": True},
        "restic_binary": {"type": "path", "default": "/usr/bin/restic"},
        "host": {"type": "str"},
    }


def parse_today(text: str | None) -> date:
    """Given a module's ``today`` option (YYYY-MM-DD, or empty for today), return the date.

    Raise ValueError naming ``today`` if the text is not a date.
    """
    if not text:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"today: {text!r} is not a date (YYYY-MM-DD)") from None


def encode_tag_value(value: str) -> str:
    """Given a tag value, return it safe for restic (no commas or spaces)."""
    return quote(value, safe=SAFE)


def decode_tag_value(value: str) -> str:
    """Given an encoded tag value, return the original text."""
    return unquote(value)


def tags_dict(tags: list[str] | None) -> dict[str, str]:
    """Given a snapshot's tags, return the key=value ones as a dict (values decoded)."""
    result = {}
    for tag in tags or []:
        if "=" in tag:
            key, _, value = tag.partition("=")
            result[key] = decode_tag_value(value)
    return result


def extension_of(name: str) -> str:
    """Given a file name, return its type by extension (lower case, '' when none)."""
    base = os.path.basename(name)
    if base.startswith(".") and base.count(".") == 1:
        return ""
    _, ext = os.path.splitext(base)
    if ext.lower() in (".gz", ".bz2", ".xz", ".zst") and base.count(".") >= 2:
        inner = os.path.splitext(base[: -len(ext)])[1]
        if inner and len(inner) <= 5:
            ext = inner + ext
    return ext.lower().lstrip(".")


def count_extensions(names: list[str]) -> dict[str, int]:
    """Given file names, return how many there are of each extension ('(none)' when none)."""
    counts: dict[str, int] = {}
    for name in names:
        key = extension_of(name) or "(none)"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def walk_sources(paths: list[str]) -> dict[str, Any]:
    """Given absolute paths, return file count, total size and extension counts under them."""
    names: list[str] = []
    total = 0
    for path in paths:
        if os.path.isfile(path) or os.path.islink(path):
            names.append(path)
            total += os.lstat(path).st_size
            continue
        for root, _dirs, files in os.walk(path):
            for name in files:
                full = os.path.join(root, name)
                try:
                    total += os.lstat(full).st_size
                except OSError:
                    continue
                names.append(full)
    return {"file_count": len(names), "total_size": total, "file_types": count_extensions(names)}


DUMP_SUFFIX = {"mariadb": "sql", "mysql": "sql", "postgresql": "dump"}


def dump_filename(engine: str, database: str, when: datetime) -> str:
    """Given an engine, a database and a time, return the dump's file name with date and time.

    SOP 7.2 step 5 wants the date and time of the backup in the file name.
    """
    if engine not in DUMP_SUFFIX:
        raise ValueError(f"engine {engine!r}: allowed {', '.join(sorted(DUMP_SUFFIX))}")
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", database)
    return f"{engine}-{safe}-{when.strftime('%Y%m%d-%H%M%S')}.{DUMP_SUFFIX[engine]}"


_FILENAME_TIME = re.compile(r"-(\d{8})-(\d{6})\.(sql|dump)$")


def time_from_filename(name: str) -> datetime | None:
    """Given a dump file name, return the date and time it carries (None when none)."""
    match = _FILENAME_TIME.search(name)
    if not match:
        return None
    return datetime.strptime(match.group(1) + match.group(2), "%Y%m%d%H%M%S")


def parse_time(text: str) -> datetime:
    """Given restic's time text (nanoseconds, offset), return an aware datetime."""
    match = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)?$", text)
    if not match:
        raise ValueError(f"not a restic time: {text!r}")
    frac = (match.group(2) or ".0")[:7]
    zone = match.group(3) or "Z"
    zone = "+00:00" if zone == "Z" else zone
    return datetime.fromisoformat(match.group(1) + frac.ljust(2, "0") + zone)


def source_of(snapshot: dict[str, Any]) -> str:
    """Given a snapshot, return the source it backs up: host and the sop source tag or paths."""
    tags = tags_dict(snapshot.get("tags"))
    what = tags.get("source") or ",".join(sorted(snapshot.get("paths") or []))
    return f"{snapshot.get('hostname', '')}:{what}"


def kind_of(snapshot: dict[str, Any]) -> str:
    """Given a snapshot, return 'database' or 'file'."""
    return tags_dict(snapshot.get("tags")).get("kind", "file")


# SOP 7.5 deletes backups kept longer than one year; less is never a retention period.
MIN_RETENTION_DAYS = 365


def retention_cutoff(today: date, max_age_days: int = MIN_RETENTION_DAYS) -> date:
    """Given today and the retention period in days, return the oldest date still kept.

    The period is whole calendar years and the days beyond them: ``max_age_days
    // 365`` years before today (the same date; 29 February becomes 28 February
    in a year without one, which keeps a day more rather than less), then ``max_age_days
    % 365`` days before that.  A snapshot dated before the cutoff is older than
    the period; one dated on it is not.  Raise ValueError if the period is shorter
    than a year.
    """
    if isinstance(max_age_days, bool) or max_age_days < MIN_RETENTION_DAYS:
        raise ValueError(
            f"max_age_days: {max_age_days!r} is less than a year; allowed: "
            f"{MIN_RETENTION_DAYS} or more"
        )
    years, extra = divmod(max_age_days, 365)
    year = today.year - years
    day = today.day
    if (today.month, day) == (2, 29) and not calendar.isleap(year):
        day = 28
    return date(year, today.month, day) - timedelta(days=extra)


def snapshots_of_host(snapshots: list[dict[str, Any]], host: str) -> list[dict[str, Any]]:
    """Given snapshots and a host name, return only the snapshots that host made.

    Retention acts per target host: a repository shared by several hosts keeps
    the other hosts' snapshots out of reach.  Raise ValueError if host is empty.
    """
    if not host:
        raise ValueError("host: required; retention acts only on one host's snapshots")
    return [s for s in snapshots if s.get("hostname") == host]


def select_expired(
    snapshots: list[dict[str, Any]],
    today: date,
    max_age_days: int = MIN_RETENTION_DAYS,
    now: datetime | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Given snapshots and today's date, return which go and which stay under SOP 7.5.

    A snapshot goes when its date (the calendar date in the time zone it was
    recorded in) is before ``retention_cutoff(today, max_age_days)`` (counted
    from today, not from the newest snapshot, unlike restic's --keep-within),
    unless it is the last snapshot of its source.  The last snapshot of a
    source is its newest one not dated in the future (a future date is a clock
    error and must not decide what is kept); when every snapshot of a source
    is in the future, its newest.  Returns ``delete``, ``keep_last`` (old but
    kept because last), ``future`` (dated after now) and ``keep``.  Raise
    ValueError if ``max_age_days`` is less than a year.
    """
    now = now or datetime.combine(today, datetime.max.time(), tzinfo=UTC)
    cutoff = retention_cutoff(today, max_age_days)
    by_source: dict[str, list[dict[str, Any]]] = {}
    for snap in snapshots:
        by_source.setdefault(source_of(snap), []).append(snap)
    result: dict[str, list[dict[str, Any]]] = {
        "delete": [],
        "keep_last": [],
        "future": [],
        "keep": [],
    }
    for _source, snaps in sorted(by_source.items()):
        ordered = sorted(snaps, key=lambda s: parse_time(s["time"]))
        real = [s for s in ordered if parse_time(s["time"]) <= now]
        last = (real or ordered)[-1]
        for snap in ordered:
            when = parse_time(snap["time"])
            if when > now:
                result["future"].append(snap)
            if when.date() >= cutoff:
                result["keep"].append(snap)
            elif snap is last:
                result["keep_last"].append(snap)
            else:
                result["delete"].append(snap)
    for key in result:
        result[key].sort(key=lambda s: (parse_time(s["time"]), s["id"]))
    return result


def select_retention(
    snapshots: list[dict[str, Any]],
    today: date,
    max_age_days: int = MIN_RETENTION_DAYS,
    database_max_age_days: int | None = None,
    now: datetime | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Given snapshots and today's date, return what SOP 7.5 deletes, by kind of backup.

    SOP 7.5 is the deletion of *file* backups (7.1): file snapshots go under
    ``select_expired`` with ``max_age_days``.  Database dumps (7.2) are touched only
    when a policy of their own is given (``database_max_age_days``, at least a
    year as well); without one they are all listed under ``out_of_scope`` and kept.
    Returns ``select_expired``'s lists plus ``out_of_scope``.  Raise ValueError if a
    period is less than a year.
    """
    files = [s for s in snapshots if kind_of(s) != "database"]
    dumps = [s for s in snapshots if kind_of(s) == "database"]
    result = select_expired(files, today, max_age_days, now=now)
    result["out_of_scope"] = []
    if database_max_age_days is None:
        result["out_of_scope"] = sorted(dumps, key=lambda s: (parse_time(s["time"]), s["id"]))
        return result
    for key, chosen in select_expired(dumps, today, database_max_age_days, now=now).items():
        result[key] = sorted(result[key] + chosen, key=lambda s: (parse_time(s["time"]), s["id"]))
    return result


def check_subset(when: date, period: str = "week") -> str:
    """Given a date and the check period, return restic's --read-data-subset for it.

    Run weekly with ``week`` (n/52) or monthly with ``month`` (n/12), the subsets
    rotate so that every pack of the repository is read once a year.
    """
    if period == "week":
        week = min(when.isocalendar()[1], 52)
        return f"{week}/52"
    if period == "month":
        return f"{when.month}/12"
    if period == "day":
        return f"{min(when.timetuple().tm_yday, 365)}/365"
    raise ValueError(f"period {period!r}: allowed week, month, day")


def table_tag(name: str, rows: int, checksum: str) -> str:
    """Given a table's verification figures, return the snapshot tag that carries them."""
    return f"tbl={encode_tag_value(name)}:{rows}:{checksum}"


def tables_from_tags(tags: list[str] | None) -> dict[str, dict[str, Any]]:
    """Given a snapshot's tags, return the table figures recorded at backup time."""
    tables: dict[str, dict[str, Any]] = {}
    for tag in tags or []:
        if tag.startswith("tbl="):
            enc, rows, checksum = tag[4:].rsplit(":", 2)
            tables[decode_tag_value(enc)] = {"rows": int(rows), "checksum": checksum}
    return tables


def compare_tables(
    expected: dict[str, dict[str, Any]], actual: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """Given the figures at backup time and after restore, return one row per table."""
    rows = []
    for name in sorted(set(expected) | set(actual)):
        exp, act = expected.get(name), actual.get(name)
        rows.append(
            {
                "table": name,
                "expected_rows": exp["rows"] if exp else None,
                "rows": act["rows"] if act else None,
                "expected_checksum": exp["checksum"] if exp else None,
                "checksum": act["checksum"] if act else None,
                "ok": bool(exp and act and exp == act),
            }
        )
    return rows


class ResticError(Exception):
    """restic ended with an error; the message is restic's own stderr (no secrets)."""


@dataclass(frozen=True)
class Piped:
    """How ``first | second`` ended: each side's exit code and its own messages.

    ``first_text`` is the first command's stderr (its stdout was the pipe);
    ``second_text`` is the second command's stdout and stderr together.
    """

    first_rc: int
    first_text: str
    second_rc: int
    second_text: str


def run_piped(
    first: list[str],
    second: list[str],
    first_env: dict[str, str] | None = None,
    second_env: dict[str, str] | None = None,
) -> Piped:
    """Given two commands (and their environments), run ``first | second`` in / and return how.

    Nothing is held in memory: the data flows through the pipe and the
    messages through temporary files.  A second command that dies closes the
    pipe, which stops the first.
    """
    with tempfile.TemporaryFile() as first_err, tempfile.TemporaryFile() as second_out:
        producer = subprocess.Popen(
            first,
            stdout=subprocess.PIPE,
            stderr=first_err,
            stdin=subprocess.DEVNULL,
            cwd="/",
            env=first_env,
        )
        consumer = subprocess.Popen(
            second,
            stdin=producer.stdout,
            stdout=second_out,
            stderr=subprocess.STDOUT,
            cwd="/",
            env=second_env,
        )
        assert producer.stdout is not None
        producer.stdout.close()  # the consumer holds the read end
        second_rc = consumer.wait()
        first_rc = producer.wait()
        first_err.seek(0)
        second_out.seek(0)
        return Piped(
            first_rc,
            first_err.read().decode(errors="replace"),
            second_rc,
            second_out.read().decode(errors="replace"),
        )


class Restic:
    """One repository reached through the restic binary, password only in the environment."""

    def __init__(
        self,
        repository: str,
        password: str | None = None,
        password_file: str | None = None,
        env: dict[str, str] | None = None,
        binary: str = "/usr/bin/restic",
    ) -> None:
        if not password and not password_file:
            raise ResticError("password or password_file is required for the repository")
        self.repository = repository
        self.binary = binary
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("RESTIC_")}
        self.env.update({str(k): str(v) for k, v in (env or {}).items()})
        self.env["RESTIC_REPOSITORY"] = repository
        if password:
            self.env["RESTIC_PASSWORD"] = password
        else:
            self.env["RESTIC_PASSWORD_FILE"] = str(password_file)

    def command(self, *args: str) -> list[str]:
        """Given restic arguments, return the argv (repository and password stay in env)."""
        return [self.binary, *args]

    def run(
        self, *args: str, check: bool = True, stdin: Any = None, timeout: float | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Given restic arguments, run restic and return the finished process."""
        proc = subprocess.run(
            self.command(*args),
            env=self.env,
            stdin=stdin if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and proc.returncode != 0:
            raise ResticError(f"restic {args[0]} failed (rc {proc.returncode}): {tail(proc)}")
        return proc

    def popen(self, *args: str, **kwargs: Any) -> subprocess.Popen[bytes]:
        """Given restic arguments, start restic and return the process (for pipes)."""
        return subprocess.Popen(self.command(*args), env=self.env, **kwargs)

    def json(self, *args: str) -> Any:
        """Given restic arguments (a --json command), return its parsed output."""
        proc = self.run(*args, "--json")
        return json.loads(proc.stdout or "null")

    def exists(self) -> bool:
        """Return whether the repository exists (raise when it exists but cannot be opened)."""
        proc = self.run("cat", "config", check=False)
        if proc.returncode == 0:
            return True
        err = proc.stderr.lower()
        if "does not exist" in err or "unable to open config file" in err or "no such file" in err:
            return False
        raise ResticError(f"repository cannot be opened: {tail(proc)}")

    def snapshots(self, *filters: str) -> list[dict[str, Any]]:
        """Given restic filter arguments (--tag, --host, ids), return the snapshots."""
        return list(self.json("snapshots", *filters) or [])

    def forget(self, ids: list[str]) -> None:
        """Given snapshot ids, forget exactly those snapshots."""
        if ids:
            self.run("forget", *ids)

    def forget_tagged(self, tag: str) -> list[str]:
        """Given a tag, forget every snapshot carrying it; return their ids."""
        ids = [s["id"] for s in self.snapshots("--tag", tag)]
        self.forget(ids)
        return ids

    def one_snapshot(self, snapshot: str, latest_filters: list[str]) -> dict[str, Any]:
        """Given a snapshot id (or ``latest`` narrowed by filters), return that one snapshot.

        Raise ResticError if restic fails or the name matches no snapshot or several.
        """
        if snapshot == "latest":
            found = self.snapshots("--latest", "1", *latest_filters)
        else:
            found = self.snapshots(snapshot)
        if len(found) != 1:
            raise ResticError(f"snapshot: {snapshot!r} names {len(found)} snapshots, not one")
        return found[0]

    def backup_from(self, producer: list[str], *args: str) -> Piped:
        """Given a command and `restic backup --stdin` arguments, back up what it writes."""
        return run_piped(producer, self.command(*args), second_env=self.env)

    def dump_into(self, consumer: list[str], *args: str) -> Piped:
        """Given a command and `restic dump` arguments, feed the dumped file to the command."""
        return run_piped(self.command(*args), consumer, first_env=self.env)


def tail(proc: subprocess.CompletedProcess[str], limit: int = 600) -> str:
    """Given a finished process, return the end of its stderr (or stdout), one line."""
    text = (proc.stderr or proc.stdout or "").strip().replace("\n", " | ")
    return text[-limit:]


def summary_of(json_lines: str) -> dict[str, Any]:
    """Given `restic backup --json` output, return its summary message ({} when none)."""
    return summary_from(json_lines.splitlines())


def summary_from(lines: Iterable[str]) -> dict[str, Any]:
    """Given the lines of `restic backup --json` as they come, return its summary ({} when
    none).

    Only a line that names the summary is decoded: status lines (many a second
    without ``-q``) and messages cost a substring test, not a JSON parse.
    """
    summary: dict[str, Any] = {}
    for line in lines:
        line = line.strip()
        if not line.startswith("{") or '"summary"' not in line:
            continue
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if message.get("message_type") == "summary":
            summary = message
    return summary


def restic_from_params(params: dict[str, Any]) -> Restic:
    """Given a module's parameters, return the Restic of its repository."""
    return Restic(
        params["repository"],
        password=params.get("password"),
        password_file=params.get("password_file"),
        env=params.get("env") or {},
        binary=params.get("restic_binary") or "/usr/bin/restic",
    )


def now_utc() -> datetime:
    """Return the current time, aware, in UTC."""
    return datetime.now(UTC)
