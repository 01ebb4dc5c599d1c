"""The REST walker: keeps the list in step with the server over HTTP.

The first load, the gap fill after every (re)connect, the fallback refresh
while the socket is down, older pages when asked, and the slow walk that
removes what was deleted elsewhere. It is an executor: it fetches, and
reports every page as an event to the sync core (``report``), which decides
what the page changes and proves (:mod:`tiri_tui.sync.core`). It reads the
list shown, the filters and the connection through the core's read-only view;
its own state is only when and what to walk next.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from typing import Any, Protocol, TypeVar

from tiri_tui.connection.api import TiriApi
from tiri_tui.connection.policy import ConnectionState
from tiri_tui.sync.controller_settings import ControllerSettings, Counters
from tiri_tui.sync.messages import (
    CountArrived,
    FillDone,
    OlderFailed,
    OlderTaken,
    PageOneAnswered,
    PageTaken,
    SyncEvent,
)
from tiri_tui.sync.outbox_sync import OutboxSync
from tiri_tui.sync.rules import (
    Coverage,
    Filters,
    newest_of,
    reconcile_done,
    walk_reached,
)
from tiri_tui.sync.state import SyncView
from tiri_tui.wire.errors import LoginRequired, RateLimited, TiriError, is_transient
from tiri_tui.wire.models import Notification, Page

log = logging.getLogger(__name__)
T = TypeVar("T")
#: Tries of one page within a walk before the walk gives up.
PAGE_ATTEMPTS = 3
#: Page size of the background reconciliation walk (DRF's usual maximum).
RECONCILE_PAGE_SIZE = 100


class Spawn(Protocol):
    """Runs a coroutine as one of the owner's background tasks."""

    def __call__(self, coro: Coroutine[Any, Any, T], name: str, /) -> asyncio.Task[T]: ...


