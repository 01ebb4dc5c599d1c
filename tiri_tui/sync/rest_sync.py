"""Keeping the list in step with the server over REST: an object the controller holds.

The first load, the gap fill after every (re)connect, the fallback refresh
while the socket is down, paging further back, and the slow walk that
removes what was deleted elsewhere. It owns its state (the sync watermark,
whether a gap is open, the next page, Retry-After) and talks back to its
owner through the small :class:`SyncHost` interface. The decisions themselves
(did a page reach the sync point, what a walk proved deleted) are the pure
functions of :mod:`tiri_tui.sync.rules`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from typing import Any, Protocol

from tiri_tui.connection.api import TiriApi
from tiri_tui.sync.controller_settings import ControllerSettings, Counters
from tiri_tui.sync.inbox import Inbox
from tiri_tui.sync.outbox_sync import OutboxSync
from tiri_tui.sync.rules import (
    Coverage,
    Filters,
    Vanished,
    advanced_watermark,
    deleted_elsewhere,
    newest_of,
    reconcile_done,
    walk_reached,
)
from tiri_tui.wire.errors import LoginRequired, RateLimited, TiriError, is_transient
from tiri_tui.wire.models import Notification, Page

log = logging.getLogger(__name__)
#: Tries of one page within a walk before the walk gives up.
PAGE_ATTEMPTS = 3
#: Page size of the background reconciliation walk (DRF's usual maximum).
RECONCILE_PAGE_SIZE = 100


class SyncHost(Protocol):
    """What the REST sync asks of its owner."""

    def accept(
        self, notifications: list[Notification], *, live: bool, fetched_at: float | None = None
    ) -> None:
        """Take the server's copies (the owner applies the user's intents on top)."""

    def remove(self, notification_id: str) -> None:
        """Forget one the server no longer has."""

    def set_unread(self, count: int) -> None:
        """The authoritative unread count."""

    def end_session(self) -> None:
        """Only a new login helps."""

    def answered(self) -> None:
        """The server answered where it had not yet (see ``ServerAnswered``)."""

    def spawn(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        """Run ``coro`` as one of the owner's background tasks."""


