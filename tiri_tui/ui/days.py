"""The list grouped by calendar day (local time): a header line before each
day's first row — "Today", "Yesterday", "Mon 23 Nov" — drawn like a row,
never a widget, so 100,000 rows still cost what the visible ones cost.

Rows are kept newest first, so each day is one run of positions: finding
where the next day starts is one bisection over the inbox's creation times
(:meth:`Inbox.rows_since`). A list of a thousand days is indexed in a
thousand bisections, again only when rows were added, removed or moved.
"""

from __future__ import annotations

import bisect
import time
from datetime import datetime, timedelta
from typing import Protocol

from tiri_tui.wire.models import Notification


class DaySource(Protocol):
    """What the index reads: rows by position, and how many are at least so new."""

    def __len__(self) -> int: ...

    def __getitem__(self, position: int) -> Notification: ...

    def time_at(self, position: int) -> float:
        """When the row at ``position`` was created (Unix seconds)."""

    def rows_since(self, moment: float) -> int:
        """How many rows were created at or after ``moment`` (Unix seconds)."""


def local_midnight(moment: float) -> float:
    """The start of ``moment``'s local calendar day.

    The time of day taken off is right unless the clocks changed since
    midnight (twice a year, where DST is kept): checked, and then mktime
    decides, which costs twice as much.
    """
    day = time.localtime(moment)
    guess = moment - (day.tm_hour * 3600 + day.tm_min * 60 + day.tm_sec) - moment % 1
    check = time.localtime(guess)
    if check.tm_hour == check.tm_min == check.tm_sec == 0 and check.tm_mday == day.tm_mday:
        return guess
    return time.mktime((day.tm_year, day.tm_mon, day.tm_mday, 0, 0, 0, 0, 0, -1))


def day_label(created: datetime, now: datetime) -> str:
    """``Today``, ``Yesterday``, ``Mon 23 Nov``, or ``Mon 23 Nov 2025`` (another year)."""
    local = created.astimezone()
    today = now.astimezone().date()
    if local.date() == today:
        return "Today"
    if local.date() == today - timedelta(days=1):
        return "Yesterday"
    label = f"{local:%a} {local.day} {local:%b}"
    return label if local.year == today.year else f"{label} {local.year}"


class DayIndex:
    """Where the headers go: line ↔ row mapping for a list with a header per day."""

    def __init__(self) -> None:
        #: The position of each day's first row, top down.
        self.starts: list[int] = []
        #: The line of each day's header: ``starts[k] + k``.
        self._header_lines: list[int] = []
        self._rows = 0
        self._built_for: tuple[int, int] | None = None
        #: The top row when last indexed, and its day: arrivals above it in the
        #: same day only shift the index (the common case: every live arrival).
        self._top: tuple[str, float] | None = None

    def update(self, source: DaySource, version: int) -> bool:
        """Index ``source`` again if it changed (``version``: the inbox's); True if it did."""
        key = (id(source), version)
        if key == self._built_for:
            return False
        added = len(source) - self._rows
        if (
            self._built_for is not None
            and self._built_for[0] == id(source)
            and self._top is not None
            and 0 < added == version - self._built_for[1]  # only insertions, as many as rows
            and source[added].id == self._top[0]  # all of them above the old top
            and local_midnight(source.time_at(0)) == self._top[1]  # on the same day
        ):
            self.starts = [0, *(start + added for start in self.starts[1:])]
        else:
            self.starts = self._index(source)
        self._built_for = key
        self._rows = len(source)
        self._top = (source[0].id, local_midnight(source.time_at(0))) if self._rows else None
        self._header_lines = [start + k for k, start in enumerate(self.starts)]
        return True

    @staticmethod
    def _index(source: DaySource) -> list[int]:
        """Each day's first position: one bisection a day."""
        starts: list[int] = []
        position, count = 0, len(source)
        while position < count:
            starts.append(position)
            midnight = local_midnight(source.time_at(position))
            # Never stuck: a row at (or past) midnight's instant still moves on.
            position = max(position + 1, source.rows_since(midnight))
        return starts

    @property
    def lines(self) -> int:
        """Rows plus headers."""
        return self._rows + len(self.starts)

    def at_line(self, line: int) -> tuple[int, bool]:
        """(row, True) for a header line (the row that day starts with), else (row, False)."""
        day = bisect.bisect_right(self._header_lines, line) - 1
        if day < 0:
            return 0, True
        if self._header_lines[day] == line:
            return self.starts[day], True
        return line - day - 1, False

    def line_of(self, row: int) -> int:
        """The line a row is drawn on."""
        return row + bisect.bisect_right(self.starts, row)

    def starts_day(self, row: int) -> bool:
        """The row is the first of its day (its header is the line above it)."""
        at = bisect.bisect_left(self.starts, row)
        return at < len(self.starts) and self.starts[at] == row
