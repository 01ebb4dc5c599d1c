"""NotificationController: the one source of truth the dashboard and `tail` share.

It owns the notifications (by id, newest first), the authoritative unread
count and the connection state. It holds the objects that do the work, each
with its own state: the WebSocket worker (live frames), the REST sync (gap
fills, fallback, paging, reconciliation), the outbox sync (the user's marks,
never lost) and the cache. It knows nothing of Textual: observers subscribe
to plain events.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
import time
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from tiri_tui.connection.api import TiriApi
from tiri_tui.connection.pacing import let_others_run
from tiri_tui.connection.policy import SESSION_EXPIRED, ConnectionState, StateCode
from tiri_tui.connection.realtime import (
    FrameDropped,
    FrameReceived,
    RealtimeEvent,
    RealtimeWorker,
    StateChanged,
)
from tiri_tui.sync.controller_settings import UNDO_SECONDS, ControllerSettings, Counters
from tiri_tui.sync.events import (
    ActionQueued,
    Arrived,
    ControllerEvent,
    ListReset,
    NotificationAdded,
    NotificationRemoved,
    NotificationUpdated,
    ServerAnswered,
    ServerError,
    StateEvent,
    UnreadCountChanged,
)
from tiri_tui.sync.inbox import Inbox, Upsert
from tiri_tui.sync.intents import IntentAction
from tiri_tui.sync.outbox_sync import Intent, OutboxSync
from tiri_tui.sync.rest_sync import RestSync
from tiri_tui.sync.rules import Filters
from tiri_tui.sync.store import CacheLoad, NotificationCache, Outbox
from tiri_tui.wire.errors import NotLoggedIn, TiriError
from tiri_tui.wire.models import Notification
from tiri_tui.wire.protocol import ErrorFrame, GetUnreadCount, NotificationFrame, UnreadCountFrame

__all__ = [
    "UNDO_SECONDS",
    "ControllerSettings",
    "Counters",
    "Filters",
    "Intent",
    "NotificationController",
    "Undone",
]

log = logging.getLogger(__name__)

#: Cached rows shown before the rest are parsed: more than any terminal is tall.
FIRST_SCREEN = 120
T = TypeVar("T")
#: "Mark all read" can be undone up to this many rows (one request each).
UNDO_LIMIT = 200
#: Longest run of work on the event loop before yielding (a frame is 16 ms).
SLICE_SECONDS = 0.008
#: How long a closing controller waits for a send in flight to be answered.
SEND_GRACE = 3.0
#: Rounds of cancelling what still runs as a controller closes (a task
#: cancelled as it was resuming may need another).
CANCEL_ROUNDS = 5


async def _nothing() -> None:
    """What a closing controller runs instead of the work asked of it."""


@dataclass(slots=True)
class Undone:
    """What an undo did: taken back before it left, answered by the opposite
    mark, or too late (a delete the server has)."""

    taken_back: int = 0
    sent_back: int = 0
    too_late: int = 0


def _collect_young() -> None:
    """Collect the young generations now, after a slice of bulk work.

    Replacing 66,000 rows allocates as much as it frees, so the collector's
    counter never trips while it runs: the new rows pile up young, and the
    next collection (any allocation later) walks all of them at once, a
    50-70 ms stall. Collected slice by slice, each walk is one slice's rows.
    """
    gc.collect(1)


class NotificationController:
    """Owns the state; turns intents into REST calls; observable without Textual."""

    def __init__(
        self,
        api: TiriApi,
        worker_factory: Callable[[Callable[[RealtimeEvent], None]], RealtimeWorker],
        outbox: Outbox,
        cache: NotificationCache | None = None,
        settings: ControllerSettings | None = None,
    ) -> None:
        self.settings = settings or ControllerSettings()
        self._api = api
        #: The rows shown: every row held, or those the filters let through.
        self.inbox = Inbox()
        #: Every row held, while a filter is on (None: ``inbox`` is all of them).
        #: Filtering works on what is held at once, offline too, and clearing
        #: the filters shows it all again without waiting for the server.
        self._all: Inbox | None = None
        #: See _news_since.
        self._news_watermark: datetime | None = None
        self._filtering: asyncio.Task[None] | None = None
        #: The ids the user's last "mark all read" turned read (for its undo).
        self._last_all_read: list[str] | None = None
        self.unread_count: int | None = None
        self.state = ConnectionState.DISCONNECTED
        self.code = StateCode.DISCONNECTED
        self.reason = ""
        self.retry_in: float | None = None
        self.counters = Counters()
        self.session_expired = False
        #: Background tasks that ended in an exception (none should, ever).
        self.task_failures: list[str] = []
        self._from_cache = False
        self._closed = False
        self._cache = cache
        #: The rows as the cache last had them (its window, ``limit`` at most):
        #: a save writes the kept rows that are not these very objects, so no
        #: bookkeeping grows with the rows held (100,000 ids were ~4 MB).
        self._saved: dict[str, Notification] = {}
        self._removed_ids: set[str] = set()
        self._dirty = False
        self._observers: list[Callable[[ControllerEvent], None]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        #: The one thread every store call runs on: the event loop never waits
        #: on a disk, and the databases see one caller at a time, in order.
        self._store_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tiri-store")
        self.outbox = OutboxSync(
            outbox,
            api,
            on_queued=lambda action, reason: self.emit(ActionQueued(action, reason)),
            on_all_read=self._confirm_all_read,
            on_login_required=self.end_session,
            spawn=self.spawn,
            run_io=self.run_io,
        )
        self.rest = RestSync(
            api,
            self.outbox,
            self.inbox,
            self,
            self.counters,
            self.settings,
            ask_count=self._ask_count,
        )
        self.worker = worker_factory(self._on_realtime)
        self._first_screen: Future[CacheLoad] | None = None
        #: The cache holds more than the first screenful shown.
        self._cache_rest = False

    # -- what observers read -----------------------------------------------------------------
    @property
    def filters(self) -> Filters:
        """The server-side filters of the list."""
        return self.rest.filters

    @property
    def cached(self) -> bool:
        """What is shown comes from the cache, not yet confirmed by the server."""
        return self._from_cache and not self.rest.confirmed

    @property
    def has_more(self) -> bool:
        """The server has older notifications than those loaded."""
        return self.rest.has_more

    @property
    def loaded(self) -> asyncio.Event:
        """Set once the first page is in (or the first load failed)."""
        return self.rest.loaded

    @property
    def current(self) -> bool:
        """What is shown is the server's now: the socket is up, or REST has
        answered since it went down (a status bar's count is not stale then)."""
        return self.state is ConnectionState.CONNECTED or self.rest.answered_since_down

    @property
    def in_sync(self) -> bool:
        """Connected, and a completed fill proved nothing is missing since."""
        return not self.rest.gap_open

    @property
    def closing(self) -> bool:
        """:meth:`aclose` has begun: nothing new starts here, no intent is taken
        (what was queued is on disk for the controller that comes next)."""
        return self._closed

    @property
    def needs_login(self) -> bool:
        """Only a new login can bring this session back."""
        return self.session_expired or self.code.needs_login

    # -- observation -----------------------------------------------------------------------
    def subscribe(self, observer: Callable[[ControllerEvent], None]) -> Callable[[], None]:
        """Call ``observer`` with every event; returns a function that unsubscribes."""
        self._observers.append(observer)
        return lambda: self._observers.remove(observer)

    def emit(self, event: ControllerEvent) -> None:
        """Tell every observer (an observer's failure never breaks the controller)."""
        for observer in list(self._observers):
            try:
                observer(event)
            except Exception:
                log.exception("an observer failed on %s", type(event).__name__)

    # -- lifecycle --------------------------------------------------------------------------
    async def run_io(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking store call on the store thread, in the order asked."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._store_thread, functools.partial(call, *args, **kwargs)
        )

    async def start(self) -> None:
        """Show the cache at once, then connect and load in the background."""
        await self.show_cached()
        await self._show_rest_of_cache()
        self._connect()

    def prefetch_cache(self) -> None:
        """Start reading the cache's first screenful now, on the store thread,
        so it is ready by the time the dashboard first paints (the app calls
        this before Textual starts)."""
        if self._cache is not None and self._first_screen is None:
            self._first_screen = self._store_thread.submit(self._cache.load, 0, FIRST_SCREEN)

    async def show_cached(self) -> None:
        """Show the cache's first screenful, then open the outbox; no network yet.

        The dashboard paints these rows before it calls :meth:`go_live`, so
        neither the rest of the cache nor the network's start-up (imports, a
        first request) competes with the first paint; the outbox is read after
        for the same reason (its queued marks wait for the network anyway).
        """
        if self._cache is not None:
            self.prefetch_cache()
            assert self._first_screen is not None
            head, count, self.rest.synced_until = await asyncio.wrap_future(self._first_screen)
            self._from_cache = bool(head)
            self._cache_rest = len(head) == FIRST_SCREEN
            if count is not None:
                self.set_unread(count)
            self._show(head)
            self.spawn(self._save_cache_loop(), "tiri-cache-saver")
        await self.outbox.start()

    async def _show_rest_of_cache(self) -> None:
        if self._cache is not None and self._cache_rest:
            self._cache_rest = False
            self._show((await self.run_io(self._cache.load, FIRST_SCREEN))[0])

    def _show(self, cached: list[Notification]) -> None:
        for n in cached:
            self._saved[n.id] = n  # the cache has this very row already
            if self._all is not None:  # filtered already (carried over from a past session)
                self._all.upsert(n)
                if not self.filters.matches(n):
                    continue
            self.inbox.upsert(n)
            self.emit(NotificationAdded(n, live=False))

    def go_live(self) -> None:
        """Show the rest of the cache, then connect the socket and start the
        REST sync (after :meth:`show_cached`)."""
        if not self._closed:  # retired before its first paint
            self.spawn(self._go_live(), "tiri-go-live")

    async def _go_live(self) -> None:
        # Every cached row is shown before the network's: an older cached
        # copy must never overwrite what the server just said.
        await self._show_rest_of_cache()
        self._connect()

    def _connect(self) -> None:
        if not self._closed:  # retired before its first paint
            self.worker.start()
            self.rest.start()

    async def aclose(self) -> None:
        """Stop everything, save the cache, close the stores, leave nothing running.

        The stores are this controller's: a controller retired after a new
        login must not keep its databases open until the program exits.
        """
        if self._closed:
            return
        self._closed = True  # from here on, spawn starts nothing
        self.rest.stop()  # its loops end at their next turn
        await self.worker.aclose()
        # An intent submitted just before quitting must reach the disk first.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.outbox.written(), 10)
        # A send cut off after the server had it would be sent again by the
        # next controller (it is still on disk): let its answer come first.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.outbox.stop(), SEND_GRACE)
        for _ in range(CANCEL_ROUNDS):
            running = [task for task in self._tasks if not task.done()]
            if not running:
                break
            for task in running:
                task.cancel()
            await asyncio.wait(running, timeout=SEND_GRACE)
        # A task that would not end must not hold the program's exit up.
        if stuck := sorted(t.get_name() for t in self._tasks if not t.done()):
            log.error("tasks still running after the controller closed: %s", ", ".join(stuck))
        await self._save_cache()
        if self._cache is not None:
            await self.run_io(self._cache.close)
        await self.outbox.close()
        self._store_thread.shutdown(wait=False)  # idle: every call above was awaited

    def live_tasks(self) -> int:
        """Background tasks still alive, the worker's included (for leak checks)."""
        return sum(1 for t in self._tasks if not t.done()) + self.worker.live_tasks()

    def spawn(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        """Run ``coro`` as a background task of this controller (ended by aclose).

        On a closing controller ``coro`` never runs (its stores are being
        closed): the task returned has nothing to do and ends at once.
        """
        if self._closed:
            coro.close()
            log.debug("not starting %s: the controller is closing", name)
            return asyncio.ensure_future(_nothing())
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(self._note_crash)
        return task

    def _note_crash(self, task: asyncio.Task[None]) -> None:
        if task.cancelled() or task.exception() is None:
            return
        exc = task.exception()
        self.task_failures.append(f"{task.get_name()}: {exc!r}")
        if not isinstance(exc, NotLoggedIn):
            log.error("background task %s failed: %r", task.get_name(), exc)

    # -- intents -----------------------------------------------------------------------------
    def mark_read(self, notification_id: str, *, hold: float = 0.0) -> Intent | None:
        """Mark read now (optimistic) and send it through the outbox (``hold``:
        seconds it may still be undone before it is sent); None: nothing changed."""
        if self._set_read_locally(notification_id, True):
            return self.outbox.submit(IntentAction.MARK_READ, notification_id, hold=hold)
        return None

    def mark_unread(self, notification_id: str, *, hold: float = 0.0) -> Intent | None:
        """Mark unread now (optimistic) and send it through the outbox (``hold``:
        as for :meth:`mark_read`); None: nothing changed."""
        if self._set_read_locally(notification_id, False):
            return self.outbox.submit(IntentAction.MARK_UNREAD, notification_id, hold=hold)
        return None

    def undo(self, done: Sequence[tuple[Intent, Notification]]) -> Undone:
        """Take back intents (each with its row as it was before): one that has
        not left is cancelled and its row restored; a mark that left is
        answered by the opposite mark; a delete that left stays done."""
        undone = Undone()
        for intent, before in done:
            if self.outbox.cancel(intent):
                if intent.action is IntentAction.DELETE:
                    self._restore(before)
                else:
                    self._set_read_locally(before.id, before.is_read)
                undone.taken_back += 1
            elif intent.action is IntentAction.DELETE:
                undone.too_late += 1
            elif (self.mark_read if before.is_read else self.mark_unread)(before.id):
                undone.sent_back += 1
        return undone

    def _restore(self, n: Notification) -> None:
        """Show a row again whose delete was taken back before it left."""
        self._removed_ids.discard(n.id)
        self._upsert(n)
        if not n.is_read and self.unread_count is not None:
            self.set_unread(self.unread_count + 1)

    def undo_mark_all_read(self) -> int:
        """Mark unread again what the last "mark all read" turned read, if it
        was few enough to send one mark each (:data:`UNDO_LIMIT`); how many."""
        ids, self._last_all_read = self._last_all_read, None
        if ids is None or len(ids) > UNDO_LIMIT:
            return 0
        for nid in ids:
            self.mark_unread(nid)
        return len(ids)

    def can_undo_mark_all_read(self) -> bool:
        """Whether :meth:`undo_mark_all_read` would restore the last one."""
        return self._last_all_read is not None and len(self._last_all_read) <= UNDO_LIMIT

    def mark_all_read(self) -> asyncio.Task[None]:
        """Mark everything read (optimistic) and send it through the outbox.

        The count is 0 at once; the rows turn read in time slices, so 100,000
        unread never freeze the screen. Returns the task that turns them.
        """
        if self._refused("mark all read"):
            return asyncio.ensure_future(_nothing())
        self.set_unread(0)
        self._last_all_read = []
        self.outbox.submit(IntentAction.MARK_ALL_READ, None)
        return self.spawn(self._read_in_slices(self.held.ids(), None), "tiri-all-read")

    def delete(self, notification_id: str, *, hold: float = 0.0) -> Intent | None:
        """Delete now (optimistic) and send it through the outbox (``hold``: as
        for :meth:`mark_read`); None: not held here."""
        if self._refused("delete"):
            return None
        if self._all is not None:
            self._all.remove(notification_id)
        removed = self.inbox.remove(notification_id)
        if removed is None:
            return None
        self.emit(NotificationRemoved(notification_id))
        self._forget_cached(notification_id)
        if not removed.is_read and self.unread_count:
            self.set_unread(self.unread_count - 1)
        return self.outbox.submit(
            IntentAction.DELETE, notification_id, was_unread=not removed.is_read, hold=hold
        )

    def reconnect(self) -> None:
        """Reconnect the socket now, forgetting past failures."""
        if not self.session_expired:
            self.worker.reconnect()

    def disconnect(self) -> None:
        """Close the socket and stop retrying (REST fallback continues)."""
        self.worker.disconnect()

    def refresh(self) -> asyncio.Task[None]:
        """Refresh page 1, the count and the outbox over REST now; then walk
        the rest of the held list in the background for deletions."""
        return self.rest.refresh()

    def load_more(self) -> asyncio.Task[None] | None:
        """Older notifications wanted: the fetch of the next page (the one on
        its way, if any); None when there is no older page to load."""
        return self.rest.load_more()

    @property
    def load_more_failure(self) -> str | None:
        """Why the last fetch of older notifications failed (None: it did not)."""
        return self.rest.more_failure

    @property
    def confirmed(self) -> bool:
        """The server has answered for this list at least once."""
        return self.rest.confirmed

    @property
    def held(self) -> Inbox:
        """Every row held, whatever the filters show."""
        return self._all if self._all is not None else self.inbox

    @property
    def filtered_here(self) -> bool:
        """The filters apply to what was held; the server has not answered yet."""
        return self.filters.active and not self.rest.filters_answered

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

    def set_filters(self, filters: Filters) -> asyncio.Task[None] | None:
        """Filter what is held at once (in slices), then let the server refine it."""
        if filters == self.filters:
            return None
        if self._filtering is not None:
            self._filtering.cancel()
        everything = self.held
        if filters.active:
            self._all, self.inbox = everything, Inbox()
        else:
            self._all, self.inbox = None, everything
        self.rest.use_inbox(self.inbox)
        self.rest.use_filters(filters)  # arrivals meanwhile are judged by the new ones
        self.emit(ListReset())
        self._filtering = self.spawn(self._filter_then_ask(everything, filters), "tiri-filter")
        return self._filtering

    async def _filter_then_ask(self, everything: Inbox, filters: Filters) -> None:
        if filters.active:
            slice_ends = time.perf_counter() + SLICE_SECONDS
            for nid in everything.ids():  # newest first: the top fills first
                n = everything.get(nid)
                if n is not None and filters.matches(n) and self.inbox.upsert(n) is Upsert.ADDED:
                    self.emit(NotificationAdded(n, live=False))
                if time.perf_counter() > slice_ends:
                    await let_others_run()
                    slice_ends = time.perf_counter() + SLICE_SECONDS
        # Only then the server: its answer must not be overtaken by held rows.
        await self.rest.set_filters(filters)

    # -- realtime events -----------------------------------------------------------------------
    def _on_realtime(self, event: RealtimeEvent) -> None:
        if isinstance(event, FrameReceived):
            self._on_frame(event)
        elif isinstance(event, StateChanged):
            self._on_state(event)
        elif isinstance(event, FrameDropped):
            self.counters.frames_dropped = event.total_dropped

    def _on_frame(self, event: FrameReceived) -> None:
        frame = event.frame
        if isinstance(frame, NotificationFrame):
            n = frame.notification
            latency = time.time() - n.created_at.timestamp()
            if 0 <= latency < 3600:
                self.counters.last_delivery_latency = latency
            self.accept([n], live=True)
            self.rest.arrived_live(n)
        elif isinstance(frame, UnreadCountFrame):
            self.set_unread(frame.unread_count)
        elif isinstance(frame, ErrorFrame):
            self.emit(ServerError(frame.error))

    def _on_state(self, event: StateChanged) -> None:
        if self.session_expired:
            return
        was = self.state
        self.state, self.code = event.state, event.code
        self.reason, self.retry_in = event.reason, event.retry_in
        if event.code is StateCode.SESSION_EXPIRED:
            self.end_session()
            return
        if event.state is not ConnectionState.CONNECTED:
            self.rest.connection_down()
        elif was is not ConnectionState.CONNECTED:
            self.counters.connects += 1
            self.counters.reconnects = self.counters.connects - 1
            self.rest.connection_up()
        self.emit(StateEvent(event.state, event.reason, event.retry_in, event.code))

    async def _ask_count(self) -> None:
        with contextlib.suppress(TiriError):
            await self.worker.send(GetUnreadCount())

    # -- what the held objects report (the SyncHost interface) -------------------------------
    def end_session(self) -> None:
        """The refresh token was refused: only a new login helps."""
        if self.session_expired:
            return
        self.session_expired = True
        self.rest.stop()
        self.state, self.code = ConnectionState.ERROR, StateCode.SESSION_EXPIRED
        self.reason, self.retry_in = SESSION_EXPIRED, None
        self.worker.disconnect()
        self.emit(StateEvent(self.state, self.reason, None, self.code))

    def accept(
        self, notifications: list[Notification], *, live: bool, fetched_at: float | None = None
    ) -> None:
        """Upsert notifications from the server, with the user's intents applied on top.

        ``fetched_at``: when the request that returned them was sent (monotonic);
        what the user changed after that wins over these copies.
        """
        news_since = self._news_since()
        for n in notifications:
            rebased = self.outbox.rebase(n, fetched_at)
            if rebased is None:
                continue  # deleted here, the delete not yet acknowledged
            news = (
                not rebased.is_read
                and rebased.id not in self.held
                and (live or (news_since is not None and rebased.created_at > news_since))
            )
            if rebased.id not in self.inbox and not self.filters.matches(rebased):
                if self._all is not None:
                    self._all.upsert(rebased)  # held, for when the filters go
                if news:
                    self.emit(Arrived(rebased, live))
            else:
                self._upsert(rebased, live=live, news=news)

    def _news_since(self) -> datetime | None:
        """Fetched notifications newer than this are news (None: none are yet).

        Fixed once the server first confirmed the list: what a gap fill finds
        above it arrived while the person was away; the first load's pages,
        older pages and filtered reloads lie below it.
        """
        if self._news_watermark is None and self.rest.confirmed:
            held = self.held
            self._news_watermark = (
                held[0].created_at if len(held) else datetime.min.replace(tzinfo=UTC)
            )
        return self._news_watermark

    def answered(self) -> None:
        """The server answered where it had not yet: observers re-read what
        depends on it (the filter bar, a status bar's staleness)."""
        self.emit(ServerAnswered())

    def remove(self, notification_id: str) -> None:
        """The server no longer has it (deleted elsewhere), or, while a filter
        is on, no longer in the filtered answer: still held then (it may only
        have stopped matching); the unfiltered reload settles it."""
        if self.inbox.remove(notification_id) is not None:
            self._forget_cached(notification_id)
            self.emit(NotificationRemoved(notification_id))

    def set_unread(self, count: int) -> None:
        """The authoritative unread count (as adjusted for intents not yet sent)."""
        if count != self.unread_count:
            self.unread_count = count
            self._dirty = True
            self.emit(UnreadCountChanged(count))

    # -- state changes ---------------------------------------------------------------------------
    def _upsert(self, n: Notification, *, live: bool = False, news: bool = False) -> None:
        if self._all is not None:
            self._all.upsert(n)
            if n.id not in self.inbox and not self.filters.matches(n):
                return
        result = self.inbox.upsert(n)
        if result is Upsert.ADDED:
            self.emit(NotificationAdded(n, live, news))
        elif result is Upsert.UPDATED:
            self.emit(NotificationUpdated(n))
        if result is not Upsert.UNCHANGED:
            self._dirty = True

    def _set_read_locally(self, notification_id: str, is_read: bool) -> bool:
        """Apply a mark here; False when there is nothing to change (no request
        is worth sending then, and the count must not move while it waits)."""
        n = self.held.get(notification_id)
        if n is None or n.is_read == is_read or self._refused("mark"):
            return False
        self._upsert(n.with_read(is_read))
        if self.unread_count is not None:
            self.set_unread(max(0, self.unread_count + (-1 if is_read else 1)))
        return True

    def _refused(self, intent: str) -> bool:
        """A closing controller takes no intent: it could not reach the disk
        before the outbox closes (a face unbinds from it before closing it)."""
        if self._closed:
            log.warning("%s ignored: the controller is closing", intent)
        return self._closed

    def _confirm_all_read(self, before: datetime) -> None:
        """The server marked all read: so is everything here created before then."""
        self.spawn(self._read_in_slices(self.held.ids(), before), "tiri-all-read")

    async def _read_in_slices(self, ids: list[str], before: datetime | None) -> None:
        """Mark these read (those created by ``before``, if given), yielding to
        the event loop every few milliseconds: keys and paints go on meanwhile."""
        slice_ends = time.perf_counter() + SLICE_SECONDS
        replaced = 0
        for nid in ids:
            n = self.held.get(nid)
            if n is not None and not n.is_read and (before is None or n.created_at <= before):
                self._upsert(n.with_read(True))
                replaced += 1
                if before is None and self._last_all_read is not None:
                    self._last_all_read.append(nid)  # what an undo would restore
            if time.perf_counter() > slice_ends:
                if replaced:
                    _collect_young()
                    replaced = 0
                await let_others_run()
                slice_ends = time.perf_counter() + SLICE_SECONDS
        if replaced:
            _collect_young()

    # -- cache --------------------------------------------------------------------------------------
    async def _save_cache_loop(self) -> None:
        # Each save is awaited before the next interval: saves never pile up.
        while True:
            await asyncio.sleep(self.settings.cache_save_interval)
            await self._save_cache()

    def _forget_cached(self, notification_id: str) -> None:
        self._saved.pop(notification_id, None)
        self._removed_ids.add(notification_id)
        self._dirty = True

    async def _save_cache(self) -> None:
        """Write what changed among the rows the cache keeps, on the store thread.

        Only the newest ``limit`` rows are kept, so only they are looked at
        (O(limit) here, however many changed: after loading 100,000 every
        row is "changed"); serialising and writing happen off the loop.
        """
        cache = self._cache
        if cache is None or self.filters.active or self.cached:
            return
        rest = self.rest
        if not (self._dirty or rest.sync_changed):
            return
        kept = [self.inbox[i] for i in range(min(cache.limit, len(self.inbox)))]
        saved = self._saved
        changed = [n for n in kept if saved.get(n.id) is not n]
        removed = list(self._removed_ids)
        self._saved = {n.id: n for n in kept}
        self._removed_ids = set()
        self._dirty = rest.sync_changed = False
        try:
            await self.run_io(cache.apply, changed, removed, self.unread_count, rest.synced_until)
        except Exception:
            log.exception("could not save the cache")
            # Try again at the next save: compare with what the cache really has.
            self._saved = saved
            self._removed_ids.update(removed)
            self._dirty = True
