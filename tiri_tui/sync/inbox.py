"""The inbox: notifications keyed by id, kept newest first, addressable by position.

Built for 100k entries: a live arrival is a dict operation and two appends;
other upserts and removals a bisection and an insert/delete (a memmove of
pointers); the list widget reads rows by position without copying anything.
"""

from __future__ import annotations

import bisect
import enum
from array import array
from collections.abc import Iterator

from tiri_tui.wire.models import Notification


class Upsert(enum.Enum):
    """What an upsert did."""

    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


class Inbox:
    """Notifications by id, ordered newest first (ties: the greater id first)."""

    def __init__(self) -> None:
        self._by_id: dict[str, Notification] = {}
        #: Ids oldest first (the reverse of display order): a live arrival is
        #: the newest, and appending costs nothing where inserting at the
        #: front moved 100,000 pointers. Plain ids (shared with the objects),
        #: not key tuples: at 100k rows the tuples alone would cost ~9 MB.
        self._order: list[str] = []
        #: Each row's creation time, aligned with ``_order`` (ascending):
        #: places are found by C-level bisection over plain doubles (8 bytes a
        #: row) instead of a Python key function building tuples per comparison.
        self._times = array("d")
        #: How many are unread (a count, not a set of ids: 4 MB at 100,000 rows).
        self._unread = 0
        #: Moves whenever a row is added, removed or moved (not when one only
        #: changes in place): what depends on the order knows when to look again.
        self.version = 0

    def _slot(self, notification: Notification) -> int:
        """Where this notification is, or would be, in ``_order`` (by time, then id)."""
        moment = notification.created_at.timestamp()
        times = self._times
        if not times or moment > times[-1]:
            return len(times)  # the newest: the common case, no search
        low = bisect.bisect_left(times, moment)
        high = bisect.bisect_right(times, moment, low)
        return bisect.bisect_left(self._order, notification.id, low, high) if low < high else low

    def _insert(self, notification: Notification) -> None:
        self.version += 1
        slot = self._slot(notification)
        self._order.insert(slot, notification.id)
        self._times.insert(slot, notification.created_at.timestamp())

    def _delete(self, notification: Notification) -> None:
        self.version += 1
        slot = self._slot(notification)
        del self._order[slot]
        del self._times[slot]

    def __len__(self) -> int:
        return len(self._order)

    def __contains__(self, notification_id: object) -> bool:
        return notification_id in self._by_id

    def __iter__(self) -> Iterator[Notification]:
        by_id = self._by_id
        return (by_id[nid] for nid in reversed(self._order))

    def __getitem__(self, position: int) -> Notification:
        """The row at ``position`` (0 is the newest; negative counts from the oldest)."""
        count = len(self._order)
        if position < 0:
            position += count
        if not 0 <= position < count:
            raise IndexError("inbox position out of range")
        return self._by_id[self._order[count - 1 - position]]

    def get(self, notification_id: str) -> Notification | None:
        """The notification with this id, if held."""
        return self._by_id.get(notification_id)

    def position(self, notification_id: str) -> int | None:
        """Where this id stands in the order (0 is the newest)."""
        notification = self._by_id.get(notification_id)
        return None if notification is None else len(self._order) - 1 - self._slot(notification)

    def time_at(self, position: int) -> float:
        """When the row at ``position`` (0 is the newest) was created, in Unix seconds."""
        return self._times[len(self._times) - 1 - position]

    def rows_since(self, moment: float) -> int:
        """How many rows were created at or after ``moment`` (Unix seconds): the
        position of the first older one. One bisection."""
        return len(self._times) - bisect.bisect_left(self._times, moment)

    def ids_created_between(self, low: float | None, high: float) -> list[str]:
        """Ids created strictly between ``low`` and ``high`` (Unix seconds; None:
        no lower bound), newest first: two bisections and a slice."""
        start = 0 if low is None else bisect.bisect_right(self._times, low)
        end = bisect.bisect_left(self._times, high)
        return self._order[start:end][::-1]

    def rows_created_between(self, low: float | None, high: float) -> list[tuple[str, float]]:
        """Like :meth:`ids_created_between`, each id with its creation time."""
        start = 0 if low is None else bisect.bisect_right(self._times, low)
        end = bisect.bisect_left(self._times, high)
        return list(zip(self._order[start:end], self._times[start:end], strict=True))[::-1]

    def newest_ids(self, count: int) -> list[str]:
        """The ids of the ``count`` newest rows (a slice: no pass over the rest)."""
        return self._order[-count:] if count > 0 else []

    def upsert(self, notification: Notification) -> Upsert:
        """Insert a new id once, or update a known one in place."""
        old = self._by_id.get(notification.id)
        if old is not None:
            if old == notification:
                return Upsert.UNCHANGED
            self._unread += old.is_read - notification.is_read
            if old.created_at != notification.created_at:
                self._delete(old)
                self._insert(notification)
            self._by_id[notification.id] = notification
            return Upsert.UPDATED
        self._insert(notification)
        self._by_id[notification.id] = notification
        self._unread += not notification.is_read
        return Upsert.ADDED

    def remove(self, notification_id: str) -> Notification | None:
        """Remove an id; return what was removed."""
        notification = self._by_id.get(notification_id)
        if notification is not None:
            self._delete(notification)
            del self._by_id[notification_id]
            self._unread -= not notification.is_read
        return notification

    def clear(self) -> None:
        """Forget everything."""
        self._by_id.clear()
        self._order.clear()
        del self._times[:]
        self._unread = 0
        self.version += 1

    def unread(self) -> int:
        """How many held notifications are unread (the count is the server's to say)."""
        return self._unread

    def ids(self) -> list[str]:
        """Every id held, newest first (a copy: one C-level copy of pointers)."""
        return self._order[::-1]
