"""The dashboard screen: the list, the badge, the indicator, and every action on them.

It renders the controller and sends it intents, nothing more. Controller
events ask for one :class:`ControllerChanged` message, not one each: however
fast the events come, the screen is brought up to date once per turn of its
queue.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Label

from tiri_tui.connection.policy import ConnectionState, StateCode
from tiri_tui.sync.controller import Filters, Intent, NotificationController
from tiri_tui.sync.events import (
    ActionQueued,
    Arrived,
    ControllerEvent,
    ListReset,
    NotificationAdded,
    ServerError,
)
from tiri_tui.sync.inbox import Inbox
from tiri_tui.ui.alerting import Alerting
from tiri_tui.ui.filter_menu import FilterMenu
from tiri_tui.ui.keymap import KeyId, Scope, bindings, key_name, keys_in_force
from tiri_tui.ui.marking import MarkedRows, describe_undone
from tiri_tui.ui.notification_list import NotificationList
from tiri_tui.ui.row import relative_age
from tiri_tui.ui.screens import ConfirmScreen
from tiri_tui.wire.models import Notification
from tiri_tui.wire.text import one_line

if TYPE_CHECKING:
    from tiri_tui.settings.customisation import SavedView
    from tiri_tui.ui.view_tabs import ViewTabs

from tiri_tui.ui.widgets import (
    ConnectionIndicator,
    DetailPane,
    MessageLine,
    StatusLine,
    TextLine,
    UnreadBadge,
)
from tiri_tui.ui.wording import clipboard_text, describe_filters, empty_state, filter_labels

STATUS_INTERVAL = 0.5
#: Codes of a server out of reach (the retries go on): the screen says why.
OFFLINE_CODES = frozenset(
    {
        StateCode.NETWORK,
        StateCode.CLOSED,
        StateCode.HANDSHAKE_REFUSED,
        StateCode.HEARTBEAT,
        StateCode.TOKEN_REFRESH_FAILED,
    }
)
#: Below this width the details pane opens full-width.
NARROW_WIDTH = 100


class ControllerChanged(Message):
    """The controller changed (one is pending at most: see ``_ask_paint``)."""


class LoginNeeded(Message):
    """Only a new login can bring the session back (the app asks for one)."""


class DashboardScreen(Screen[None]):
    """The main screen: one controller's notifications and what to do with them."""

    BINDINGS = bindings(Scope.DASHBOARD)

    def __init__(
        self,
        *,
        clock: Callable[[], datetime],
        alerting: Alerting,
        server_label: str,
        views: tuple[SavedView, ...] = (),
        rows_settled: Callable[[], None] | None = None,
        keymap: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.views = views
        #: The user's [keymap]: what the screen says names the keys in force.
        self._keymap = keymap or {}
        self.filter_menu = FilterMenu(
            lambda: self.controller, self._ask_paint, self.say, self, views
        )
        self.marks = MarkedRows(
            lambda: self.query_one(NotificationList), lambda: self.controller, self.say, self
        )
        self.marks.key, self.marks.offer_undo = self.key, self._offer_undo_of
        self.clock = clock
        self.alerting = alerting
        self.server_label = server_label
        self.controller: NotificationController | None = None
        #: Told when a big load's rows are long-lived: the cache's, then the first load's.
        self._rows_settled = rows_settled
        self._cache_settled = False
        self._unsubscribe: Callable[[], None] | None = None
        self._pending_live: list[Notification] = []
        self._arrivals: list[Notification] = []
        self._notices: list[tuple[str, SeverityLevel]] = []
        self._reset = False
        self._badge_shown: tuple[int | None, bool] | None = None
        self._state_shown: tuple[ConnectionState, str, float | None] | None = None
        self._status_dirty = False
        self._last_status = 0.0
        self._asked_login = False
        self._connected_before = False
        #: The app's login form is open over this screen.
        self._login_open = False
        #: Why the server is out of reach (its last failure), while it is.
        self._offline_why = ""
        #: u undoes the last "mark all read" (the message line says so).
        self._undo_all_offered = False
        self._undo_timer: Timer | None = None
        #: The last marks or delete (each intent with its row as it was), undoable
        #: (z) until this moment (monotonic), while the outbox still holds them.
        self._undoable: list[tuple[Intent, Notification]] = []
        self._undoable_what = ""
        self._undoable_until = 0.0
        #: What the message line said of the count being typed (cleared once used).
        self._count_said = ""
        #: The outbox's size as the metrics line shows it.
        self._outbox_shown = 0
        #: A ControllerChanged is on its way: more events need no other.
        self._paint_asked = False

    # -- layout -------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Horizontal(id="top-bar"):
            yield Label("tiri-tui", id="app-name")
            yield Label(Text(self.server_label), id="server")
            yield UnreadBadge(id="badge")
            yield ConnectionIndicator(clock=lambda: self.clock().timestamp(), id="indicator")
        with Horizontal(id="main"):
            with Vertical(id="list-column"):
                if self.views:
                    # Imported only when views are configured: Textual's Tabs
                    # would otherwise weigh on every start-up.
                    from tiri_tui.ui.view_tabs import ViewTabs

                    yield ViewTabs(self.views, id="views")
                yield TextLine(id="filters", classes="hidden")
                yield Label("", id="new-above", classes="hidden")
                yield NotificationList(Inbox(), clock=self.clock, id="list")
            yield DetailPane(id="detail", classes="hidden")
        yield MessageLine(id="message")
        yield StatusLine(id="status")
        yield Footer()

    def key(self, binding_id: KeyId) -> str:
        """The key in force for ``binding_id`` (a [keymap] may have moved it):
        every message that names a key asks here."""
        return key_name(binding_id, self._keymap)

    def on_mount(self) -> None:
        view = self.query_one(NotificationList)
        view.focus()
        # A digit that switches to a view in force is not a count (5j) too.
        views = range(1, len(self.views) + 2) if self.views else ()
        keymap = getattr(self.app, "keymap", None)
        taken = {k for i in views for k in keys_in_force(KeyId.view(i), keymap)}
        view.count_digits = frozenset("123456789") - taken
        self.set_interval(30, self._tick)
        self.set_interval(1, self._every_second)
        # Metrics change with every frame received; people read them at a calmer pace.
        self.set_interval(STATUS_INTERVAL, self._refresh_status)
        self.alerting.start(self.set_timer)
        if self.controller is not None:
            self._follow(self.controller)

    def on_unmount(self) -> None:
        self.unbind()

    # -- the controller -------------------------------------------------------------
    def bind(self, controller: NotificationController) -> None:
        """Show ``controller`` (replacing any other) and follow its events."""
        self.unbind()
        self.controller = controller
        self._asked_login = self._login_open = False
        if self.is_mounted:  # else on_mount follows it
            self._follow(controller)

    def _follow(self, controller: NotificationController) -> None:
        view = self.query_one(NotificationList)
        view.source = controller.inbox
        self._unsubscribe = controller.subscribe(self._on_event)
        controller.want_rows(view.fits())  # the screen fills before anyone scrolls
        self._ask_paint()

    def unbind(self) -> None:
        """Stop following the controller (it is being retired)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def _on_event(self, event: ControllerEvent) -> None:
        # Called on the socket's task: note what must not be coalesced away,
        # then one message that the next one may replace.
        match event:
            case NotificationAdded(live=live, news=news):
                if live:
                    self._pending_live.append(event.notification)
                if news:
                    self._arrivals.append(event.notification)
            case Arrived(notification=notification):
                self._arrivals.append(notification)
            case ServerError(message=message):
                self._notices.append((f"Server error: {message}", "error"))
            case ActionQueued(action=action, reason=reason):
                self._notices.append((f"{action.words}: {reason}", "warning"))
            case ListReset():
                self._reset = True
            case _:
                pass
        self._ask_paint()

    def _tell_rows_settled(self, controller: NotificationController) -> None:
        if self._rows_settled is None:
            return
        # Told before painting: taking a load out of the collector's scans
        # is cheap, and spares the first paint a collection that walks it.
        if controller.loaded.is_set():
            done, self._rows_settled = self._rows_settled, None
            done()
        elif not self._cache_settled and len(controller.inbox):
            self._cache_settled = True
            self._rows_settled()

    def _ask_paint(self) -> None:
        # Posting a message costs more than handling most events: a burst of
        # 10,000 events (or a cache of 1,000 rows at start-up) asks once.
        if not self._paint_asked:
            self._paint_asked = self.post_message(ControllerChanged())

    @on(ControllerChanged)
    def _paint(self) -> None:
        self._paint_asked = False
        controller = self.controller
        if controller is None:
            return
        self._tell_rows_settled(controller)
        view = self.query_one(NotificationList)
        if self._reset:
            self._reset = False
            view.source = controller.inbox  # filters on or off: another list is shown
            view.cursor = 0
        view.sync()
        state = (controller.state, controller.reason, controller.retry_in)
        if state != self._state_shown:
            # Only a new state: showing the same one again would restart the
            # retry countdown, and costs a relayout on every paint of a burst.
            self._state_shown = state
            if controller.state is ConnectionState.CONNECTED:
                self._offline_why = ""
            elif (
                controller.code in OFFLINE_CODES
                and controller.reason  # (a try in progress has none: the outage goes on)
                and controller.reason != self._offline_why
            ):
                self._offline_why = controller.reason
                retries = self.key(KeyId.RECONNECT)
                self.say(f"Offline: {controller.reason} ({retries} retries now)", "warning")
            self._show_state(controller)
            if controller.state is ConnectionState.CONNECTED:
                if self._connected_before:  # r, or the retries, worked: say so
                    self.say("Connected again")
                self._connected_before = True
            failed = controller.state is ConnectionState.ERROR and controller.reason
            # Needing a login, the login form opens and says why instead.
            if failed and not controller.needs_login:
                retries = self.key(KeyId.RECONNECT)
                self.say(f"{controller.reason} — press {retries} to try again now", "error")
        self._show_filters(controller, view)
        badge = (controller.unread_count, controller.cached)
        if badge != self._badge_shown:
            self._badge_shown = badge
            self.query_one(UnreadBadge).show(*badge)
            if self.views:
                self._view_tabs().counts_changed(controller)
        self._status_dirty = True
        if time.monotonic() - self._last_status >= STATUS_INTERVAL:
            self._refresh_status()  # else the interval timer catches up
        notices, self._notices = self._notices, []
        for message, severity in notices:
            self.say(message, severity)
        if self._pending_live or self._arrivals:
            self._signal_arrivals(controller)
        if controller.needs_login and not self._asked_login:
            self._asked_login = True
            self.post_message(LoginNeeded())

    def _show_state(self, controller: NotificationController) -> None:
        """The indicator: the state, why (the last failure's words while the
        retries go on), and the key that helps."""
        reason = controller.reason
        if controller.state is ConnectionState.RECONNECTING and self._offline_why:
            reason = self._offline_why  # not "reconnecting" while a retry is under way
        hint = f"{self.key(KeyId.RECONNECT)} retries"
        if controller.needs_login:
            # Not while the form is open: that key would type into it.
            hint = "" if self._login_open else f"{self.key(KeyId.LOG_IN)} logs in"
        self.query_one(ConnectionIndicator).show(
            controller.state, reason, controller.retry_in, hint=hint
        )

    def _signal_arrivals(self, controller: NotificationController) -> None:
        """Arrivals show in the list (highlighted for a moment, or counted above
        the view when the reader scrolled away), not as toasts over it; what is
        new to the person goes through the rules, the bell and the alerts."""
        arrivals, self._arrivals = self._arrivals, []
        muted = self.alerting.treat(arrivals, controller.mark_read)
        fresh, self._pending_live = self._pending_live, []
        view = self.query_one(NotificationList)
        for n in fresh:
            if n.id not in muted:
                view.mark_fresh(n.id)

    def _show_filters(self, controller: NotificationController, view: NotificationList) -> None:
        """The filter bar (when filters narrow the list) and the empty list's words."""
        if self.views:
            tabs = self._view_tabs()
            tabs.highlight_view(tabs.index_of(controller.filters))
        bar = self.query_one("#filters", TextLine)
        described = describe_filters(
            controller.filters,
            controller.filtered_here,
            offline=controller.state is not ConnectionState.CONNECTED,
            key=self.key,
        )
        bar.show_text(Text(f" {described}"))
        bar.set_class(not described, "hidden")
        view.empty_text = empty_state(
            controller.filters,
            controller.loaded.is_set() or controller.cached,
            controller.state,
            key=self.key,
        )

    @on(NotificationList.NewAbove)
    def _new_above(self, message: NotificationList.NewAbove) -> None:
        marker = self.query_one("#new-above", Label)
        marker.update(f" ↑ {message.count:,} new above — {self.key(KeyId.FIRST)} goes to the top")
        marker.set_class(message.count == 0, "hidden")

    def login_form_open(self, is_open: bool) -> None:
        """The app opened the login form, or it was closed without a login:
        then say how to open it again (the key in force)."""
        self._login_open = is_open
        controller = self.controller
        if controller is not None and self.is_mounted:
            self._show_state(controller)
        if is_open or not self.is_mounted:
            return
        again = self.key(KeyId.LOG_IN)
        if controller is None:
            first_look = "`tiri-tui demo` gives a first look"
            self.query_one(
                NotificationList
            ).empty_text = f"Not logged in — {again} logs in · {first_look}"
            self.say(f"Not logged in — {again} logs in")
        elif controller.needs_login:
            self.say(
                f"Not logged in ({controller.reason}) — {again} logs in; "
                "the list shown is what was held",
                "warning",
            )

    def say(self, message: str, severity: SeverityLevel = "information") -> None:
        """Report a result or a notice in the message line (plain text, never markup)."""
        self._undo_all_offered = False  # an undo is offered only while its message shows
        self.query_one(MessageLine).say(message, severity)

    def _refresh_status(self) -> None:
        if self._status_dirty:
            self._status_dirty = False
            self._last_status = time.monotonic()
            self._show_status()

    def _show_status(self) -> None:
        controller = self.controller
        if controller is None:
            return
        self._outbox_shown = controller.outbox.pending_count
        self.query_one(StatusLine).show(
            controller.counters,
            controller.frames_dropped,
            self._outbox_shown,
            len(controller.inbox),
            " · ".join(filter_labels(controller.filters)),
        )

    def _every_second(self) -> None:
        view = self.query_one(NotificationList)
        view.expire_fresh()
        view.tick_if_young()
        # An intent that leaves the outbox (its undo window over) changes no
        # row, so no event repaints the metrics line: look once a second.
        if self.controller and self.controller.outbox.pending_count != self._outbox_shown:
            self._status_dirty = True

    def on_resize(self) -> None:
        # Below 100 columns the details take the whole width (rows would shrink
        # to a word beside them).
        self.set_class(self.size.width < NARROW_WIDTH, "-narrow")

    def _tick(self) -> None:
        self.query_one(NotificationList).tick()
        self._show_status()

    # -- list messages ---------------------------------------------------------------
    @on(NotificationList.Highlighted)
    def _highlighted(self, message: NotificationList.Highlighted) -> None:
        detail = self.query_one(DetailPane)
        if not detail.has_class("hidden"):
            detail.show(message.notification)

    @on(NotificationList.Fits)
    def _fits(self, message: NotificationList.Fits) -> None:
        if self.controller is not None:
            self.controller.want_rows(message.count)

    @on(NotificationList.NearEnd)
    def _near_end(self, message: NotificationList.NearEnd) -> None:
        # Near the end: get the next page quietly. G (asked) also says what
        # happens, and what happened once the page is in.
        controller = self.controller
        if controller is None:
            return
        task = controller.load_more()
        if not message.asked:
            return
        if task is not None:
            self._loading_older(task)
        elif controller.confirmed and not controller.has_more:
            self.say(f"All {len(controller.inbox):,} loaded: the end of the list")

    @work(group="older", exclusive=True)
    async def _loading_older(self, task: asyncio.Task[None]) -> None:
        """Say that older ones are being loaded, then what came of it."""
        controller = self.controller
        if controller is None:
            return
        if not task.done():
            self.say(f"{len(controller.inbox):,} loaded; loading older ones from the server…")
        await asyncio.shield(task)
        if controller is not self.controller:
            return  # retired meanwhile (a new login)
        held, failure = len(controller.inbox), controller.load_more_failure
        if failure is not None:
            self.say(
                f"Older notifications could not be loaded: {failure} — {self.key(KeyId.LAST)} tries again",
                "warning",
            )
        elif controller.has_more:
            self.say(f"{held:,} loaded — {self.key(KeyId.LAST)} loads older ones")
        else:
            self.say(f"All {held:,} loaded: the end of the list")

    @on(NotificationList.Counting)
    def _counting(self, message: NotificationList.Counting) -> None:
        line = self.query_one(MessageLine)
        if not message.count:  # the move took it: its line would no longer be true
            if line.shown == self._count_said:
                line.clear()
            return
        moves = "/".join(
            self.key(k) for k in (KeyId.CURSOR_DOWN, KeyId.CURSOR_UP, KeyId.NEXT_UNREAD)
        )
        count = f"{message.count:,}… ({moves} or another move repeats this often)"
        if self.views and len(self.views) + 1 < message.count < 10:  # no such view
            count = f"No view {message.count} — as a count: {count}"
        self.say(count)
        self._count_said = line.shown

    @on(NotificationList.NoUnread)
    def _no_unread(self, message: NotificationList.NoUnread) -> None:
        self.say(message.text)

    # -- actions ----------------------------------------------------------------------
    @property
    def current(self) -> Notification | None:
        """The notification under the cursor."""
        return self.query_one(NotificationList).current

    def action_details(self) -> None:
        detail = self.query_one(DetailPane)
        if not detail.has_class("hidden"):
            self._close_details()
            return
        detail.remove_class("hidden")
        self.add_class("-details-open")
        current = self.current
        detail.show(current)
        if current is not None and not current.is_read and self.controller:
            self.controller.mark_read(current.id)

    def _close_details(self) -> None:
        # Narrow, the open pane hid the list and Textual moved the focus off
        # it: without this, j, g and m would do nothing until Tab.
        self.query_one(DetailPane).add_class("hidden")
        self.remove_class("-details-open")
        self.query_one(NotificationList).focus()

    def action_back(self) -> None:
        """esc: close the details pane; else clear the marks; else the filters."""
        detail = self.query_one(DetailPane)
        if not detail.has_class("hidden"):
            self._close_details()
        elif self.marks:
            self.marks.clear()
            self.say("Marks cleared")
        elif self.controller and self.controller.filters.active:
            self._refilter(lambda f: Filters())
            self.say("Filters cleared")

    def action_log_in(self) -> None:
        """l: the login form again (after esc closed it)."""
        if self.controller is None or self.controller.needs_login:
            self.post_message(LoginNeeded())
        else:
            self.say("Logged in already")

    # -- marked rows (space, *): m, u and d act on all of them ----------------------------
    def action_toggle_mark(self) -> None:
        self.marks.toggle()

    def action_mark_shown(self) -> None:
        self.marks.mark_shown()

    def action_mark_read(self) -> None:
        if not self.marks.set_read(True):
            self._mark_current(True)

    def action_mark_unread(self) -> None:
        if self.controller and self._undo_all_offered and self.controller.can_undo_mark_all_read():
            self._undo_mark_all_read(self.controller)
            return
        if not self.marks.set_read(False):
            self._mark_current(False)

    def _mark_current(self, is_read: bool) -> None:
        """Mark the row under the cursor (undoable for a few seconds), and say so."""
        if self.controller and (current := self.current):
            title, word = one_line(current.title, 40), "read" if is_read else "unread"
            mark = self.controller.mark_read if is_read else self.controller.mark_unread
            intent = mark(current.id, hold=self.controller.settings.undo_window)
            if intent is None:
                self.say(f"“{title}” is {word} already — nothing changed")
            else:
                self._offer_undo_of([(intent, current)], f"marked “{title}” {word}")

    def _undo_mark_all_read(self, controller: NotificationController) -> None:
        self._undo_all_offered = False
        count = controller.undo_mark_all_read()
        self.say(f"Undone: {count:,} marked unread again")

    def action_mark_all_read(self) -> None:
        if self.controller:
            self._undoable = []  # the undo is this one's now
            count = self.controller.unread_count
            task = self.controller.mark_all_read()
            message = "Marked all read" if count is None else f"Marked all {count:,} read"
            self.say(message)
            task.add_done_callback(lambda _: self._offer_undo(message))

    def _offer_undo(self, message: str) -> None:
        """Once every row turned read: u undoes, while the message line says so."""
        if self.controller and self.controller.can_undo_mark_all_read():
            self.say(f"{message} — {self.key(KeyId.MARK_UNREAD)} undoes")
            self._undo_all_offered = True
            if self._undo_timer is not None:
                self._undo_timer.stop()
            self._undo_timer = self.set_timer(MessageLine.SECONDS, self._withdraw_undo)

    def _withdraw_undo(self) -> None:
        self._undo_all_offered = False

    def _offer_undo_of(self, changes: list[tuple[Intent, Notification]], what: str) -> None:
        """Say what was done, and that z undoes it while the message shows."""
        self.say(f"{what[0].upper()}{what[1:]} — {self.key(KeyId.UNDO)} undoes")
        self._undoable, self._undoable_what = changes, what
        self._undoable_until = time.monotonic() + MessageLine.SECONDS

    def action_undo(self) -> None:
        """z: take back the last marks or delete (or the last "mark all read")."""
        controller = self.controller
        if controller is None:
            return
        if self._undo_all_offered and controller.can_undo_mark_all_read():
            self._undo_mark_all_read(controller)
            return
        changes, self._undoable = self._undoable, []
        if not changes or time.monotonic() > self._undoable_until:
            self.say("Nothing to undo: an undo is offered for a few seconds after a change")
            return
        undone = controller.undo(changes)
        self.say(*describe_undone(undone, self._undoable_what))

    def action_copy(self) -> None:
        """y: the notification as text, to the clipboard (OSC 52: the terminal's)."""
        current = self.current
        if current is None:
            self.say("No notification selected")
            return
        self.app.copy_to_clipboard(clipboard_text(current))
        self.say(f"Copied “{one_line(current.title, 40)}” (if the terminal allows OSC 52)")

    def action_delete(self) -> None:
        if self.marks.delete():
            return
        current = self.current
        if self.controller is None or current is None:
            return

        def answered(yes: bool | None) -> None:
            if yes and self.controller:
                intent = self.controller.delete(
                    current.id, hold=self.controller.settings.undo_window
                )
                if intent is not None:
                    self._offer_undo_of([(intent, current)], f"deleted “{title}”")

        title = one_line(current.title, 40)
        sender = f" from {one_line(current.created_by_name, 30)}" if current.created_by_name else ""
        age = relative_age(current.created_at, self.clock())
        when = "just now" if age == "now" else f"{age} ago"
        question = f"Delete “{one_line(current.title, 50)}”{sender}, {when}?"
        self.app.push_screen(ConfirmScreen(question), answered)

    def action_reconnect(self) -> None:
        if self.controller:
            self.controller.reconnect()
            self.say("Reconnecting…")

    def action_refresh(self) -> None:
        if self.controller:
            self._refreshing(self.controller.refresh())

    @work(group="refresh")
    async def _refreshing(self, task: asyncio.Task[str | None]) -> None:
        """R announces its start and its end."""
        self.say("Refreshing over HTTP…")
        failure = await asyncio.shield(task)
        if failure is not None:
            self.say(f"Refresh failed: {failure}", "warning")
        else:
            self.say("Refreshed over HTTP")

    # -- filters and views (the menu's) --------------------------------------------------
    def _refilter(self, change: Callable[[Filters], Filters]) -> None:
        self.filter_menu.refilter(change)

    def action_switch_view(self, index: int) -> None:
        self.filter_menu.switch_view(index)

    def _view_tabs(self) -> ViewTabs:
        from tiri_tui.ui.view_tabs import ViewTabs

        return self.query_one("#views", ViewTabs)

    def on_view_tabs_chosen(self, message: ViewTabs.Chosen) -> None:
        self.filter_menu.switch_view(message.index)

    def action_toggle_unread(self) -> None:
        self.filter_menu.toggle_unread()

    def action_search(self) -> None:
        self.filter_menu.search()

    def action_pick_type(self) -> None:
        self.filter_menu.pick_type()

    def action_pick_priority(self) -> None:
        self.filter_menu.pick_priority()

    def action_toggle_status(self) -> None:
        self.query_one(StatusLine).toggle_class("hidden")
