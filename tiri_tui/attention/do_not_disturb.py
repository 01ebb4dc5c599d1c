"""Do not disturb: silence for a while (a meeting, an evening), then one line
and one alert that say what came meanwhile.

Pure decisions, no I/O: the state (since when, until when), the time left in
words, the durations and times of day a person types, and what the catch-up
says. One state serves every face on the machine: it is kept in a file
(:mod:`tiri_tui.settings.do_not_disturb_file`) that each face watches.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import datetime, time, timedelta

from msgspec import Struct

from tiri_tui.sync.inbox import Inbox
from tiri_tui.wire.models import Notification

_DURATION = re.compile(r"(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m(?:in)?)?", re.IGNORECASE)
_TIME_OF_DAY = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
#: The longest silence a duration may ask for (a week: longer is "until off").
LONGEST = 7 * 86400


class DoNotDisturb(Struct, frozen=True):
    """Silence from ``since`` until ``until`` (Unix seconds; None: until turned off)."""

    since: float
    until: float | None = None

    def active(self, now: float) -> bool:
        return self.until is None or now < self.until

    def left(self, now: float) -> str:
        """The time left in words, for the header and `dnd status`."""
        if self.until is None:
            return "until turned off"
        return in_words(max(0.0, self.until - now))


def in_words(seconds: float) -> str:
    """``52m``, ``1h 05m``, ``2d 3h``, counting a minute begun (59m 30s is
    ``1h``); nothing left, ``0m``."""
    minutes = math.ceil(seconds / 60)
    if minutes < 1:
        return "0m"
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes:02d}m" if minutes else f"{hours}h"
    return f"{minutes}m"


def duration(text: str) -> float:
    """Seconds in ``1h``, ``90m``, ``1h30m``, ``2d`` (a bare number is minutes);
    ValueError saying what is wanted."""
    spoken = text.strip()
    if spoken.isdigit():
        seconds = int(spoken) * 60
    else:
        match = _DURATION.fullmatch(spoken)
        if match is None or not any(match.groups()):
            raise ValueError(f"{spoken!r} is not a duration: write 30m, 1h, 1h30m or 2d")
        days, hours, minutes = (int(g or 0) for g in match.groups())
        seconds = ((days * 24 + hours) * 60 + minutes) * 60
    if seconds <= 0:
        raise ValueError("a duration must be longer than nothing")
    if seconds > LONGEST:
        raise ValueError("a week at most: for longer, turn it on with no end")
    return float(seconds)


def next_time_of_day(text: str, now: datetime) -> datetime:
    """The next ``HH:MM`` after ``now`` (an aware local time): today if it is
    still to come, else tomorrow. The wall-clock time is kept across a change
    of offset (summer time): ``18:00`` is 18:00 on that day's clock."""
    match = _TIME_OF_DAY.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text.strip()!r} is not a time of day: write 18:00")
    wanted = time(int(match.group(1)), int(match.group(2)))
    day = now.date()  # in the zone ``now`` is given in: the person's
    for offset in (0, 1):
        candidate = local_wall_time(datetime.combine(day + timedelta(days=offset), wanted), now)
        if candidate > now:
            return candidate
    raise AssertionError("unreachable")  # pragma: no cover


def local_wall_time(naive: datetime, like: datetime) -> datetime:
    """A wall-clock time in the zone of ``like`` (its offset on that date)."""
    zone = like.tzinfo
    if zone is not None and hasattr(zone, "key"):  # a ZoneInfo: it knows every date's offset
        return naive.replace(tzinfo=zone)
    return naive.astimezone()  # the system's zone, on that date


#: The rows a catch-up looks through at most (a week away may hold more).
COUNTED = 10_000


class Away(Struct):
    """What came while it was on."""

    new: int = 0
    urgent: int = 0
    newest: Notification | None = None
    #: More came than were looked through (said as ``10,000+``).
    more: bool = False

    def add(self, n: Notification) -> None:
        self.new += 1
        self.urgent += n.priority == "urgent"
        if self.newest is None or n.created_at >= self.newest.created_at:
            self.newest = n

    def line(self) -> str:
        """The catch-up: ``While you were away: 14 new, 2 urgent``."""
        if not self.new:
            return "Do not disturb is over: nothing new while you were away"
        plus = "+" if self.more else ""
        urgent = f", {self.urgent:,}{plus} urgent" if self.urgent else ""
        return f"While you were away: {self.new:,}{plus} new{urgent}"


def away_from_held(
    held: Inbox, span: DoNotDisturb, worth_telling: Callable[[Notification], bool]
) -> Away:
    """What the list holds that came within ``span`` (from its start to its
    end; no end: until now) and is still unread and ``worth_telling`` (not
    muted by a rule): the same count in every face, whenever it was opened.
    The rows are newest first: two bisections find them, and only they are
    looked at."""
    away = Away()
    after = 0 if span.until is None else held.rows_since(span.until)
    came = held.rows_since(span.since) - after
    for position in range(after, after + min(came, COUNTED)):
        n = held[position]
        if not n.is_read and worth_telling(n):
            away.add(n)
    away.more = came > COUNTED
    return away
