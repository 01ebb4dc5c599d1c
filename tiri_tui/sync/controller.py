"""NotificationController: the store the dashboard and `tail` share.

It holds the sync core's state (:mod:`tiri_tui.sync.core`: the rows held and
the view shown, the unread count, the connection snapshot, the sync point and
the paging chain) and is the one place that applies events to it. Everything
that happens (a frame, a page, a key) becomes an event; the core's effects
are carried out here: observers are told, and the executors it holds act —
the WebSocket worker, the REST walker, the outbox sender, the cache writer.
Faces read the state through :attr:`view` and subscribe to plain events; it
knows nothing of Textual.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from tiri_tui.connection.api import TiriApi
from tiri_tui.connection.realtime import (
    FrameDropped,
    FrameReceived,
    RealtimeEvent,
    RealtimeWorker,
    StateChanged,
)
from tiri_tui.sync.background import Background
from tiri_tui.sync.cache_writer import CacheWriter
from tiri_tui.sync.controller_api import Undone
from tiri_tui.sync.controller_settings import UNDO_SECONDS, ControllerSettings, Counters
from tiri_tui.sync.core_holder import CoreHolder
from tiri_tui.sync.events import ActionQueued, ServerError
from tiri_tui.sync.intents import IntentAction
from tiri_tui.sync.messages import (
    AllReadConfirmed,
    ClearEnded,
    ClearStarted,
    Command,
    ConnectionChanged,
    CountArrived,
    DeleteWanted,
    FetchOlder,
    FrameArrived,
    LiveInGap,
    MarkWanted,
    OlderWanted,
    RowsWanted,
    SessionEnded,
    SocketUp,
    StopSession,
    Submit,
)
from tiri_tui.sync.outbox_sync import Intent, OutboxSync
from tiri_tui.sync.rest_sync import RestSync
from tiri_tui.sync.rules import Filters
from tiri_tui.sync.store import NotificationCache, Outbox
from tiri_tui.wire.errors import ActionNotSent, TiriError
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

if TYPE_CHECKING:
    from tiri_tui.connection.account import AccountApi, Breakdown
    from tiri_tui.wire.account import Preferences

log = logging.getLogger(__name__)

T = TypeVar("T")
#: How long a closing controller waits for a send in flight to be answered.
SEND_GRACE = 3.0
#: Rounds of cancelling what still runs as a controller closes (a task
#: cancelled as it was resuming may need another).
CANCEL_ROUNDS = 5


class NotificationController(CoreHolder):
    """Holds the sync core's state, applies events, carries out effects."""

    cache_writer: CacheWriter | None

    def __init__(
        self,
        api: TiriApi,
        worker_factory: Callable[[Callable[[RealtimeEvent], None]], RealtimeWorker],
        outbox: Outbox,
        cache: NotificationCache | None = None,
        settings: ControllerSettings | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings or ControllerSettings()
        self._older: asyncio.Task[None] | None = None
        self.counters = Counters()
        self._background = Background()
        self.spawn, self.run_io = self._background.spawn, self._background.run_io
        self.outbox = OutboxSync(
            outbox,
            api,
            on_queued=lambda action, reason: self.emit(ActionQueued(action, reason)),
            on_all_read=self._confirm_all_read,
            spawn=self.spawn,
            run_io=self.run_io,
        )
        self.rest = RestSync(
            api,
            self.outbox,
            self._state,
            self.dispatch,
            self.spawn,
            self.counters,
            self.settings,
            ask_count=self._ask_count,
        )
        self.worker = worker_factory(self._on_realtime)
        self._api = api
        #: Every REST call that finds only a new login helps ends the session.
        self._stop_watching_login = api.when_login_required(self.end_session)
        self.cache_writer = (
            None
            if cache is None
            else CacheWriter(
                cache, self._state, self.dispatch, self._background.store_thread, self.run_io
            )
        )

    # -- the work the core asks for --------------------------------------------------------------
    def _carry_out(self, effect: Command, hold: float) -> Intent | None:
        match effect:
            case Submit():
                return self.outbox.submit(
                    effect.action, effect.notification_id, was_unread=effect.was_unread, hold=hold
                )
            case FetchOlder():
                self._older = self.rest.fetch_older(effect.url, effect.chain)
            case SocketUp():
                self.counters.connects += 1
                self.counters.reconnects = self.counters.connects - 1
                self.rest.connection_up()
            case LiveInGap():
                self.rest.live_in_gap()
            case StopSession():
                self.rest.stop()
                self.worker.disconnect()
            case _:
                pass  # the work on what is held: done by the holder
        return None

    def _spawn(self, work: Coroutine[Any, Any, T], name: str) -> asyncio.Task[T]:
        return self.spawn(work, f"tiri-{name}")

    async def _filtered(self) -> None:
        await self.rest.reload_page_one()  # the server refines what was held

    # -- lifecycle --------------------------------------------------------------------------
    @property
    def loaded(self) -> asyncio.Event:
        """Set once the first page is in (or the first load failed)."""
        return self.rest.loaded

    @property
    def cached(self) -> bool:
        """What is shown comes from the cache, not yet confirmed by the server."""
        writer = self.cache_writer
        return writer is not None and writer.shown_from_cache and not self._state.confirmed

    async def start(self) -> None:
        """Show the cache at once, then connect and load in the background."""
        await self.show_cached()
        if self.cache_writer is not None:
            await self.cache_writer.show_rest()
        self._connect()

    def prefetch_cache(self) -> None:
        """Start reading the cache's first screenful now, on the store thread,
        so it is ready by the time the dashboard first paints (the app calls
        this before Textual starts)."""
        if self.cache_writer is not None:
            self.cache_writer.prefetch()

    async def show_cached(self) -> None:
        """Show the cache's first screenful, then open the outbox; no network yet.

        The dashboard paints these rows before it calls :meth:`go_live`, so
        neither the rest of the cache nor the network's start-up (imports, a
        first request) competes with the first paint; the outbox is read after
        for the same reason (its queued marks wait for the network anyway).
        """
        writer = self.cache_writer
        if writer is not None:
            await writer.show_first_screen()
            self.spawn(writer.save_every(self.settings.cache_save_interval), "tiri-cache-saver")
        await self.outbox.start()

    def go_live(self) -> None:
        """Show the rest of the cache, then connect the socket and start the
        REST sync (after :meth:`show_cached`)."""
        if not self._closed:  # retired before its first paint
            self.spawn(self._go_live(), "tiri-go-live")

    async def _go_live(self) -> None:
        # Every cached row is shown before the network's: an older cached
        # copy must never overwrite what the server just said.
        if self.cache_writer is not None:
            await self.cache_writer.show_rest()
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
        self._closed = True
        self._background.close()  # from here on, spawn starts nothing
        self._stop_watching_login()  # a newer login's controller answers for its API
        self.rest.stop()  # its loops end at their next turn
        await self.worker.aclose()
        # An intent submitted just before quitting must reach the disk first.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.outbox.written(), 10)
        # A send cut off after the server had it would be sent again by the
        # next controller (it is still on disk): let its answer come first.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.outbox.stop(), SEND_GRACE)
        await self._background.cancel_all(CANCEL_ROUNDS, SEND_GRACE)
        if self.cache_writer is not None:
            await self.cache_writer.save()
            await self.cache_writer.close()
        await self.outbox.close()
        self._background.shutdown()  # idle: every call above was awaited

    def live_tasks(self) -> int:
        """Background tasks still alive, the worker's included (for leak checks)."""
        return self._background.live() + self.worker.live_tasks()

    @property
    def frames_dropped(self) -> int:
        """Frames the socket worker dropped (it counts them; nobody else does)."""
        return self.worker.frames_dropped

    @property
    def task_failures(self) -> list[str]:
        """Background tasks that ended in an exception (none should, ever)."""
        return self._background.failures

    # -- intents -----------------------------------------------------------------------------
    def mark_read(self, notification_id: str, *, hold: float = 0.0) -> Intent | None:
        """Mark read now (optimistic) and send it through the outbox (``hold``:
        seconds it may still be undone before it is sent); None: nothing changed."""
        if self._refused("mark"):
            return None
        return self.dispatch(MarkWanted(notification_id, True), hold=hold)

    def mark_unread(self, notification_id: str, *, hold: float = 0.0) -> Intent | None:
        """Mark unread now (optimistic) and send it through the outbox (``hold``:
        as for :meth:`mark_read`); None: nothing changed."""
        if self._refused("mark"):
            return None
        return self.dispatch(MarkWanted(notification_id, False), hold=hold)

    def send_unheld(
        self, action: IntentAction, notification_id: str, *, hold: float
    ) -> Intent | None:
        """An intent on a row this controller does not hold (a face attached to
        the agent holds it: paged before the agent restarted with less): to
        the outbox as it is, nothing here to change. None when closing."""
        if self._refused(action.words):
            return None
        return self.outbox.submit(action, notification_id, hold=hold)

    def take_back_unheld(self, intent: Intent) -> bool:
        """Cancel an intent :meth:`send_unheld` queued, if it has not left."""
        return self.outbox.cancel(intent)

    def _take_back(self, intent: Intent) -> bool:
        return self.outbox.cancel(intent)

    def delete(self, notification_id: str, *, hold: float = 0.0) -> Intent | None:
        """Delete now (optimistic) and send it through the outbox (``hold``: as
        for :meth:`mark_read`); None: not held here."""
        if self._refused("delete"):
            return None
        return self.dispatch(DeleteWanted(notification_id), hold=hold)

    def reconnect(self) -> None:
        """Reconnect the socket now, forgetting past failures."""
        if not self.session_expired:
            self.worker.reconnect()

    def disconnect(self) -> None:
        """Close the socket and stop retrying (REST fallback continues)."""
        self.worker.disconnect()

    def refresh(self) -> asyncio.Task[str | None]:
        """Refresh page 1, the count and the outbox over REST now; then walk
        the rest of the held list in the background for deletions. The task's
        result: why the refresh failed, in words (None: it did not)."""
        return self.rest.refresh()

    def load_more(self) -> asyncio.Task[None] | None:
        """Older notifications wanted: the fetch of the next page (the one on
        its way, if any); None when there is no older page to load."""
        self.dispatch(OlderWanted())
        return self._older if self._state.paging.in_flight else None

    def want_rows(self, count: int) -> None:
        """A face can show ``count`` rows: older pages are fetched until the
        list shown has them, or ends."""
        self.dispatch(RowsWanted(count))

    async def count_unread(self, filters: Filters) -> int:
        """The server's count of unread notifications these filters show (a saved
        view's tab)."""
        return await self.rest.count_unread(filters)

    # -- the account ------------------------------------------------------------------------------
    @property
    def _account(self) -> AccountApi:
        # Loaded when first asked for: not on the way to the first painted row.
        from tiri_tui.connection.account import AccountApi

        return AccountApi(self._api)

    async def unread_breakdown(self) -> Breakdown:
        """The server's unread count by type (``by_type`` None: it sends none)."""
        return await self._account.unread_breakdown()

    async def count_read(self) -> int:
        """How many read notifications the server holds (what clearing would delete)."""
        return (await self._api.list(page_size=1, is_read=True)).count

    async def clear_read(self) -> int | None:
        """Delete every read notification on the server, then here (the cache
        follows): how many the server says went. Refused while marks wait to
        be sent: the server would keep rows turned read here meanwhile."""
        waiting = self.outbox.pending_count
        if waiting:
            raise ActionNotSent(
                f"not sent: {waiting} change{'s' if waiting != 1 else ''} still on the way "
                "to the server; clear again once the outbox is empty"
            )
        self.dispatch(ClearStarted())
        try:
            deleted = await self._account.clear_read()
        except BaseException:
            self.dispatch(ClearEnded())
            raise
        self.read_cleared()  # the rows go in slices; the clear ends with them
        return deleted

    async def preferences(self) -> Preferences:
        """The person's preferences on the server (ActionUnavailable: it keeps none)."""
        return await self._account.preferences()

    # -- realtime events -----------------------------------------------------------------------
    def _on_realtime(self, event: RealtimeEvent) -> None:
        if isinstance(event, FrameReceived):
            self._on_frame(event)
        elif isinstance(event, StateChanged):
            self.dispatch(ConnectionChanged(event.state, event.code, event.reason, event.retry_in))
        elif isinstance(event, FrameDropped):
            pass  # the worker counts them (frames_dropped); it logged why

    def _on_frame(self, event: FrameReceived) -> None:
        frame = event.frame
        if isinstance(frame, NotificationFrame):
            n = frame.notification
            latency = time.time() - n.created_at.timestamp()
            if 0 <= latency < 3600:
                self.counters.last_delivery_latency = latency
            self.dispatch(FrameArrived(n, self.outbox.rebase(n), self.rest.now()))
        elif isinstance(frame, UnreadCountFrame):
            count = self.outbox.rebase_count(frame.unread_count, live=True)
            self.dispatch(CountArrived(count, self.rest.now()))
        elif isinstance(frame, ErrorFrame):
            self.emit(ServerError(frame.error))

    async def _ask_count(self) -> None:
        with contextlib.suppress(TiriError):
            await self.worker.send(GetUnreadCount())

    def _confirm_all_read(self, before: datetime) -> None:
        self.dispatch(AllReadConfirmed(before))

    def end_session(self) -> None:
        """The refresh token was refused: only a new login helps."""
        self.dispatch(SessionEnded())
