"""The Textual dashboard: it renders controller state and sends intents, nothing more.

Controller events arrive synchronously (same event loop) and are batched:
the screen is updated at most once per frame, however fast they come.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from itertools import islice
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Footer, Label

from tiri_tui.config import security_warnings
from tiri_tui.controller import Filters, NotificationController
from tiri_tui.errors import TiriError
from tiri_tui.events import (
    ActionQueued,
    ControllerEvent,
    ListReset,
    NotificationAdded,
    ServerError,
    StateEvent,
    UnreadCountChanged,
)
from tiri_tui.models import KNOWN_TYPES
from tiri_tui.text import one_line
from tiri_tui.ui.notification_list import NotificationList
from tiri_tui.ui.screens import (
    ALL_TYPES,
    ConfirmScreen,
    HelpScreen,
    LoginRequested,
    LoginScreen,
    SearchScreen,
    TypePickerScreen,
)
from tiri_tui.ui.widgets import ConnectionIndicator, DetailPane, StatusLine, UnreadBadge

if TYPE_CHECKING:
    from tiri_tui.client import TiriClient

#: More new notifications than this at once are announced as one toast.
TOAST_LIMIT = 3
#: At most one toast (or group of toasts) per this many seconds.
TOAST_INTERVAL = 1.0
STATUS_INTERVAL = 0.5
GC_THRESHOLDS = (20_000, 20, 100)


def _freeze_survivors() -> None:
    """Move everything alive after the first load into the permanent generation."""
    gc.collect()
    gc.freeze()


class TiriApp(App[None]):
    """tiri-tui's dashboard."""

    TITLE = "tiri-tui"
    CSS_PATH = "tiri.tcss"
    BINDINGS = [
        Binding("enter", "details", "Details"),
        Binding("m", "mark_read", "Read"),
        Binding("u", "mark_unread", "Unread"),
        Binding("M", "mark_all_read", "All read"),
        Binding("d", "delete", "Delete"),
        Binding("r", "reconnect", "Reconnect"),
        Binding("R", "refresh", "Refresh", show=False),
        Binding("slash", "search", "Search"),
        Binding("f", "toggle_unread", "Unread only"),
        Binding("t", "pick_type", "Type", show=False),
        Binding("s", "toggle_status", "Metrics", show=False),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        client: TiriClient | None = None,
        *,
        controller: NotificationController | None = None,
        demo_server: object | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        bell: bool = True,
        server_label: str | None = None,
    ) -> None:
        super().__init__()
        self.client = client
        self.controller = controller
        self.demo_server = demo_server
        self.clock = clock
        self.ring_bell = bell
        label = server_label or (client.settings.server if client else "")
        self.server_label = f"{label} (demo)" if demo_server is not None else label
        self._pending_live: list = []
        self._last_toast = 0.0
        self._toast_timer_set = False
        self._badge_shown: tuple[int | None, bool] | None = None
        self._status_dirty = False
        self._last_status = 0.0
        self._gc_frozen = False
        self._dirty = False
        self._batch_scheduled = False
        self._unsubscribe: Callable[[], None] | None = None

    # -- layout -------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Horizontal(id="top-bar"):
            yield Label("tiri-tui", id="app-name")
            yield Label(Text(self.server_label), id="server")
            yield UnreadBadge(id="badge")
            yield ConnectionIndicator(clock=lambda: self.clock().timestamp(), id="indicator")
        with Horizontal(id="main"):
            yield NotificationList(self._source(), clock=self.clock, id="list")
            yield DetailPane(id="detail", classes="hidden")
        yield StatusLine(id="status")
        yield Footer()

    def _source(self) -> Iterable:
        return self.controller.inbox if self.controller else []

    def on_mount(self) -> None:
        # A full (generation 2) collection walks every object: with the widget
        # tree and thousands of notifications that is a 40-80 ms stall, several
        # times a second under a stream of arrivals. Collect young objects less
        # often, and take what exists after the first load out of the scans.
        gc.set_threshold(*GC_THRESHOLDS)
        self.query_one(NotificationList).focus()
        self.set_interval(30, self._tick)
        # Metrics change with every frame received; people read them at a calmer pace.
        self.set_interval(STATUS_INTERVAL, self._refresh_status)
        if self.client is not None:
            for warning in security_warnings(self.client.settings):
                self._toast(warning, title="Warning", severity="warning", timeout=15)
        if self.controller is not None:
            self._bind(self.controller)
        elif self.client is not None and self.client.auth.session is not None:
            self._open_and_start()
        else:
            self._ask_to_log_in()

    def _ask_to_log_in(self) -> None:
        if not isinstance(self.screen, LoginScreen):
            self.push_screen(LoginScreen(self.client.settings.server if self.client else ""))

    @work(exclusive=True, group="controller")
    async def _open_and_start(self) -> None:
        assert self.client is not None
        if self.controller is not None:
            # A new login after the session ended: retire the old controller first.
            old, self.controller = self.controller, None
            if self._unsubscribe is not None:
                self._unsubscribe()
            await old.aclose()
        controller = self.client.open_controller()
        self._bind(controller)
        await controller.start()

    def _bind(self, controller: NotificationController) -> None:
        self.controller = controller
        view = self.query_one(NotificationList)
        view.source = controller.inbox
        self._unsubscribe = controller.subscribe(self._on_event)
        self.query_one(ConnectionIndicator).show(
            controller.state, controller.reason, controller.retry_in
        )
        self._dirty = True
        self._schedule_batch()

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()

    # -- controller events, batched to one update per frame ------------------------
    def _on_event(self, event: ControllerEvent) -> None:
        with contextlib.suppress(NoMatches):  # the app is shutting down: widgets are gone
            self._take_event(event)

    def _take_event(self, event: ControllerEvent) -> None:
        match event:
            case NotificationAdded(live=True):
                self._pending_live.append(event.notification)
            case StateEvent(state=state, reason=reason, retry_in=retry_in, code=code):
                self.query_one(ConnectionIndicator).show(state, reason, retry_in)
                if code.needs_login and self.client is not None:
                    self._ask_to_log_in()
            case ServerError(message=message):
                self._toast(message, title="Server error", severity="error")
            case ActionQueued(action=action, reason=reason):
                self._toast(f"{action.replace('_', ' ')}: {reason}", severity="warning")
            case ListReset():
                self.query_one(NotificationList).move_to(0)
            case UnreadCountChanged():
                pass
        self._dirty = True
        self._schedule_batch()

    def _schedule_batch(self) -> None:
        # Events come from the socket's task, outside Textual's context: the
        # batch runs as the app's own callback. All that arrives before it runs
        # lands in one batch, and Textual paints at most once per frame.
        if not self._batch_scheduled:
            self._batch_scheduled = True
            self.call_later(self._apply_batch)

    def _apply_batch(self) -> None:
        self._batch_scheduled = False
        with contextlib.suppress(NoMatches):  # a frame due while the app shuts down
            self._paint()

    def _paint(self) -> None:
        controller = self.controller
        if controller is None or not self._dirty:
            return
        self._dirty = False
        view = self.query_one(NotificationList)
        view.sync()
        if controller.has_more and len(controller.inbox) < view.size.height + 5:
            controller.load_more()  # fill the screen before the user has to scroll
        if not self._gc_frozen and controller.loaded.is_set():
            self._gc_frozen = True
            self.call_after_refresh(_freeze_survivors)
        badge = (controller.unread_count, controller.cached)
        if badge != self._badge_shown:
            self._badge_shown = badge
            self.query_one(UnreadBadge).show(*badge)
        self._status_dirty = True
        if time.monotonic() - self._last_status >= STATUS_INTERVAL:
            self._refresh_status()  # else the interval timer catches up
        if self._pending_live:
            self._announce()

    def _announce(self) -> None:
        """Toasts for new arrivals: at once, but at most one per second, coalesced.

        A toast is a mounted widget; one per batch during a burst would cost
        more than the burst itself.
        """
        wait = self._last_toast + TOAST_INTERVAL - time.monotonic()
        if wait > 0:
            if not self._toast_timer_set:
                self._toast_timer_set = True
                self.set_timer(wait, self._announce_later)
            return
        fresh, self._pending_live = self._pending_live, []
        self._last_toast = time.monotonic()
        if self.ring_bell and any(n.priority == "urgent" for n in fresh):
            self.bell()
        if len(fresh) > TOAST_LIMIT:
            newest = fresh[-1]
            self._toast(f"newest: {newest.title}", title=f"{len(fresh)} new notifications")
            return
        for n in fresh:
            title = "Urgent" if n.priority == "urgent" else "New"
            self._toast(f"{n.title}: {n.message}", title=title)

    def _announce_later(self) -> None:
        self._toast_timer_set = False
        if self._pending_live:
            with contextlib.suppress(NoMatches):
                self._announce()

    def _refresh_status(self) -> None:
        if self._status_dirty:
            self._status_dirty = False
            self._last_status = time.monotonic()
            with contextlib.suppress(NoMatches):
                self._show_status()

    def _toast(self, message: str, **options: object) -> None:
        """A toast showing ``message`` literally (server text is never markup)."""
        self.notify(one_line(message, 200), markup=False, **options)  # type: ignore[arg-type]

    def _show_status(self) -> None:
        controller = self.controller
        if controller is None:
            return
        f = controller.filters
        labels = []
        if f.unread_only:
            labels.append("unread only")
        if f.notification_type:
            labels.append(f"type={one_line(f.notification_type, 30)}")
        if f.search:
            labels.append(f"search={one_line(f.search, 30)!r}")
        self.query_one(StatusLine).show(
            controller.counters,
            controller.outbox.pending_count,
            len(controller.inbox),
            " ".join(labels),
        )

    def _tick(self) -> None:
        self.query_one(NotificationList).tick()
        self._show_status()

    # -- list messages ---------------------------------------------------------------
    @on(NotificationList.Highlighted)
    def _highlighted(self, message: NotificationList.Highlighted) -> None:
        detail = self.query_one(DetailPane)
        if not detail.has_class("hidden"):
            detail.show(message.notification)

    @on(NotificationList.NearEnd)
    def _near_end(self) -> None:
        if self.controller is not None:
            self.controller.load_more()

    # -- actions ----------------------------------------------------------------------
    def _current_id(self) -> str | None:
        current = self.query_one(NotificationList).current
        return current.id if current else None

    def action_details(self) -> None:
        detail = self.query_one(DetailPane)
        detail.toggle_class("hidden")
        current = self.query_one(NotificationList).current
        if not detail.has_class("hidden"):
            detail.show(current)
            if current is not None and not current.is_read and self.controller:
                self.controller.mark_read(current.id)

    def action_mark_read(self) -> None:
        if self.controller and (nid := self._current_id()):
            self.controller.mark_read(nid)

    def action_mark_unread(self) -> None:
        if self.controller and (nid := self._current_id()):
            self.controller.mark_unread(nid)

    def action_mark_all_read(self) -> None:
        if self.controller:
            self.controller.mark_all_read()

    def action_delete(self) -> None:
        current = self.query_one(NotificationList).current
        if self.controller is None or current is None:
            return

        def answered(yes: bool | None) -> None:
            if yes and self.controller:
                self.controller.delete(current.id)

        self.push_screen(ConfirmScreen(f"Delete “{one_line(current.title, 60)}”?"), answered)

    def action_reconnect(self) -> None:
        if self.controller:
            self.controller.reconnect()
            self._toast("Reconnecting…", timeout=2)

    def action_refresh(self) -> None:
        if self.controller:
            self.controller.refresh()
            self._toast("Refreshing over HTTP…", timeout=2)

    def action_toggle_unread(self) -> None:
        if self.controller:
            f = self.controller.filters
            self.controller.set_filters(Filters(not f.unread_only, f.notification_type, f.search))
            self._dirty = True
            self._schedule_batch()

    def action_search(self) -> None:
        if self.controller is None:
            return

        def searched(term: str | None) -> None:
            if term is not None and self.controller:
                f = self.controller.filters
                self.controller.set_filters(
                    Filters(f.unread_only, f.notification_type, term or None)
                )

        self.push_screen(SearchScreen(self.controller.filters.search), searched)

    def action_pick_type(self) -> None:
        if self.controller is None:
            return
        types = set(KNOWN_TYPES) | {
            n.notification_type for n in islice(self.controller.inbox, 2000)
        }

        def picked(choice: str | None) -> None:
            if choice is not None and self.controller:
                f = self.controller.filters
                kind = None if choice == ALL_TYPES else choice
                self.controller.set_filters(Filters(f.unread_only, kind, f.search))

        self.push_screen(TypePickerScreen(types, self.controller.filters.notification_type), picked)

    def action_toggle_status(self) -> None:
        self.query_one(StatusLine).toggle_class("hidden")

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    # -- login --------------------------------------------------------------------------
    @on(LoginRequested)
    async def _login(self, message: LoginRequested) -> None:
        self._do_login(message.email, message.password)

    @work(exclusive=True, group="login")
    async def _do_login(self, email: str, password: str) -> None:
        assert self.client is not None
        try:
            await self.client.auth.login(email, password)
        except TiriError as exc:
            if isinstance(self.screen, LoginScreen):
                self.screen.failed(str(exc))
            return
        if isinstance(self.screen, LoginScreen):
            self.pop_screen()
        self._open_and_start()

    # -- command palette -------------------------------------------------------------------
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Reconnect", "Reconnect the WebSocket now", self.action_reconnect)
        yield SystemCommand("Refresh", "Refresh the list over HTTP now", self.action_refresh)
        yield SystemCommand(
            "Mark all read", "Mark every notification read", self.action_mark_all_read
        )
        yield SystemCommand(
            "Unread only", "Show only unread notifications (toggle)", self.action_toggle_unread
        )
        yield SystemCommand("Filter by type", "Show one notification type", self.action_pick_type)
        yield SystemCommand("Search", "Search titles and messages", self.action_search)
        yield SystemCommand(
            "Metrics", "Show/hide the connection metrics line", self.action_toggle_status
        )
        yield SystemCommand("Keys", "Every key binding", self.action_help)
