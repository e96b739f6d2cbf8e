"""SOP 2.4 grant policy: how long a grant may last, and where its end falls.

The document lets a remote session be extended ("dapat diperpanjang"); the
project bounds a grant's whole life, extensions included, by a maximum
($SOP_GRANT_MAX_DURATION, default 8h) counted from the grant's start, so
repeated short extensions cannot keep a port open: past the maximum a new
grant (a new request) is needed.

Ends are whole seconds, rounded up: the end sop records and the end the
firewall is given are the same second, and a port never closes before it.
A grant with less than MIN_LEFT left when sop is about to change the firewall
is not opened; it is recorded as failed.
"""

from __future__ import annotations

import math
import os
from datetime import datetime, timedelta

from sop_runner import durations
from sop_runner.errors import SopError

DEFAULT_DURATION = "60m"  # SOP 2.4 table step 3: "60 Menit", "Dapat diperpanjang"
DEFAULT_MAX_DURATION = "8h"
MAX_DURATION_ENV = "SOP_GRANT_MAX_DURATION"
# The module firewall_grant keeps the same minimum (MIN_LEFT_SECONDS) when it measures
# the time left at the moment it changes the firewall.
MIN_LEFT = timedelta(seconds=1)
# Grant ids are BIGINT-sized in the store; a larger number is a typo, not a grant.
MAX_GRANT_ID = 2**63 - 1


def max_duration() -> timedelta:
    """Return the longest a grant may last from its start ($SOP_GRANT_MAX_DURATION, 8h).

    Raise SopError naming the variable when it is not a duration.
    """
    text = os.environ.get(MAX_DURATION_ENV, DEFAULT_MAX_DURATION)
    return durations.parse(text, MAX_DURATION_ENV)


def parse_duration(text: str, field: str) -> timedelta:
    """Given '90m', '1h30m', '45s' or a bare number of minutes, return the duration.

    Raise SopError naming the field when it is not a duration above zero or is
    longer than the maximum (huge numbers included: refused before any arithmetic).
    """
    return durations.parse(text, field, maximum=max_duration(), bare_unit="m")


def end_of(start: datetime, duration: timedelta, field: str) -> datetime:
    """Given a start and a duration, return the end: a whole second, rounded up.

    Raise SopError naming the field when the end is past the last time Python
    can hold (a start in the year 9999).
    """
    try:
        end = start + duration
        if end.microsecond:
            end = end.replace(microsecond=0) + timedelta(seconds=1)
    except OverflowError:
        raise SopError(
            f"{field}: {start.isoformat(timespec='seconds')} plus {durations.compact(duration)} "
            "is past the last time sop can hold (9999-12-31); allowed: an earlier time"
        ) from None
    return end


def epoch_seconds(moment: datetime) -> int:
    """Given an aware time, return whole seconds since the epoch, rounded up (never early)."""
    return math.ceil(moment.timestamp())


def check_total(grant_id: int, start: datetime, old_end: datetime, new_end: datetime) -> None:
    """Given a grant's start, its end and a wished later end, raise SopError (naming
    --by) when the grant would last longer than the maximum from its start."""
    cap = max_duration()
    latest = end_of(start, cap, "--by")
    if new_end <= latest:
        return
    room = latest - old_end
    more = f"up to {durations.compact(room)} more" if room.total_seconds() >= 1 else "no more"
    raise SopError(
        f"--by: grant {grant_id} would last {durations.compact(new_end - start)}, over "
        f"{durations.compact(cap)} in total from its start "
        f"({start.isoformat(timespec='seconds')}); allowed: {more} "
        f"(until {latest.isoformat(timespec='seconds')}); to go on, open a new grant"
    )


def too_late(ends: datetime, now: datetime) -> str:
    """Given a grant's end and the moment sop is about to change the firewall, return why
    the grant can no longer be opened ('' when it still can)."""
    left = ends - now
    if left >= MIN_LEFT:
        return ""
    return (
        f"its end {ends.isoformat(timespec='seconds')} came before it reached the firewall "
        f"({max(left.total_seconds(), 0):.1f}s left, at least "
        f"{durations.compact(MIN_LEFT)} needed); the firewall was not touched"
    )


def check_grant_id(grant_id: int) -> int:
    """Given a grant id from the command line, return it; raise SopError when it cannot be one."""
    if not 1 <= grant_id <= MAX_GRANT_ID:
        raise SopError(f"grant: {grant_id} is not a grant id; allowed: 1-{MAX_GRANT_ID}")
    return grant_id
