"""Following the snoozes on disk: what a face (or the agent) shows of them,
and bringing the due ones back.

Twice a second, on a thread, the store is asked whether anything was written
(one pragma; the rows are read only when it was). Each snooze that is due is
claimed; the one process whose claim took says it came back (``claimed``),
the others only see it back. Due times are judged on the wall clock at every
look: a timer would run on the monotonic clock, which stands still while a
laptop sleeps, and a snooze until 9:00 must come back at 9:00.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from tiri_tui.sync.snooze_store import SnoozeStore
from tiri_tui.sync.snoozes import Snooze, SnoozeBook
from tiri_tui.wire.models import Notification

#: How often the store is looked at (a snooze made elsewhere shows within this).
POLL = 0.5


class SnoozeFollower:
    """One account's snoozes as this process follows them."""

    def __init__(
        self,
        store: SnoozeStore,
        *,
        told: Callable[[SnoozeBook], None],
        returned: Callable[[Snooze, bool], None],
        wall: Callable[[], float] = time.time,
        claims: Callable[[], bool] = lambda: True,
    ) -> None:
        """``told``: the book, at first and at each change; ``returned``: a
        snooze that came back, and whether this process brought it back (it
        alone alerts and marks it unread); ``claims``: whether this process
        brings due ones back now (the agent leaves it to the dashboards open)."""
        self._store = store
        self._claims = claims
        self._told = told
        self._returned = returned
        self._wall = wall
        self._lock = asyncio.Lock()
        #: The book as last told (None: not read yet).
        self.book: SnoozeBook | None = None

    async def follow(
        self, *, every: float = POLL, alive: Callable[[], bool] = lambda: True
    ) -> None:
        """Look now and every ``every`` seconds while ``alive()``."""
        try:
            while alive():
                await self.look()
                await asyncio.sleep(every)
        finally:
            await asyncio.to_thread(self._store.close)

    async def look(self) -> None:
        """One look: read what changed, claim what is due, tell what is new."""
        async with self._lock:
            now = self._wall()
            store = self._store
            book = await asyncio.to_thread(store.read, now, if_changed=self.book is not None)
            current = book or self.book
            claimed: set[str] = set()
            if current is not None and self._claims():
                for snooze in current.due(now):
                    if await asyncio.to_thread(store.claim, snooze.id, now):
                        claimed.add(snooze.id)
                if claimed:
                    book = await asyncio.to_thread(store.read, now)
            if book is None:
                return
            before, self.book = self.book, book
            self._told(book)
            if before is None:
                came_back = claimed
            else:
                came_back = {nid for nid in book.back if nid in before.away} | claimed
            for nid in sorted(came_back):
                back = book.get(nid)
                if back is not None:
                    self._returned(back, nid in claimed)

    async def snooze(self, notification: Notification, until: float) -> None:
        """Put it away (on disk first), then show it so at once."""
        await asyncio.to_thread(self._store.snooze, notification, until)
        await self.look()

    async def unsnooze(self, notification_id: str) -> bool:
        """Bring it back where it was made (not as new); whether it was snoozed."""
        done = await asyncio.to_thread(self._store.unsnooze, notification_id)
        await self.look()
        return done
