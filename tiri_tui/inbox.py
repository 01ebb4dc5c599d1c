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
        self._order: list[tuple[float, str]] = []

    def __len__(self) -> int:
        return len(self._order)

    def __contains__(self, notification_id: object) -> bool:
        return notification_id in self._by_id

    def __iter__(self) -> Iterator[Notification]:
        by_id = self._by_id
        return (by_id[key[1]] for key in self._order)

    def __getitem__(self, position: int) -> Notification:
        return self._by_id[self._order[position][1]]

    def get(self, notification_id: str) -> Notification | None:
        """The notification with this id, if held."""
        return self._by_id.get(notification_id)

    def position(self, notification_id: str) -> int | None:
        """Where this id stands in the order (0 is the newest)."""
        notification = self._by_id.get(notification_id)
        if notification is None:
            return None
        return bisect.bisect_left(self._order, notification.sort_key)

    def upsert(self, notification: Notification) -> Upsert:
        """Insert a new id once, or update a known one in place."""
        old = self._by_id.get(notification.id)
        if old is not None:
            if old == notification:
                return Upsert.UNCHANGED
            if old.sort_key != notification.sort_key:
                del self._order[bisect.bisect_left(self._order, old.sort_key)]
                bisect.insort(self._order, notification.sort_key)
            self._by_id[notification.id] = notification
            return Upsert.UPDATED
        self._by_id[notification.id] = notification
        bisect.insort(self._order, notification.sort_key)
        return Upsert.ADDED

    def remove(self, notification_id: str) -> Notification | None:
        """Remove an id; return what was removed."""
        notification = self._by_id.pop(notification_id, None)
        if notification is not None:
            del self._order[bisect.bisect_left(self._order, notification.sort_key)]
        return notification

    def clear(self) -> None:
        """Forget everything."""
        self._by_id.clear()
        self._order.clear()

    def unread(self) -> int:
        """How many held notifications are unread (the count is the server's to say)."""
        return sum(1 for n in self._by_id.values() if not n.is_read)
