"""The list as the person sees it: the rows shown, less the snoozed ones, with
those back from a snooze placed by when they came back.

Pure, and built for 100,000 rows with a handful of snoozes: nothing is
copied. The rows are the core's inbox (newest first, by creation); a few ids
are taken out (away, or back and moved), and the ones back are merged in by
the moment they came back, as a row that arrived then would be. Each read
by position costs a bisection or two over the few moved ids; with no snooze
at all it is the inbox's own read.

The creation order underneath is untouched: what the sync decides on spans
of creation time (a gap fill, rows deleted elsewhere) keeps working on it.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable

from tiri_tui.sync.inbox import Inbox
from tiri_tui.sync.snoozes import SnoozeBook
from tiri_tui.wire.models import Notification


class SnoozedRows:
    """Rows by position as the list draws them (a :class:`RowSource`)."""

    def __init__(self, rows: Callable[[], Inbox], book: SnoozeBook | None = None) -> None:
        """``rows``: the inbox shown now (it changes with the filters)."""
        self._rows = rows
        self._book = book or SnoozeBook()
        self._changes = 0
        self._built_for: tuple[int, int, int] | None = None
        self._version = 0
        #: Positions in the inbox of the rows taken out of its order, ascending.
        self._out: list[int] = []
        #: The rows back, newest return first: (return time, notification).
        self._back: list[tuple[float, Notification]] = []
        #: For each row back, how many of the rest stay above it, and where it is drawn.
        self._back_rank: list[int] = []
        self._back_at: list[int] = []

    # -- told --------------------------------------------------------------------------------
    def use(self, book: SnoozeBook) -> bool:
        """Show the rows as ``book`` says (True: it changed what is shown)."""
        if book == self._book:
            return False
        self._book = book
        self._changes += 1
        return True

    @property
    def book(self) -> SnoozeBook:
        return self._book

    # -- the index ---------------------------------------------------------------------------
    def _index(self) -> Inbox:
        """The inbox now, with the index of moved rows built for it."""
        rows = self._rows()
        key = (id(rows), rows.version, self._changes)
        if key == self._built_for:
            return rows
        self._built_for = key
        self._version += 1
        book = self._book
        out: list[int] = []
        back: list[tuple[float, Notification]] = []
        for nid in (*book.away, *book.back):
            position = rows.position(nid)
            if position is None:
                continue
            out.append(position)
            at = book.back.get(nid)
            if at is not None:
                back.append((at, rows[position]))
        out.sort()
        # Newest return first; ties by the greater id first, as the inbox does.
        back.sort(key=lambda entry: (entry[0], entry[1].id), reverse=True)
        self._out, self._back = out, back
        self._back_rank, self._back_at = [], []
        for k, (at, _n) in enumerate(back):
            # The rest created after it came back stay above it.
            above = rows.rows_since(at)
            rank = above - bisect.bisect_left(out, above)
            self._back_rank.append(rank)
            self._back_at.append(rank + k)
        return rows

    @property
    def version(self) -> int:
        """Moves when rows are added, removed or moved, here or in the inbox."""
        self._index()
        return self._version

    # -- reads -------------------------------------------------------------------------------
    def __len__(self) -> int:
        rows = self._index()
        return len(rows) - len(self._out) + len(self._back)

    def __getitem__(self, position: int) -> Notification:
        rows = self._index()
        if not self._out:
            return rows[position]
        count = len(rows) - len(self._out) + len(self._back)
        if position < 0:
            position += count
        if not 0 <= position < count:
            raise IndexError("position out of range")
        back = bisect.bisect_left(self._back_at, position)
        if back < len(self._back_at) and self._back_at[back] == position:
            return self._back[back][1]
        return rows[self._inbox_position(position - back)]

    def _inbox_position(self, rank: int) -> int:
        """Where the ``rank``-th row not taken out stands in the inbox."""
        out, position = self._out, rank
        while True:  # converges in as many steps as taken-out rows lie above
            moved = rank + bisect.bisect_right(out, position)
            if moved == position:
                return position
            position = moved

    def position(self, notification_id: str) -> int | None:
        """Where this id is drawn (None: not held, or snoozed away)."""
        rows = self._index()
        if not self._out:
            return rows.position(notification_id)
        if notification_id in self._book.away:
            return None
        if notification_id in self._book.back:
            for k, (_at, n) in enumerate(self._back):
                if n.id == notification_id:
                    return self._back_at[k]
            return None
        found = rows.position(notification_id)
        if found is None:
            return None
        rank = found - bisect.bisect_left(self._out, found)
        return rank + bisect.bisect_right(self._back_rank, rank)

    def time_at(self, position: int) -> float:
        """The moment a row is placed by: its return for one back, else its creation."""
        rows = self._index()
        if not self._out:
            return rows.time_at(position)
        back = bisect.bisect_left(self._back_at, position)
        if back < len(self._back_at) and self._back_at[back] == position:
            return self._back[back][0]
        return rows.time_at(self._inbox_position(position - back))

    def rows_since(self, moment: float) -> int:
        """How many rows are placed at or after ``moment`` (the day headers' question)."""
        rows = self._index()
        if not self._out:
            return rows.rows_since(moment)
        above = rows.rows_since(moment)
        rest = above - bisect.bisect_left(self._out, above)
        back = sum(1 for at, _n in self._back if at >= moment)
        return rest + back

    def is_back(self, notification_id: str) -> bool:
        """Whether the row is drawn by its return from a snooze."""
        return notification_id in self._book.back