class RestSync:
    """Gap fills, fallback refreshes, paging and reconciliation for one list."""

    def __init__(
        self,
        api: TiriApi,
        outbox: OutboxSync,
        view: SyncView,
        report: Callable[[SyncEvent], object],
        spawn: Spawn,
        counters: Counters,
        settings: ControllerSettings,
        *,
        ask_count: Callable[[], Awaitable[None]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._api = api
        self._outbox = outbox
        self._view = view
        self._report = report
        self._spawn = spawn
        self._counters = counters
        self._settings = settings
        self._ask_count = ask_count
        self._clock = clock
        #: Set once the first page has been taken (or the first load failed).
        self.loaded = asyncio.Event()
        self._epoch = 0  # connections so far: a fill checks it is still on its own
        self._connected_at = 0.0
        #: A broadcast frame came on this connection: the socket is subscribed.
        self._subscribed = False
        self._stopped = False
        self._fill_again = False
        self._gap_task: asyncio.Task[None] | None = None
        self._reconcile_now = asyncio.Event()

    @property
    def _connected(self) -> bool:
        return self._view.connection.state is ConnectionState.CONNECTED

    # -- what the controller tells it ------------------------------------------------------
    def start(self) -> None:
        """The first load, then the fallback and reconciliation loops."""
        self.restart_fill()
        self._spawn(self._fallback_loop(), "tiri-fallback")
        self._spawn(self._reconcile_loop(), "tiri-reconcile")

    def stop(self) -> None:
        """The session ended: no more walks."""
        self._stopped = True

    def connection_up(self) -> None:
        """A connection was made: fill what was missed while there was none."""
        self._epoch += 1
        self._subscribed, self._connected_at = False, self._clock()
        self.restart_fill()
        self._spawn(self._fill_after_grace(self._epoch), "tiri-subscribe-grace")

    def now(self) -> float:
        """The walker's clock (pages are stamped by it; so are live frames)."""
        return self._clock()

    def live_in_gap(self) -> None:
        """A notification frame while a gap is open: the socket is subscribed
        now for sure, so one more fill covers whatever was broadcast before
        the server subscribed it."""
        if not self._subscribed and self._connected:
            self._subscribed = True
            self.restart_fill()

    def reload_page_one(self) -> asyncio.Task[str | None]:
        """Page 1 of the filters now in force (the core judged what is held)."""
        return self._spawn(self._refresh_page_one(), "tiri-filter-reload")

    def refresh(self) -> asyncio.Task[str | None]:
        """Page 1, the count and the outbox now; the rest of the held list is
        walked for deletions in the background. The task's result: why the
        refresh failed, in words (None: it did not)."""
        if not self._stopped:
            self._reconcile_now.set()
        return self._spawn(self._refresh_page_one(), "tiri-refresh")

    def fetch_older(self, url: str, chain: int) -> asyncio.Task[None]:
        """Fetch the older page the core asked for (``FetchOlder``)."""
        return self._spawn(self._fetch_older(url, chain), "tiri-load-more")

    def restart_fill(self) -> None:
        """Fill the gap. A fill already walking is left to finish (its pages are
        progress; cancelling it at every reconnect starves a long walk for ever
        under flapping) and another follows it."""
        self._fill_again = True
        if self._gap_task is None or self._gap_task.done():
            self._gap_task = self._spawn(self._fill_until_current(), "tiri-gap-fill")

    async def count_unread(self, filters: Filters) -> int:
        """The server's count of unread notifications these filters show (a saved
        view's tab): one page-size-1 request per type the server must filter on."""
        kinds = sorted(filters.types) if filters.types and len(filters.types) > 1 else [None]
        total = 0
        for kind in kinds:
            page = await self._api.list(
                page_size=1,
                is_read=False,
                notification_type=kind or filters.server_type,
                priority=filters.priority,
                search=filters.search,
            )
            total += page.count
        return total

    # -- gap fills --------------------------------------------------------------------------
    async def _fill_until_current(self) -> None:
        while self._fill_again:
            self._fill_again = False
            await self._guarded(self._fill_gap(), "loading over REST")
            self.loaded.set()

    async def _fill_after_grace(self, epoch: int) -> None:
        """Once the subscribe grace has passed with no broadcast seen, one more
        fill closes the gap (a quiet account gets no frame to prove it)."""
        await asyncio.sleep(self._settings.subscribe_grace)
        if epoch == self._epoch and self._view.gap_open:
            self.restart_fill()

    async def _fill_gap(self) -> None:
        """Fetch newest-first down to what is already in sync; refresh the count; replay.

        The sync point is the server time up to which nothing is missing. A
        fill walks pages until one reaches it (however many: past
        ``gap_fill_max_pages`` at a gentler pace); the core then moves it up
        to the newest it fetched. A fill cut short by a fault moves nothing,
        so the next one walks down into the same hole again. It closes the
        gap if it began on the connection still up, once that socket was known
        (or can be assumed) to be subscribed.
        """
        synced, epoch = self._view.synced_until, self._epoch
        subscribed = self._connected and (
            self._subscribed or self._clock() - self._connected_at >= self._settings.subscribe_grace
        )
        filters = self._view.filters
        coverage = self._coverage(filters)
        newest: datetime | None = None
        url: str | None = None
        pages = 0
        while True:
            asked = self._clock()
            held_before = self._held_before(self._settings.page_size) if pages == 0 else frozenset()
            page = await self._page(url, filters)
            self._take_page(
                page, coverage, filters, first=pages == 0, fetched_at=asked, held_before=held_before
            )
            if filters != self._view.filters:
                # A walk of the list left behind proves nothing of this one:
                # another walks it (the gap stays open until one has).
                self._fill_again = True
                return
            if pages == 0:
                self.loaded.set()  # the newest are shown; the rest may take a while
                newest = newest_of(page)
            url = page.next
            if walk_reached(page, synced):
                break
            pages += 1
            if pages >= self._settings.gap_fill_max_pages:
                # A gap this large (a week away?) is walked to its end all the
                # same, or what lies below would never be shown; gently.
                if pages == self._settings.gap_fill_max_pages:
                    log.info("gap larger than %d pages: walking the rest", pages)
                await asyncio.sleep(self._settings.reconcile_page_delay)
        closes = subscribed and epoch == self._epoch and self._connected
        self._report(FillDone(newest, closes_gap=closes))
        if closes:
            log.debug("gap closed by a fill (connection #%d)", epoch)
        await self._refresh_count(page, asked)
        self._counters.gap_fills += 1
        await self._outbox.flush()
        await self._ask_count()

    async def _page(self, url: str | None, filters: Filters) -> Page:
        """One page of a walk, tried again on a transient failure (by the REST
        client's gate) rather than abandoning the whole walk: its pages so far
        settle nothing."""
        if url:
            return await self._api.follow(url, attempts=PAGE_ATTEMPTS)
        return await self._first_page(filters, attempts=PAGE_ATTEMPTS)

    async def _first_page(
        self, f: Filters, page_size: int | None = None, *, attempts: int = 1
    ) -> Page:
        return await self._api.list(
            attempts=attempts,
            page_size=page_size or self._settings.page_size,
            is_read=False if f.unread_only else None,
            notification_type=f.server_type,
            priority=f.priority,
            search=f.search,
        )

    @staticmethod
    def _coverage(filters: Filters) -> Coverage:
        """A fresh account of what the next walk proves (see :class:`Coverage`)."""
        return Coverage(grows_only_at_top=not filters.active)

    def _held_before(self, page_size: int) -> frozenset[str]:
        """What is shown as page 1 is asked for: only these can page 1 prove
        deleted above its oldest row (what comes after may be newer than the
        server's answer). Twice a page: the rows it will list, and as many
        deleted above them again (more are found by the next walk)."""
        return frozenset(self._view.shown.newest_ids(2 * page_size))

    def _rebased(self, rows: list[Notification], fetched_at: float) -> list[Notification]:
        """The server's copies with the person's intents on top: what they
        changed after ``fetched_at`` wins (None from the outbox: deleted here)."""
        out = []
        for n in rows:
            rebased = self._outbox.rebase(n, fetched_at)
            if rebased is not None:
                out.append(rebased)
        return out

    def _take_page(
        self,
        page: Page,
        coverage: Coverage,
        filters: Filters,
        *,
        first: bool,
        fetched_at: float,
        held_before: frozenset[str] = frozenset(),
    ) -> None:
        """Report a page of a walk asked for under ``filters`` (what it proves
        counts only if they are still in force)."""
        self._counters.items_rejected += len(page.rejected)
        proven = coverage.add(page) if filters == self._view.filters else None
        rows = self._rebased(page.results, fetched_at)
        pending = self._outbox.has_pending
        self._report(
            PageTaken(page, rows, filters, first, proven, held_before, pending, fetched_at)
        )

    async def _refresh_count(self, page: Page | None = None, asked: float = -math.inf) -> None:
        """The server's count: the one ``page`` (asked for at ``asked``) carries, else asked now."""
        pending = self._outbox.pending_count
        if page is not None and page.total_unread_count is not None and not pending:
            self._report(CountArrived(page.total_unread_count, asked))
            return
        asked = self._clock()
        count = await self._api.unread_count()
        self._report(CountArrived(self._outbox.rebase_count(count), asked))

    # -- page 1, paging ------------------------------------------------------------------------
    async def _refresh_page_one(self) -> str | None:
        async def refresh() -> None:
            asked, filters = self._clock(), self._view.filters
            held_before = self._held_before(self._settings.page_size)
            page = await self._first_page(filters)
            self._take_page(
                page,
                self._coverage(filters),
                filters,
                first=True,
                fetched_at=asked,
                held_before=held_before,
            )
            if filters != self._view.filters:
                return  # the reload for the filters now in force answers for them
            await self._refresh_count(page, asked)
            self._report(PageOneAnswered())
            await self._outbox.flush()

        return await self._guarded(refresh(), "refresh over REST")

    async def _fetch_older(self, url: str, chain: int) -> None:
        asked = self._clock()
        try:
            page = await self._api.follow(url)
        except LoginRequired:
            # The REST client's gate has ended the session; the login form says why.
            self._report(OlderFailed(chain, None, final=False))
            return
        except (TiriError, OSError) as exc:
            # Another server's link, a malformed page, a 4xx: trying the same
            # link again cannot help (final), so the list ends there.
            reason = str(exc) or type(exc).__name__
            self._report(OlderFailed(chain, reason, final=not is_transient(exc)))
            log.info("loading more failed: %s", exc)
            return
        except BaseException:
            # Nothing is on its way now (and a fill must not ask again at once).
            self._report(OlderFailed(chain, "interrupted", final=False))
            raise
        self._counters.items_rejected += len(page.rejected)
        rows = self._rebased(page.results, asked)
        self._report(OlderTaken(page, rows, chain, self._outbox.has_pending, asked))

    # -- loops -----------------------------------------------------------------------------------
    async def _fallback_loop(self) -> None:
        """While not connected (or a gap is still open), fill it over REST every interval.

        A whole gap fill, not only page 1: more than a page may arrive between
        two ticks, and none may be skipped.
        """
        while not self._stopped:
            await asyncio.sleep(self._settings.fallback_interval)
            if self._stopped:
                break
            if self._connected and not self._view.gap_open:
                continue  # live and in sync: nothing to do
            if self._api.paused_for() > 0:
                continue  # the server asked us to wait (429 Retry-After)
            self._counters.fallback_refreshes += 1
            # One walk at a time: a tick during a long walk queues the next one.
            self.restart_fill()
            if self._gap_task is not None:
                await asyncio.wait({self._gap_task})

    async def _reconcile_loop(self) -> None:
        """Now and then (and at once when asked: ``R``), walk the whole held span
        to remove what was deleted elsewhere (no frame announces a deletion),
        a page at a time, slowly."""
        while not self._stopped:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a
            # cancellation that comes as the wait ends (R pressed while quitting),
            # and this loop then outlived the controller's close.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._settings.reconcile_interval):
                    await self._reconcile_now.wait()
            self._reconcile_now.clear()
            if self._view.filters.active or self._api.paused_for() > 0:
                continue  # a filtered list is reloaded whole when it changes
            await self._guarded(self._reconcile(), "reconciling with the server")

    async def _reconcile(self) -> None:
        filters = self._view.filters
        coverage = self._coverage(filters)
        url: str | None = None
        followed: set[str] = set()
        while True:
            asked = self._clock()
            held_before = frozenset() if url else self._held_before(RECONCILE_PAGE_SIZE)
            page = await (
                self._api.follow(url) if url else self._first_page(filters, RECONCILE_PAGE_SIZE)
            )
            if self._view.filters != filters:
                return  # the list was reset meanwhile: this walk proves nothing of it
            self._take_page(
                page, coverage, filters, first=False, fetched_at=asked, held_before=held_before
            )
            shown = self._view.shown
            held_oldest = shown[-1].created_at if len(shown) else None
            if reconcile_done(page, held_oldest, followed):
                return
            url = page.next
            assert url is not None
            followed.add(url)
            await asyncio.sleep(self._settings.reconcile_page_delay)

    async def _guarded(self, walk: Coroutine[Any, Any, None], what: str) -> str | None:
        """Run a walk; what stops it is handled here, the same for every walk.
        Why it failed, in words (None: it did not)."""
        try:
            await walk
        except LoginRequired:
            return None  # the REST client's gate has ended the session; the login form says why
        except (TiriError, OSError) as exc:
            self._counters.walks_failed += 1
            self._counters.last_walk_failure = str(exc)
            if isinstance(exc, RateLimited):  # the client waits as the server asked
                log.info("rate limited: no REST call for %.0f s", self._api.paused_for())
            else:
                log.info("%s failed: %s", what, exc)
            return str(exc) or type(exc).__name__
        return None
