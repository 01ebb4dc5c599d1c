"""Keeping the controller's list in step with the server over REST.

The first load, the gap fill after every (re)connect, the fallback refresh
while the socket is down, and paging further back. A mixin of
:class:`~tiri_tui.controller.NotificationController`: the methods work on its
state, they are only kept apart so each file tells one story.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime

from tiri_tui.errors import ApiError, RateLimited, ServerUnreachable, SessionExpired, TiriError
from tiri_tui.events import NotificationRemoved
from tiri_tui.models import Notification, Page
from tiri_tui.policy import ConnectionState
from tiri_tui.protocol import GetUnreadCount
from tiri_tui.sync_rules import Coverage, Vanished, walk_reached

log = logging.getLogger(__name__)
#: Tries of one page within a walk before the walk gives up.
PAGE_ATTEMPTS = 3
#: Page size of the background reconciliation walk (DRF's usual maximum).
RECONCILE_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class Filters:
    """The server-side filters of the list."""

    unread_only: bool = False
    notification_type: str | None = None
    search: str | None = None

    @property
    def active(self) -> bool:
        """Whether any filter narrows the list."""
        return self.unread_only or bool(self.notification_type) or bool(self.search)

    def matches(self, n: Notification) -> bool:
        """Whether a live notification belongs in the filtered list."""
        if self.unread_only and n.is_read:
            return False
        if self.notification_type and n.notification_type != self.notification_type:
            return False
        if self.search:
            needle = self.search.lower()
            return needle in n.title.lower() or needle in n.message.lower()
        return True


@dataclass
class Counters:
    """Connection metrics for the status screen."""

    reconnects: int = 0
    frames_dropped: int = 0
    fallback_refreshes: int = 0
    items_rejected: int = 0
    last_delivery_latency: float | None = None
    connects: int = 0
    gap_fills: int = 0


@dataclass
class ControllerSettings:
    """Timings of the controller (seconds)."""

    fallback_interval: float = 30.0
    gap_fill_max_pages: int = 10
    page_size: int = 20
    cache_save_interval: float = 2.0
    #: Seconds between background walks of the whole held span that remove
    #: what was deleted elsewhere (None: never), and between their pages.
    reconcile_interval: float | None = 300.0
    reconcile_page_delay: float = 1.0
    #: A server may subscribe a socket to its broadcasts only after accepting
    #: it (Channels' ``group_add`` after ``accept``). Until a broadcast frame
    #: proves the subscription, a fill closes the gap only if it began this
    #: long after the connect.
    subscribe_grace: float = 2.0


class RestSync:
    """Gap fill, fallback refresh and paging (a mixin of NotificationController)."""

    def _restart_gap_fill(self) -> None:
        """Fill the gap after a connect. A fill already walking is left to finish
        (its pages are progress; cancelling it at every reconnect starves a long
        walk for ever under flapping) and another follows it."""
        self._fill_again = True
        if self._gap_task is None or self._gap_task.done():
            self._gap_task = self._spawn(self._fill_until_current(), "tiri-gap-fill")

    async def _fill_after_grace(self, epoch: int) -> None:
        """Once the subscribe grace has passed with no broadcast seen, one more
        fill closes the gap (a quiet account gets no frame to prove it)."""
        await asyncio.sleep(self.settings.subscribe_grace)
        if epoch == self.counters.connects and self._gap_open:
            self._restart_gap_fill()

    def _fill_closes_gap(self, epoch: int, subscribed: bool) -> bool:
        """A fill closes the gap when it began on the connection still up, after
        the socket was known (or can be assumed) to be subscribed."""
        return (
            subscribed
            and epoch == self.counters.connects
            and self.state is ConnectionState.CONNECTED
        )

    async def _fill_until_current(self) -> None:
        while self._fill_again:
            self._fill_again = False
            await self._fill_gap()

    async def _page(self, url: str | None) -> Page:
        """One page of a walk, tried again on a transient failure rather than
        abandoning the whole walk (its pages so far settle nothing)."""
        for attempt in range(PAGE_ATTEMPTS):
            try:
                return await (self.api.follow(url) if url else self._first_page())
            except (ServerUnreachable, ApiError) as exc:
                transient = isinstance(exc, ServerUnreachable) or exc.status >= 500
                if not transient or isinstance(exc, RateLimited) or attempt == PAGE_ATTEMPTS - 1:
                    raise
                await asyncio.sleep(0.1 * (attempt + 1))
        raise AssertionError("unreachable")  # pragma: no cover

    async def _fill_gap(self) -> None:
        """Fetch newest-first down to what is already in sync; refresh the count; replay.

        ``synced_until`` is the server time up to which nothing is missing. A
        fill walks pages until one reaches it (however many: past
        ``gap_fill_max_pages`` at a gentler pace), then moves it up to the
        newest it fetched. A fill cut short by a fault moves nothing, so the
        next one walks down into the same hole again.
        """
        synced = self._synced_until
        epoch = self.counters.connects
        subscribed = self.state is ConnectionState.CONNECTED and (
            self._subscribed
            or time.monotonic() - self._connected_at >= self.settings.subscribe_grace
        )
        newest: datetime | None = None
        url: str | None = None
        coverage = self._coverage()
        try:
            page_number = 0
            while True:
                asked = time.monotonic()
                page = await self._page(url)
                self._take_page(page, coverage, first=page_number == 0, fetched_at=asked)
                if page_number == 0:
                    self.loaded.set()  # the newest are shown; the rest may take a while
                    if page.results:
                        newest = max(n.created_at for n in page.results)
                url = page.next
                if walk_reached(page, synced):
                    break
                page_number += 1
                if page_number >= self.settings.gap_fill_max_pages:
                    # A gap this large (a week away?) is walked to its end all
                    # the same, or what lies below would never be shown; gently.
                    if page_number == self.settings.gap_fill_max_pages:
                        log.info("gap larger than %d pages: walking the rest", page_number)
                    await asyncio.sleep(self.settings.reconcile_page_delay)
            self._advance_sync(newest, "gap fill")
            if self._fill_closes_gap(epoch, subscribed):
                # Began on the connection still up, once subscribed: in sync.
                self._gap_open = False
                log.debug("gap closed by a fill (connection #%d)", epoch)
            await self._refresh_count(page)
            self.cached = False
            self.counters.gap_fills += 1
            await self.outbox.flush()
            with contextlib.suppress(TiriError):
                await self.worker.send(GetUnreadCount())
        except SessionExpired:
            self._end_session()
        except RateLimited as exc:
            self._back_off(exc)
        except (TiriError, OSError) as exc:
            log.info("loading over REST failed: %s", exc)
        finally:
            self.loaded.set()

    def _advance_sync(self, moment: datetime | None, why: str) -> None:
        if moment is not None and (self._synced_until is None or moment > self._synced_until):
            self._synced_until = moment
            self._sync_changed = True
            log.debug("in sync up to %s (%s)", moment, why)  # formatted only when logged

    def _back_off(self, exc: RateLimited) -> None:
        wait = exc.retry_after if exc.retry_after is not None else self.settings.fallback_interval
        self._not_before = time.monotonic() + wait
        log.info("rate limited: no REST refresh for %.0f s", wait)

    async def _first_page(self, page_size: int | None = None) -> Page:
        f = self.filters
        return await self.api.list(
            page_size=page_size or self.settings.page_size,
            is_read=False if f.unread_only else None,
            notification_type=f.notification_type,
            search=f.search,
        )

    def _coverage(self) -> Coverage:
        """A fresh account of what the next walk proves (see :class:`Coverage`)."""
        return Coverage(grows_only_at_top=not self.filters.active)

    def _take_page(self, page: Page, coverage: Coverage, *, first: bool, fetched_at: float) -> None:
        self.counters.items_rejected += len(page.rejected)
        if first:
            self._next_url = page.next
            self._followed = set()
            self._more_coverage = self._coverage()
            self._more_coverage.add(page)  # paging on chains to this page 1
        self.accept(page.results, live=False, fetched_at=fetched_at)
        self._drop_vanished(coverage.add(page))
        self.has_more = bool(self._next_url)

    def _drop_vanished(self, proven: Vanished | None) -> None:
        """Within a span a walk proved, held ids the server no longer lists
        were deleted elsewhere (never one with an intent still queued)."""
        if proven is None:
            return
        gone = [
            nid
            for nid in self.inbox.ids_created_between(proven.low, proven.high)
            if nid not in proven.listed and not self.outbox.has_pending(nid)
        ]
        for nid in gone:
            self._remove(nid)

    def _remove(self, notification_id: str) -> None:
        if self.inbox.remove(notification_id) is not None:
            self._forget_cached(notification_id)
            self.emit(NotificationRemoved(notification_id))

    async def _refresh_count(self, page: Page | None = None) -> None:
        if (
            page is not None
            and page.total_unread_count is not None
            and not self.outbox.pending_count
        ):
            self._set_unread(page.total_unread_count)
            return
        count = await self.api.unread_count()
        self._set_unread(self.outbox.rebase_count(count))

    async def _refresh_over_rest(self) -> None:
        try:
            asked = time.monotonic()
            page = await self._first_page()
            self._take_page(page, self._coverage(), first=True, fetched_at=asked)
            await self._refresh_count(page)
            self.cached = False
            await self.outbox.flush()
        except SessionExpired:
            self._end_session()
        except RateLimited as exc:
            self._back_off(exc)
        except (TiriError, OSError) as exc:
            log.info("refresh over REST failed: %s", exc)

    async def _load_more(self, url: str) -> None:
        self._followed.add(url)
        asked = time.monotonic()
        try:
            page = await self.api.follow(url)
        except SessionExpired:
            self._end_session()
            return
        except ApiError as exc:
            if exc.status < 500 and not isinstance(exc, RateLimited):
                # Another server's link, a malformed page, a 4xx: trying the
                # same link again cannot help, so the list ends here.
                self._next_url, self.has_more = None, False
            log.info("loading more failed: %s", exc)
            return
        except TiriError as exc:
            log.info("loading more failed: %s", exc)
            return
        self.counters.items_rejected += len(page.rejected)
        looping = page.next is not None and page.next in self._followed
        if looping:
            log.warning("the server's next link leads back to a page already loaded; stopping")
        self._next_url = None if looping else page.next
        self.accept(page.results, live=False, fetched_at=asked)
        self._drop_vanished(self._more_coverage.add(page))
        self.has_more = bool(self._next_url)

    async def _fallback_loop(self) -> None:
        """While not connected (or a gap is still open), fill it over REST every interval.

        A whole gap fill, not only page 1: more than a page may arrive between
        two ticks, and none may be skipped.
        """
        while not self.session_expired:
            await asyncio.sleep(self.settings.fallback_interval)
            if self.session_expired:
                break
            if self.state is ConnectionState.CONNECTED and not self._gap_open:
                continue  # live and in sync: nothing to do
            if time.monotonic() < self._not_before:
                continue  # the server asked us to wait (429 Retry-After)
            self.counters.fallback_refreshes += 1
            # One walk at a time: a tick during a long walk queues the next one.
            self._restart_gap_fill()
            if self._gap_task is not None:
                await asyncio.wait({self._gap_task})

    async def _reconcile_loop(self) -> None:
        """Now and then (and at once when asked: ``R``), walk the whole held span
        to remove what was deleted elsewhere (no frame announces a deletion),
        a page at a time, slowly."""
        while not self.session_expired:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._reconcile_now.wait(), self.settings.reconcile_interval
                )
            self._reconcile_now.clear()
            if self.filters.active or time.monotonic() < self._not_before:
                continue  # a filtered list is reloaded whole when it changes
            try:
                await self._reconcile()
            except SessionExpired:
                self._end_session()
            except RateLimited as exc:
                self._back_off(exc)
            except (TiriError, OSError) as exc:
                log.info("reconciling with the server failed: %s", exc)

    async def _reconcile(self) -> None:
        filters, coverage = self.filters, self._coverage()
        url: str | None = None
        followed: set[str] = set()
        while True:
            asked = time.monotonic()
            page = await (self.api.follow(url) if url else self._first_page(RECONCILE_PAGE_SIZE))
            if self.filters != filters:
                return  # the list was reset meanwhile: this walk proves nothing of it
            self.accept(page.results, live=False, fetched_at=asked)
            self._drop_vanished(coverage.add(page))
            held_oldest = self.inbox[-1].created_at if len(self.inbox) else None
            if (
                page.next is None
                or page.next in followed
                or not page.results
                or held_oldest is None
                or min(n.created_at for n in page.results) <= held_oldest
            ):
                return  # the whole held span is walked
            url = page.next
            followed.add(url)
            await asyncio.sleep(self.settings.reconcile_page_delay)
