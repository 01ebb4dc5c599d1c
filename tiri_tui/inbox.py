"""The inbox: notifications keyed by id, kept newest first, addressable by position.

Built for 100k entries: upsert and remove are a dict operation plus one
bisect and one list insert/delete (a memmove of pointers), and the list
widget reads rows by position without copying anything.
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Iterator

from tiri_tui.models import Notification


class Upsert(enum.Enum):
    """What an upsert did."""

    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


class Inbox:
    """Notifications by id, ordered newest first (ties by id)."""

    def __init__(self) -> None:
        self._by_id: dict[str, Notification] = {}
        #: Ids in display order. Plain ids (shared with the objects), not key
        #: tuples: at 100k rows the tuples alone would cost ~9 MB.
        self._order: list[str] = []
        #: The unread ones: "mark all read" touches only these, never all rows.
        self._unread: set[str] = set()

    def _key(self, notification_id: str) -> tuple[float, str]:
        return self._by_id[notification_id].sort_key

    def _index(self, notification: Notification) -> int:
        return bisect.bisect_left(self._order, notification.sort_key, key=self._key)

    def _insert_at(self, notification: Notification) -> int:
        # Live ones land on top and older pages at the bottom: check both ends
        # before bisecting.
        order = self._order
        key = notification.sort_key
        if not order or key > self._key(order[-1]):
            return len(order)
        if key < self._key(order[0]):
            return 0
        return self._index(notification)

    def __len__(self) -> int:
        return len(self._order)

    def __contains__(self, notification_id: object) -> bool:
        return notification_id in self._by_id

    def __iter__(self) -> Iterator[Notification]:
        by_id = self._by_id
        return (by_id[nid] for nid in self._order)

    def __getitem__(self, position: int) -> Notification:
        return self._by_id[self._order[position]]

    def get(self, notification_id: str) -> Notification | None:
        """The notification with this id, if held."""
        return self._by_id.get(notification_id)

    def position(self, notification_id: str) -> int | None:
        """Where this id stands in the order (0 is the newest)."""
        notification = self._by_id.get(notification_id)
        return None if notification is None else self._index(notification)

    def ids_created_between(self, low: float | None, high: float) -> list[str]:
        """Ids created strictly between ``low`` and ``high`` (Unix seconds; None:
        no lower bound), newest first: two bisections and a slice."""
        order = self._order

        def age(nid: str) -> float:
            return -self._by_id[nid].created_at.timestamp()

        start = bisect.bisect_right(order, -high, key=age)
        end = len(order) if low is None else bisect.bisect_left(order, -low, key=age)
        return order[start:end]

    def upsert(self, notification: Notification) -> Upsert:
        """Insert a new id once, or update a known one in place."""
        old = self._by_id.get(notification.id)
        if notification.is_read:
            self._unread.discard(notification.id)
        else:
            self._unread.add(notification.id)
        if old is not None:
            if old == notification:
                return Upsert.UNCHANGED
            if old.sort_key != notification.sort_key:
                del self._order[self._index(old)]
                self._by_id[notification.id] = notification
                self._order.insert(self._insert_at(notification), notification.id)
            self._by_id[notification.id] = notification
            return Upsert.UPDATED
        # Find the place before the id is known: the key function looks ids up.
        index = self._insert_at(notification)
        self._by_id[notification.id] = notification
        self._order.insert(index, notification.id)
        return Upsert.ADDED

    def remove(self, notification_id: str) -> Notification | None:
        """Remove an id; return what was removed."""
        notification = self._by_id.get(notification_id)
        if notification is not None:
            del self._order[self._index(notification)]
            del self._by_id[notification_id]
            self._unread.discard(notification_id)
        return notification

    def clear(self) -> None:
        """Forget everything."""
        self._by_id.clear()
        self._order.clear()
        self._unread.clear()

    def unread(self) -> int:
        """How many held notifications are unread (the count is the server's to say)."""
        return len(self._unread)

    def unread_ids(self) -> list[str]:
        """The ids of the unread ones held (a copy, in no order)."""
        return list(self._unread)
