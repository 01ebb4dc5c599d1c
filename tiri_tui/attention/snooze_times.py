"""When a snooze ends: the choices offered ("1 hour", "this evening",
"tomorrow morning", "next week") and a time typed in.

Durations are counted in real seconds ("2h" is two hours even across a change
of the clocks); times of day are wall-clock times on their day ("tomorrow
9:00" is 9:00 on tomorrow's clock, summer time or not). What people type as
a date is read by dateparser (loaded when first needed), never by hand; what
it makes of it is shown before it is taken.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from msgspec import Struct

from tiri_tui.attention.do_not_disturb import local_wall_time

#: The latest a snooze may end (further is not a snooze).
LONGEST = 366 * 86400.0
#: When "this evening", "tomorrow morning" and "next week" are.
EVENING = time(18, 0)
MORNING = time(9, 0)
_DURATION = re.compile(
    r"(?:(?:in|for)\s+)?(?:(?P<d>\d+)\s*(?:d|days?)\s*)?(?:(?P<h>\d+)\s*(?:h|hrs?|hours?)\s*)?"
    r"(?:(?P<m>\d+)\s*(?:m|mins?|minutes?))?",
    re.IGNORECASE,
)


class Choice(Struct, frozen=True):
    """One offered end: its words and when it is."""

    words: str
    until: datetime


def choices(now: datetime) -> list[Choice]:
    """What the snooze question offers at ``now`` (an aware local time), soonest first."""
    today, offered = now.date(), []
    offered.append(Choice("1 hour", after(now, 3600)))
    offered.append(Choice("3 hours", after(now, 3 * 3600)))
    evening = local_wall_time(datetime.combine(today, EVENING), now)
    if evening - now >= timedelta(minutes=30):  # not "this evening" ten minutes before it
        offered.append(Choice("this evening", evening))
    else:
        offered.append(Choice("tomorrow evening", _on(today + timedelta(days=1), EVENING, now)))
    offered.append(Choice("tomorrow morning", _on(today + timedelta(days=1), MORNING, now)))
    monday = today + timedelta(days=7 - today.weekday())
    offered.append(Choice("next week", _on(monday, MORNING, now)))
    return sorted(offered, key=lambda choice: choice.until)


def after(now: datetime, seconds: float) -> datetime:
    """``seconds`` of real time after ``now``, in its zone (an aware time plus
    a timedelta moves the wall clock: across the clocks going back, two
    hours from 00:30 would be three)."""
    return (now.astimezone(UTC) + timedelta(seconds=seconds)).astimezone(now.tzinfo)


def _on(day: date, at: time, now: datetime) -> datetime:
    return local_wall_time(datetime.combine(day, at), now)


def typed_until(text: str, now: datetime) -> datetime:
    """When what was typed ends (``45m``, ``in 2 hours``, ``17:30``, ``tomorrow
    9:00``, ``friday 14:00``, ``2026-12-24 08:00``); ValueError saying what
    is wanted."""
    spoken = " ".join(text.split())
    if not spoken:
        raise ValueError("type when: 45m, in 2 hours, 17:30, tomorrow 9:00")
    seconds = _seconds(spoken)
    until = _date_typed(spoken, now) if seconds is None else after(now, seconds)
    if until <= now:
        raise ValueError(f"{until:%a %d %b %H:%M} has passed: type a time to come")
    if (until - now).total_seconds() > LONGEST:
        raise ValueError("a year at most")
    return until


def _seconds(spoken: str) -> float | None:
    """Seconds in a duration (``45m``, ``1h30m``, ``in 2 hours``, a bare
    number of minutes); None: not a duration."""
    if spoken.isdigit():
        seconds = int(spoken) * 60
    else:
        match = _DURATION.fullmatch(spoken)
        if match is None or not any(match.group(k) for k in ("d", "h", "m")):
            return None
        days, hours, minutes = (int(match.group(k) or 0) for k in ("d", "h", "m"))
        seconds = ((days * 24 + hours) * 60 + minutes) * 60
    if seconds <= 0:
        raise ValueError("a snooze must be longer than nothing")
    return float(seconds)


def _date_typed(spoken: str, now: datetime) -> datetime:
    import dateparser  # loaded on the first date typed, not at start

    naive = now.replace(tzinfo=None)
    found = dateparser.parse(
        spoken,
        languages=["en"],
        settings={
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": naive,
            "RETURN_AS_TIMEZONE_AWARE": False,
        },
    )
    if found is None:
        raise ValueError(f"{spoken!r} is not a time: type 45m, in 2 hours, 17:30, tomorrow 9:00")
    return local_wall_time(found, now)
