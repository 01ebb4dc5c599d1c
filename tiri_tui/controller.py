"""NotificationController: the one source of truth the dashboard and `tail` share.

It owns the notifications (by id, newest first), the authoritative unread
count and the connection state; drives the WebSocket worker; keeps things
fresh over REST while the socket is down; fills the gap after every
(re)connect; and sends the user's marks through a persisted outbox so none is
lost. It knows nothing of Textual: observers subscribe to plain events.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import datetime

from tiri_tui.api import TiriApi
from tiri_tui.errors import (
    NotLoggedIn,
)
from tiri_tui.events import (
    ActionQueued,
    ControllerEvent,
    ListReset,
    NotificationAdded,
    NotificationRemoved,
    NotificationUpdated,
    ServerError,
    StateEvent,
    UnreadCountChanged,
)
from tiri_tui.inbox import Inbox, Upsert
from tiri_tui.models import Notification
from tiri_tui.outbox_sync import OutboxSync
from tiri_tui.policy import SESSION_EXPIRED, ConnectionState
from tiri_tui.protocol import ErrorFrame, NotificationFrame, UnreadCountFrame
from tiri_tui.realtime import (
    FrameDropped,
    FrameReceived,
    RealtimeEvent,
    RealtimeWorker,
    StateChanged,
)
from tiri_tui.rest_sync import ControllerSettings, Counters, Filters, RestSync
from tiri_tui.store import NotificationCache

__all__ = ["ControllerSettings", "Counters", "Filters", "NotificationController"]

log = logging.getLogger(__name__)


class NotificationController(RestSync):
    """Owns the state; turns intents into REST calls; observable without Textual."""

    def __init__(
        self,
        api: TiriApi,
        worker_factory: Callable[[Callable[[RealtimeEvent], None]], RealtimeWorker],
        outbox: OutboxSync,
        cache: NotificationCache | None = None,
        settings: ControllerSettings | None = None,
    ) -> None:
        self.api = api
        self.settings = settings or ControllerSettings()
        self.inbox = Inbox()
        self.unread_count: int | None = None
        self.state = ConnectionState.DISCONNECTED
        self.reason = ""
        self.retry_in: float | None = None
        self.counters = Counters()
        self.filters = Filters()
        #: True while what is shown comes from the cache, not yet from the server.
        self.cached = False
        self.session_expired = False
        self.has_more = False
        #: Set once the first load over REST has finished (or failed).
        self.loaded = asyncio.Event()
        self.outbox = outbox
        self._cache = cache
        #: What changed since the cache was last saved (saves write only that).
        self._changed_ids: set[str] = set()
        self._removed_ids: set[str] = set()
        self._count_changed = False
        self._next_url: str | None = None
        #: Server time up to which nothing is missing (None: nothing synced yet).
        self._synced_until: datetime | None = None
        self._sync_changed = False
        #: A disconnect opened a gap that no completed fill has closed yet.
        self._gap_open = True
        self._fill_again = False
        #: A notification frame came through the server's broadcast on the
        #: current connection: proof that the socket is subscribed.
        self._subscribed = False
        self._connected_at = 0.0
        #: Page URLs already followed since the last reload: a server whose
        #: ``next`` leads back to one of them would loop for ever.
        self._followed: set[str] = set()
        self._more_coverage = self._coverage()
        #: Set to walk the whole held span now (``R``), not at the next interval.
        self._reconcile_now = asyncio.Event()
        self._observers: list[Callable[[ControllerEvent], None]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        #: Background tasks that ended in an exception (none should, ever).
        self.task_failures: list[str] = []
        self._gap_task: asyncio.Task[None] | None = None
        self._not_before = 0.0  # honours Retry-After
        self.worker = worker_factory(self._on_realtime)
        outbox.bind(self)

    @property
    def in_sync(self) -> bool:
        """Connected, and a completed fill proved nothing is missing since."""
        return not self._gap_open

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
    async def start(self) -> None:
        """Show the cache at once, then connect and load in the background."""
        if self._cache is not None:
            cached, count, self._synced_until = self._cache.load()
            for n in cached:
                self.inbox.upsert(n)
                self.emit(NotificationAdded(n, live=False))
            self.cached = bool(cached)
            if count is not None:
                self._set_unread(count)
        self.worker.start()
        self._spawn(self._fallback_loop(), "tiri-fallback")
        if self._cache is not None:
            self._spawn(self._save_cache_loop(), "tiri-cache-saver")
        self._restart_gap_fill()  # the first load
        self._spawn(self._reconcile_loop(), "tiri-reconcile")

    async def aclose(self) -> None:
        """Stop everything, save the cache, close the stores, leave nothing running.

        The stores are this controller's: a controller retired after a new
        login must not keep its databases open until the program exits.
        """
        await self.worker.aclose()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._save_cache()
        if self._cache is not None:
            self._cache.close()
        self.outbox.close()

    def live_tasks(self) -> int:
        """Background tasks still alive, the worker's included (for leak checks)."""
        return sum(1 for t in self._tasks if not t.done()) + self.worker.live_tasks()

    def _spawn(self, coro: object, name: str) -> asyncio.Task[None]:
        task = asyncio.ensure_future(coro)  # type: ignore[arg-type]
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
    def mark_read(self, notification_id: str) -> None:
        """Mark read now (optimistic) and send it through the outbox."""
        if self._set_read_locally(notification_id, True):
            self.outbox.submit("mark_read", notification_id)

    def mark_unread(self, notification_id: str) -> None:
        """Mark unread now (optimistic) and send it through the outbox."""
        if self._set_read_locally(notification_id, False):
            self.outbox.submit("mark_unread", notification_id)

    def mark_all_read(self) -> None:
        """Mark everything read now (optimistic) and send it through the outbox."""
        for n in list(self.inbox):
            if not n.is_read:
                self._upsert(n.with_read(True))
        self._set_unread(0)
        self.outbox.submit("mark_all_read", None)

    def delete(self, notification_id: str) -> None:
        """Delete now (optimistic) and send it through the outbox."""
        removed = self.inbox.remove(notification_id)
        if removed is None:
            return
        self.emit(NotificationRemoved(notification_id))
        self._forget_cached(notification_id)
        if not removed.is_read and self.unread_count:
            self._set_unread(self.unread_count - 1)
        self.outbox.submit("delete", notification_id, was_unread=not removed.is_read)

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
        self._reconcile_now.set()
        return self._spawn(self._refresh_over_rest(), "tiri-refresh")

    def load_more(self) -> asyncio.Task[None] | None:
        """Fetch the next page, if there is one and no fetch is running."""
        if not self._next_url or any(t.get_name() == "tiri-load-more" for t in self._tasks):
            return None
        return self._spawn(self._load_more(self._next_url), "tiri-load-more")

    def set_filters(self, filters: Filters) -> asyncio.Task[None] | None:
        """Change the server-side filters; the list is reloaded."""
        if filters == self.filters:
            return None
        self.filters = filters
        self.inbox.clear()
        self._next_url = None
        self._synced_until = None
        self.emit(ListReset())
        return self._spawn(self._refresh_over_rest(), "tiri-filter-reload")

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
            if not self._gap_open and not self.filters.active:
                self._advance_sync(n.created_at, "live")
            elif not self._subscribed and self.state is ConnectionState.CONNECTED:
                # Subscribed now for sure: one more fill covers whatever was
                # broadcast before the server subscribed this socket.
                self._subscribed = True
                self._restart_gap_fill()
        elif isinstance(frame, UnreadCountFrame):
            self._set_unread(frame.unread_count)
        elif isinstance(frame, ErrorFrame):
            self.emit(ServerError(frame.error))

    def _on_state(self, event: StateChanged) -> None:
        if self.session_expired:
            return
        was = self.state
        self.state, self.reason, self.retry_in = event.state, event.reason, event.retry_in
        if event.reason == SESSION_EXPIRED:
            self._end_session()
            return
        if event.state is not ConnectionState.CONNECTED and not self._gap_open:
            self._gap_open = True  # frames may be missed from now on
            log.debug("gap open: %s", event.state.value)
        if event.state is ConnectionState.CONNECTED and was is not ConnectionState.CONNECTED:
            self.counters.connects += 1
            self.counters.reconnects = self.counters.connects - 1
            self._subscribed, self._connected_at = False, time.monotonic()
            self._restart_gap_fill()
            self._spawn(self._fill_after_grace(self.counters.connects), "tiri-subscribe-grace")
        self.emit(StateEvent(event.state, event.reason, event.retry_in))

    def _end_session(self) -> None:
        self.session_expired = True
        self.state, self.reason = ConnectionState.ERROR, SESSION_EXPIRED
        self.worker.disconnect()
        self.emit(StateEvent(self.state, self.reason, None))

    # -- state changes ---------------------------------------------------------------------------
    def accept(
        self, notifications: list[Notification], *, live: bool, fetched_at: float | None = None
    ) -> None:
        """Upsert notifications from the server, with the user's intents applied on top.

        ``fetched_at``: when the request that returned them was sent (monotonic);
        what the user changed after that wins over these copies.
        """
        for n in notifications:
            n = self.outbox.rebase(n, fetched_at)
            if n is None:
                continue  # deleted here, the delete not yet acknowledged
            if n.id not in self.inbox and not self.filters.matches(n):
                continue
            self._upsert(n, live=live)

    def _upsert(self, n: Notification, *, live: bool = False) -> None:
        result = self.inbox.upsert(n)
        if result is Upsert.ADDED:
            self.emit(NotificationAdded(n, live=live))
        elif result is Upsert.UPDATED:
            self.emit(NotificationUpdated(n))
        if result is not Upsert.UNCHANGED:
            self._changed_ids.add(n.id)

    def _set_read_locally(self, notification_id: str, is_read: bool) -> bool:
        """Apply a mark here; False when there is nothing to change (no request
        is worth sending then, and the count must not move while it waits)."""
        n = self.inbox.get(notification_id)
        if n is None or n.is_read == is_read:
            return False
        self._upsert(n.with_read(is_read))
        if self.unread_count is not None:
            self._set_unread(max(0, self.unread_count + (-1 if is_read else 1)))
        return True

    def _set_unread(self, count: int) -> None:
        if count != self.unread_count:
            self.unread_count = count
            self._count_changed = True
            self.emit(UnreadCountChanged(count))

    def confirm_all_read(self, before: datetime) -> None:
        """The server marked all read: so is everything here created before then."""
        for n in list(self.inbox):
            if not n.is_read and n.created_at <= before:
                self._upsert(n.with_read(True))

    def notify_queued(self, action: str, reason: str) -> None:
        """Tell observers an intent waits in the outbox (called by the outbox)."""
        self.emit(ActionQueued(action, reason))

    # -- cache --------------------------------------------------------------------------------------
    async def _save_cache_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.cache_save_interval)
            self._save_cache()

    def _forget_cached(self, notification_id: str) -> None:
        self._changed_ids.discard(notification_id)
        self._removed_ids.add(notification_id)

    def _save_cache(self) -> None:
        if self._cache is None or self.filters.active or self.cached:
            return
        if not (
            self._changed_ids or self._removed_ids or self._count_changed or self._sync_changed
        ):
            return
        changed = [n for i in self._changed_ids if (n := self.inbox.get(i)) is not None]
        removed = list(self._removed_ids)
        self._changed_ids, self._removed_ids = set(), set()
        self._count_changed = self._sync_changed = False
        try:
            self._cache.apply(changed, removed, self.unread_count, self._synced_until)
        except Exception:
            log.exception("could not save the cache")