class RestSync:
    """Gap fills, fallback refreshes, paging and reconciliation for one list."""

    def __init__(
        self,
        api: TiriApi,
        outbox: OutboxSync,
        inbox: Inbox,
        host: SyncHost,
        counters: Counters,
        settings: ControllerSettings,
        *,
        ask_count: Callable[[], Awaitable[None]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._api = api
        self._outbox = outbox
        self._inbox = inbox
        #: The server has answered for the current filters (the list shown is
        #: not only what was held when they changed).
        self.filters_answered = True
        self._host = host
        self._counters = counters
        self._settings = settings
        self._ask_count = ask_count
        self._clock = clock
        self.filters = Filters()
        #: Server time up to which nothing is missing (None: nothing synced yet).
        self.synced_until: datetime | None = None
        #: The watermark moved since the owner last saved it.
        self.sync_changed = False
        #: A disconnect opened a gap that no completed fill has closed yet.
        self.gap_open = True
        #: The server has answered at least once (what is shown is not only cached).
        self.confirmed = False
        #: A page came since the socket last went down (or ever, before it
        #: first came up): without the socket, what is shown is still the
        #: server's — e.g. while only the socket's Origin is refused.
        self.answered_since_down = False
        self.has_more = False
        #: Set once the first page has been taken (or the first load failed).
        self.loaded = asyncio.Event()
        self._connected = False
        self._epoch = 0  # connections so far: a fill checks it is still on its own
        self._connected_at = 0.0
        #: A broadcast frame came on this connection: the socket is subscribed.
        self._subscribed = False
        self._stopped = False
        self._fill_again = False
        self._gap_task: asyncio.Task[None] | None = None
        self._next_url: str | None = None
        #: Pages in the paging chain of the current filters (0: none yet). A
        #: page 1 read again (a gap fill, R) starts no new chain once paging
        #: went further: the older pages reached stay reached, and the next
        #: link stays the one below them.
        self._chain_depth = 0
        self._more_task: asyncio.Task[None] | None = None
        #: Why the last attempt to load older notifications failed (None: it did not).
        self.more_failure: str | None = None
        #: Page URLs followed since the last page 1: a ``next`` leading back loops.
        self._followed: set[str] = set()
        self._more_coverage = self._coverage()
        self._reconcile_now = asyncio.Event()

    # -- what the owner tells it -----------------------------------------------------------
    def start(self) -> None:
        """The first load, then the fallback and reconciliation loops."""
        self.restart_fill()
        self._host.spawn(self._fallback_loop(), "tiri-fallback")
        self._host.spawn(self._reconcile_loop(), "tiri-reconcile")

    def stop(self) -> None:
        """The session ended: no more walks."""
        self._stopped = True

    def connection_up(self) -> None:
        """A connection was made: fill what was missed while there was none."""
        self._connected = True
        self._epoch += 1
        self._subscribed, self._connected_at = False, self._clock()
        self.restart_fill()
        self._host.spawn(self._fill_after_grace(self._epoch), "tiri-subscribe-grace")

    def connection_down(self) -> None:
        """The connection is gone: frames may be missed from now on."""
        if self._connected:
            self.answered_since_down = False
        self._connected = False
        if not self.gap_open:
            self.gap_open = True
            log.debug("gap open")

    def arrived_live(self, n: Notification) -> None:
        """A notification frame: it moves the sync point once nothing is missing."""
        if not self.gap_open and not self.filters.active:
            self._advance_sync(n.created_at, "live")
        elif not self._subscribed and self._connected:
            # Subscribed now for sure: one more fill covers whatever was
            # broadcast before the server subscribed this socket.
            self._subscribed = True
            self.restart_fill()

    def set_filters(self, filters: Filters) -> asyncio.Task[None]:
        """New server-side filters: the owner filtered what it holds; the
        server's answer refines that (``filters_answered`` once it came)."""
        self.use_filters(filters)
        return self._host.spawn(self._refresh_page_one(), "tiri-filter-reload")

    def use_filters(self, filters: Filters) -> None:
        """Judge what arrives by these filters from now on (no reload yet)."""
        self.filters = filters
        self.filters_answered = False
        self._next_url, self._chain_depth, self.has_more = None, 0, False
        # A page of the list left behind that lands later continues no chain of this one.
        self._more_coverage = self._coverage()
        self.synced_until = None

    def use_inbox(self, inbox: Inbox) -> None:
        """The list shown is another one now (a filter came or went)."""
        self._inbox = inbox

    def refresh(self) -> asyncio.Task[None]:
        """Page 1, the count and the outbox now; the rest of the held list is
        walked for deletions in the background."""
        if not self._stopped:
            self._reconcile_now.set()
        return self._host.spawn(self._refresh_page_one(), "tiri-refresh")

    def load_more(self) -> asyncio.Task[None] | None:
        """The next older page: the fetch already on its way, or a new one if
        there is a next page (None: there is none to load)."""
        if self._more_task is not None and not self._more_task.done():
            return self._more_task
        if not self._next_url:
            return None
        self._more_task = self._host.spawn(self._load_more(self._next_url), "tiri-load-more")
        return self._more_task

    def restart_fill(self) -> None:
        """Fill the gap. A fill already walking is left to finish (its pages are
        progress; cancelling it at every reconnect starves a long walk for ever
        under flapping) and another follows it."""
        self._fill_again = True
        if self._gap_task is None or self._gap_task.done():
            self._gap_task = self._host.spawn(self._fill_until_current(), "tiri-gap-fill")

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
        if epoch == self._epoch and self.gap_open:
            self.restart_fill()

    async def _fill_gap(self) -> None:
        """Fetch newest-first down to what is already in sync; refresh the count; replay.

        ``synced_until`` is the server time up to which nothing is missing. A
        fill walks pages until one reaches it (however many: past
        ``gap_fill_max_pages`` at a gentler pace), then moves it up to the
        newest it fetched. A fill cut short by a fault moves nothing, so the
        next one walks down into the same hole again. It closes the gap if it
        began on the connection still up, once that socket was known (or can
        be assumed) to be subscribed.
        """
        synced, epoch = self.synced_until, self._epoch
        subscribed = self._connected and (
            self._subscribed or self._clock() - self._connected_at >= self._settings.subscribe_grace
        )
        coverage, filters = self._coverage(), self.filters
        newest: datetime | None = None
        url: str | None = None
        pages = 0
        while True:
            asked = self._clock()
            held_before = self._held_before(self._settings.page_size) if pages == 0 else frozenset()
            page = await self._page(url)
            self._take_page(
                page, coverage, filters, first=pages == 0, fetched_at=asked, held_before=held_before
            )
            if filters != self.filters:
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
        self._advance_sync(newest, "gap fill")
        if subscribed and epoch == self._epoch and self._connected:
            self.gap_open = False
            log.debug("gap closed by a fill (connection #%d)", epoch)
        await self._refresh_count(page)
        self.confirmed = True
        self._counters.gap_fills += 1
        await self._outbox.flush()
        await self._ask_count()

    async def _page(self, url: str | None) -> Page:
        """One page of a walk, tried again on a transient failure rather than
        abandoning the whole walk (its pages so far settle nothing)."""
        for attempt in range(PAGE_ATTEMPTS):
            try:
                return await (self._api.follow(url) if url else self._first_page())
            except TiriError as exc:
                last = attempt == PAGE_ATTEMPTS - 1
                if not is_transient(exc) or isinstance(exc, RateLimited) or last:
                    raise
                await asyncio.sleep(0.1 * (attempt + 1))
        raise AssertionError("unreachable")  # pragma: no cover

    async def _first_page(self, page_size: int | None = None) -> Page:
        f = self.filters
        return await self._api.list(
            page_size=page_size or self._settings.page_size,
            is_read=False if f.unread_only else None,
            notification_type=f.server_type,
            priority=f.priority,
            search=f.search,
        )

    def _advance_sync(self, moment: datetime | None, why: str) -> None:
        moved = advanced_watermark(self.synced_until, moment)
        if moved != self.synced_until:
            self.synced_until, self.sync_changed = moved, True
            log.debug("in sync up to %s (%s)", moved, why)  # formatted only when logged

    def _coverage(self) -> Coverage:
        """A fresh account of what the next walk proves (see :class:`Coverage`)."""
        return Coverage(grows_only_at_top=not self.filters.active)

    def _held_before(self, page_size: int) -> frozenset[str]:
        """What is held as page 1 is asked for: only these can page 1 prove
        deleted above its oldest row (what comes after may be newer than the
        server's answer). Twice a page: the rows it will list, and as many
        deleted above them again (more are found by the next walk)."""
        return frozenset(self._inbox.newest_ids(2 * page_size))

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
        """Take a page of a walk asked for under ``filters``: its rows, and
        what it proves and where paging goes on — of the list shown only."""
        self._counters.items_rejected += len(page.rejected)
        if not self.answered_since_down:
            self.answered_since_down = True
            self._host.answered()
        if filters != self.filters:  # the filters changed while it was on its way
            self._host.accept(page.results, live=False, fetched_at=fetched_at)
            return
        if first and not self._chain_depth:
            self._next_url, self._chain_depth = page.next, 1
            self._followed = set()
            self._more_coverage = self._coverage()
            self._more_coverage.add(page)  # paging on chains to this page 1
        self._host.accept(page.results, live=False, fetched_at=fetched_at)
        self._drop_vanished(coverage.add(page), held_before)
        self.has_more = bool(self._next_url)

    def _drop_vanished(
        self, proven: Vanished | None, held_before: frozenset[str] = frozenset()
    ) -> None:
        """Within a span a walk proved, held ids the server no longer lists
        were deleted elsewhere (see :func:`deleted_elsewhere`)."""
        if proven is None:
            return
        gone = deleted_elsewhere(
            proven,
            self._inbox.rows_created_between(proven.low, proven.high),
            held_before=held_before,
            pending=self._outbox.has_pending,
        )
        for nid in gone:
            self._host.remove(nid)

    async def _refresh_count(self, page: Page | None = None) -> None:
        pending = self._outbox.pending_count
        if page is not None and page.total_unread_count is not None and not pending:
            self._host.set_unread(page.total_unread_count)
            return
        count = await self._api.unread_count()
        self._host.set_unread(self._outbox.rebase_count(count))

    # -- page 1, paging ------------------------------------------------------------------------
    async def _refresh_page_one(self) -> None:
        async def refresh() -> None:
            asked, filters = self._clock(), self.filters
            held_before = self._held_before(self._settings.page_size)
            page = await self._first_page()
            self._take_page(
                page,
                self._coverage(),
                filters,
                first=True,
                fetched_at=asked,
                held_before=held_before,
            )
            if filters != self.filters:
                return  # the reload for the filters now in force answers for them
            await self._refresh_count(page)
            answered = not self.filters_answered
            self.confirmed = self.filters_answered = True
            if answered:
                self._host.answered()
            await self._outbox.flush()

        await self._guarded(refresh(), "refresh over REST")

    async def _load_more(self, url: str) -> None:
        # The chain this page continues. A page 1 taken while it is fetched
        # starts another chain: this page then follows nothing it can be
        # compared with, and the next link it carries is stale.
        chain = self._more_coverage
        self._followed.add(url)
        asked = self._clock()
        self.more_failure = None
        try:
            page = await self._api.follow(url)
        except LoginRequired:
            self._host.end_session()
            return
        except (TiriError, OSError) as exc:
            if not is_transient(exc) and chain is self._more_coverage:
                # Another server's link, a malformed page, a 4xx: trying the
                # same link again cannot help, so the list ends here.
                self._next_url, self.has_more = None, False
            self.more_failure = str(exc) or type(exc).__name__
            log.info("loading more failed: %s", exc)
            return
        self._counters.items_rejected += len(page.rejected)
        self._host.accept(page.results, live=False, fetched_at=asked)
        if chain is not self._more_coverage:
            return
        looping = page.next is not None and page.next in self._followed
        if looping:
            log.warning("the server's next link leads back to a page already loaded; stopping")
        self._next_url = None if looping else page.next
        self._chain_depth += 1
        self._drop_vanished(chain.add(page))
        self.has_more = bool(self._next_url)

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
            if self._connected and not self.gap_open:
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
            if self.filters.active or self._api.paused_for() > 0:
                continue  # a filtered list is reloaded whole when it changes
            await self._guarded(self._reconcile(), "reconciling with the server")

    async def _reconcile(self) -> None:
        filters, coverage = self.filters, self._coverage()
        url: str | None = None
        followed: set[str] = set()
        while True:
            asked = self._clock()
            held_before = frozenset() if url else self._held_before(RECONCILE_PAGE_SIZE)
            page = await (self._api.follow(url) if url else self._first_page(RECONCILE_PAGE_SIZE))
            if self.filters != filters:
                return  # the list was reset meanwhile: this walk proves nothing of it
            self._host.accept(page.results, live=False, fetched_at=asked)
            self._drop_vanished(coverage.add(page), held_before)
            held_oldest = self._inbox[-1].created_at if len(self._inbox) else None
            if reconcile_done(page, held_oldest, followed):
                return
            url = page.next
            assert url is not None
            followed.add(url)
            await asyncio.sleep(self._settings.reconcile_page_delay)

    async def _guarded(self, walk: Coroutine[Any, Any, None], what: str) -> None:
        """Run a walk; what stops it is handled here, the same for every walk."""
        try:
            await walk
        except LoginRequired:
            self._host.end_session()
        except (TiriError, OSError) as exc:
            self._counters.walks_failed += 1
            self._counters.last_walk_failure = str(exc)
            if isinstance(exc, RateLimited):  # the client waits as the server asked
                log.info("rate limited: no REST call for %.0f s", self._api.paused_for())
            else:
                log.info("%s failed: %s", what, exc)
