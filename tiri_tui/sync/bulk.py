"""Long runs of work on what is held, in slices: filtering it, marking it all
read, removing the read rows the server cleared.

An executor of the sync core's ``FilterHeld``, ``ReadHeld`` and ``ClearHeld``:
it offers the rows to the core a slice at a time (``HeldSlice``, ``ReadSlice``,
``ClearedSlice``) and lets the event loop in every few milliseconds, so 100,000
rows never freeze keys or paints. The core decides what each slice changes.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Awaitable, Callable
from datetime import datetime

from tiri_tui.connection.pacing import let_others_run
from tiri_tui.sync.inbox import Inbox
from tiri_tui.sync.messages import ClearedSlice, HeldSlice, ReadSlice, SyncEvent
from tiri_tui.sync.rules import Filters

#: Longest run of work on the event loop before yielding (a frame is 16 ms).
SLICE_SECONDS = 0.008
#: Rows offered to the core per event.
SLICE_ROWS = 256


class Bulk:
    """Sliced work on the rows held; ``report`` applies each slice."""

    def __init__(self, report: Callable[[SyncEvent], object]) -> None:
        self._report = report
        #: Rows replaced since the last collection (see :meth:`_collect_young`).
        self._replaced = 0

    def replaced(self, count: int) -> None:
        """The core replaced ``count`` rows (its ``RowsReplaced``)."""
        self._replaced += count

    async def filter_held(
        self, everything: Inbox, filters: Filters, then: Callable[[], Awaitable[object]]
    ) -> None:
        """Offer every held row to the list shown under ``filters``, newest
        first (the top fills first); ``then``: the server's page 1, asked only
        after, so its answer is not overtaken by held rows."""
        if filters.active:
            ids = everything.ids()
            slice_ends = time.perf_counter() + SLICE_SECONDS
            for start in range(0, len(ids), SLICE_ROWS):
                rows = [n for nid in ids[start : start + SLICE_ROWS] if (n := everything.get(nid))]
                self._report(HeldSlice(rows, filters))
                if time.perf_counter() > slice_ends:
                    await let_others_run()
                    slice_ends = time.perf_counter() + SLICE_SECONDS
        await then()

    async def clear_held(self, ids: list[str]) -> None:
        """Offer every held id to the core to remove the read ones (cleared)."""
        slice_ends = time.perf_counter() + SLICE_SECONDS
        for start in range(0, len(ids), SLICE_ROWS):
            self._report(ClearedSlice(ids[start : start + SLICE_ROWS]))
            if time.perf_counter() > slice_ends:
                await let_others_run()
                slice_ends = time.perf_counter() + SLICE_SECONDS

    async def read_held(self, ids: list[str], before: datetime | None) -> None:
        """Turn these held rows read (those created by ``before``, if given)."""
        slice_ends = time.perf_counter() + SLICE_SECONDS
        for start in range(0, len(ids), SLICE_ROWS):
            self._report(ReadSlice(ids[start : start + SLICE_ROWS], before))
            if time.perf_counter() > slice_ends:
                self._collect_young()
                await let_others_run()
                slice_ends = time.perf_counter() + SLICE_SECONDS
        self._collect_young()

    def _collect_young(self) -> None:
        """Collect the young generations now, after a slice of bulk work.

        Replacing 66,000 rows allocates as much as it frees, so the collector's
        counter never trips while it runs: the new rows pile up young, and the
        next collection (any allocation later) walks all of them at once, a
        50-70 ms stall. Collected slice by slice, each walk is one slice's rows.
        """
        if self._replaced:
            self._replaced = 0
            gc.collect(1)
