"""The cache's executor: shows what the cache holds at start, saves what changed.

Reads and writes run on the store thread (``run_io``); what the rows are is
the sync core's to say: the cache's rows go in as a :class:`CacheShown`
event, and a save reads the core's view and reports :class:`SaveTaken` (or
:class:`SaveFailed`). What it keeps itself is only what the disk has.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor, Future
from datetime import datetime
from typing import Any

from tiri_tui.sync.messages import CacheShown, SaveFailed, SaveTaken, SyncEvent
from tiri_tui.sync.state import SyncView
from tiri_tui.sync.store import CacheLoad, NotificationCache
from tiri_tui.wire.models import Notification

log = logging.getLogger(__name__)

#: Cached rows shown before the rest are parsed: more than any terminal is tall.
FIRST_SCREEN = 120
#: Runs a blocking store call on the store thread.
RunIO = Callable[..., Awaitable[Any]]


class CacheWriter:
    """Shows the cache's rows (a first screenful, then the rest) and saves changes."""

    def __init__(
        self,
        cache: NotificationCache,
        view: SyncView,
        report: Callable[[SyncEvent], object],
        store_thread: Executor,
        run_io: RunIO,
    ) -> None:
        self._cache = cache
        self._view = view
        self._report = report
        self._store_thread = store_thread
        self._run_io = run_io
        self._first_screen: Future[CacheLoad] | None = None
        #: The cache holds more than the first screenful shown.
        self._more = False
        #: What is shown came from the cache (until the server confirms it).
        self.shown_from_cache = False
        #: The rows as the cache last had them (its window, ``limit`` at most):
        #: a save writes the kept rows that are not these very objects, so no
        #: bookkeeping grows with the rows held (100,000 ids were ~4 MB).
        self._saved: dict[str, Notification] = {}

    def prefetch(self) -> None:
        """Start reading the first screenful now, on the store thread."""
        if self._first_screen is None:
            self._first_screen = self._store_thread.submit(self._cache.load, 0, FIRST_SCREEN)

    async def show_first_screen(self) -> None:
        """Show the cache's first screenful (read ahead by :meth:`prefetch`)."""
        self.prefetch()
        assert self._first_screen is not None
        head, count, synced_until = await asyncio.wrap_future(self._first_screen)
        self.shown_from_cache = bool(head)
        self._more = len(head) == FIRST_SCREEN
        self._show(head, count, synced_until)

    async def show_rest(self) -> None:
        """Show the rest of the cache (once), after the first screenful."""
        if self._more:
            self._more = False
            self._show((await self._run_io(self._cache.load, FIRST_SCREEN))[0])

    def _show(
        self,
        cached: list[Notification],
        count: int | None = None,
        synced_until: datetime | None = None,
    ) -> None:
        for n in cached:
            self._saved[n.id] = n  # the cache has this very row already
        self._report(CacheShown(cached, count, synced_until))

    async def save_every(self, interval: float) -> None:
        """Save every ``interval`` seconds (each save awaited: they never pile up)."""
        while True:
            await asyncio.sleep(interval)
            await self.save()

    async def save(self) -> None:
        """Write what changed among the rows the cache keeps, on the store thread.

        Only the newest ``limit`` rows are kept, so only they are looked at
        (O(limit) here, however many changed: after loading 100,000 every
        row is "changed"); serialising and writing happen off the loop. A
        filtered list, or one only the cache has shown, is not saved.
        """
        view, cache = self._view, self._cache
        if view.filters.active or (self.shown_from_cache and not view.confirmed):
            return
        if not (view.dirty or view.sync_changed):
            return
        shown = view.shown
        kept = [shown[i] for i in range(min(cache.limit, len(shown)))]
        saved = self._saved
        changed = [n for n in kept if saved.get(n.id) is not n]
        removed = list(view.forgotten)
        self._saved = {n.id: n for n in kept}
        unread, synced_until = view.unread, view.synced_until
        self._report(SaveTaken())
        try:
            await self._run_io(cache.apply, changed, removed, unread, synced_until)
        except Exception:
            log.exception("could not save the cache")
            # Try again at the next save: compare with what the cache really has.
            self._saved = saved
            self._report(SaveFailed(frozenset(removed)))

    async def close(self) -> None:
        """Close the cache's database (after the last save)."""
        await self._run_io(self._cache.close)
