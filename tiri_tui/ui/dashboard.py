"""The dashboard screen: the list, the badge, the indicator, and every action on them.

It lays them out, binds the keys and sends the controller intents, nothing
more: its :class:`~tiri_tui.ui.painter.Painter` is told the controller's events
and paints them; its :class:`~tiri_tui.ui.row_actions.RowActions` do what a
key does to a row (and hold what can be undone); its filter menu and marked
rows do theirs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Footer

from tiri_tui.sync.controller_api import Controller
from tiri_tui.sync.inbox import Inbox
from tiri_tui.sync.rules import Filters
from tiri_tui.ui.alerting import Alerting
from tiri_tui.ui.filter_menu import FilterMenu
from tiri_tui.ui.keymap import KeyId, Scope, bindings, key_name, keys_in_force
from tiri_tui.ui.marking import MarkedRows
from tiri_tui.ui.notification_list import NotificationList
from tiri_tui.ui.painter import STATUS_INTERVAL, LoginNeeded, Painter
from tiri_tui.ui.row_actions import RowActions
from tiri_tui.wire.models import Notification

if TYPE_CHECKING:
    from tiri_tui.connection.acting import ActingApi
    from tiri_tui.settings.customisation import SavedView
    from tiri_tui.ui.clearing import ReadClearing
    from tiri_tui.ui.view_tabs import ViewTabs

from tiri_tui.ui.do_not_disturb import DoNotDisturbFace
from tiri_tui.ui.snoozing import SnoozeFace
from tiri_tui.ui.top_bar import TopBar
from tiri_tui.ui.widgets import (
    DetailPane,
    FilterBar,
    MessageLine,
    NewAboveLine,
    StatusLine,
)

#: Below this width the details pane opens full-width.
NARROW_WIDTH = 100


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
        acting: Callable[[], ActingApi | None] | None = None,
    ) -> None:
        """``acting``: the calls that act on a notification, while a session is open."""
        super().__init__()
        self.views = views
        self.acting = acting
        #: The user's [keymap]: what the screen says names the keys in force.
        self._keymap = keymap or {}
        self.filter_menu = FilterMenu(
            lambda: self.controller, lambda: self.painter.ask(), self.say, self, views
        )
        self.marks = MarkedRows(
            lambda: self.query_one(NotificationList), lambda: self.controller, self.say, self
        )
        self.row_actions = RowActions(
            self, lambda: self.controller, lambda: self.current, self.say, self.key, clock
        )
        self.marks.key, self.marks.offer_undo = self.key, self.row_actions.offer
        self._clearing: ReadClearing | None = None
        self.do_not_disturb = DoNotDisturbFace(
            self,
            alerting,
            self.say,
            lambda: self.key(KeyId.DO_NOT_DISTURB),
            lambda: None if self.controller is None else self.controller.held,
        )
        self.snoozing = SnoozeFace(
            self,
            alerting,
            self.say,
            lambda: (self.key(KeyId.SNOOZE), self.key(KeyId.SNOOZED)),
            shown=self._snoozes_shown,
            fresh=lambda nid: self.query_one(NotificationList).mark_fresh(nid),
        )
        self.clock = clock
        self.alerting = alerting
        self.server_label = server_label
        self.controller: Controller | None = None
        # Not in the first frame (hidden, or read after it): mounted once it is
        # drawn, so the rows come first. The screen keeps them, for they may be
        # told something before then.
        self.filter_bar = FilterBar(id="filters", classes="hidden")
        self.new_above = NewAboveLine(id="new-above", classes="hidden")
        self.detail = DetailPane(act_key=self.key(KeyId.ACT), id="detail", classes="hidden")
        self.message_line = MessageLine(id="message")
        self.painter = Painter(
            self,
            lambda: self.controller,
            filter_bar=self.filter_bar,
            say=self.say,
            key=self.key,
            alerting=alerting,
            views=views,
            rows_settled=rows_settled,
        )
        self._unsubscribe: Callable[[], None] | None = None
        #: What the message line said of the count being typed (cleared once used).
        self._count_said = ""

    # -- layout -------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        # The first frame has what it shows: the top line, the tabs, the list
        # and the metrics. The rest is mounted once it is drawn (_mount_the_rest).
        # One container only, for the details beside the list: each is drawn
        # line by line under what it holds.
        yield TopBar(
            self.server_label,
            clock=lambda: self.clock().timestamp(),
            silence=self.do_not_disturb.header,
            snoozed=self.snoozing.badge,
            id="top-bar",
        )
        if self.views:
            # Imported only when views are configured: not every start-up needs it.
            from tiri_tui.ui.view_tabs import ViewTabs

            yield ViewTabs(self.views, id="views")
        with Horizontal(id="main"):
            yield NotificationList(Inbox(), clock=self.clock, id="list")
        # Its margin keeps the footer's line until the footer comes.
        yield StatusLine(id="status", classes="-footer-to-come")

    async def _mount_the_rest(self) -> None:
        """Mount what the first frame does not show: the filter bar, the "new
        above" line, the details and the message line (hidden until needed,
        and told what to show meanwhile), and the footer, on the line kept for
        it (it is blank until the screen publishes its keys). Not Textual's
        ``Lazy``: each of those is a widget of its own in the first frame,
        styled and laid out (a twentieth of the list's first paint for five)."""
        main = self.query_one("#main")
        await self.mount(self.filter_bar, self.new_above, before=main)
        await main.mount(self.detail)
        status = self.query_one(StatusLine)
        await self.mount(self.message_line, before=status)
        await self.mount(Footer(), after=status)
        status.remove_class("-footer-to-come")
        # A footer shows the keys the screen publishes: it did so before this one came.
        self.refresh_bindings()

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
        self.call_after_refresh(self._mount_the_rest)
        self.set_interval(30, self._tick)
        self.set_interval(1, self._every_second)
        # Metrics change with every frame received; people read them at a calmer pace.
        self.set_interval(STATUS_INTERVAL, self.painter.refresh_status)
        self.alerting.start(self.set_timer)
        if self.controller is not None:
            self._follow(self.controller)
            # Now, not queued: rows held before the mount (the cache's, at
            # start-up) are in the first frame instead of a blank list.
            self.painter.paint()

    def on_unmount(self) -> None:
        self.unbind()

    # -- the controller -------------------------------------------------------------
    def bind(self, controller: Controller) -> None:
        """Show ``controller`` (replacing any other) and follow its events."""
        self.unbind()
        self.controller = controller
        self.painter.new_controller()
        if self.is_mounted:  # else on_mount follows it
            self._follow(controller)

    def _follow(self, controller: Controller) -> None:
        view = self.query_one(NotificationList)
        view.source = self.snoozing.rows_for(controller)
        self._unsubscribe = controller.subscribe(self.painter.on_event)
        controller.want_rows(view.fits())  # the screen fills before anyone scrolls
        self.painter.ask()

    def _snoozes_shown(self) -> None:
        """The snoozes changed what is shown: the list, and the badge's count."""
        self.painter.ask()
        if self.is_mounted:
            self.query_one(TopBar).redraw()

    def unbind(self) -> None:
        """Stop following the controller (it is being retired)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    @on(NotificationList.NewAbove)
    def _new_above(self, message: NotificationList.NewAbove) -> None:
        marker = self.new_above
        first = self.key(KeyId.FIRST)
        marker.show_text(Text(f" ↑ {message.count:,} new above — {first} goes to the top"))
        marker.set_class(message.count == 0, "hidden")

    def login_form_open(self, is_open: bool) -> None:
        """The app opened the login form, or it was closed without a login:
        then say how to open it again (the key in force)."""
        self.painter.login_form_open(is_open)
        controller = self.controller
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
        self.row_actions.message_replaced()  # an undo is offered only while its message shows
        self.message_line.say(message, severity)

    def _every_second(self) -> None:
        view = self.query_one(NotificationList)
        view.expire_fresh()
        view.tick_if_young()
        self.painter.outbox_may_have_changed()

    def on_resize(self) -> None:
        # Below 100 columns the details take the whole width (rows would shrink
        # to a word beside them).
        self.set_class(self.size.width < NARROW_WIDTH, "-narrow")

    def _tick(self) -> None:
        self.query_one(NotificationList).tick()
        self.painter.show_status()

    # -- list messages ---------------------------------------------------------------
    @on(NotificationList.Highlighted)
    def _highlighted(self, message: NotificationList.Highlighted) -> None:
        detail = self.detail
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
        line = self.message_line
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
        detail = self.detail
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
        self.detail.add_class("hidden")
        self.remove_class("-details-open")
        self.query_one(NotificationList).focus()

    def action_back(self) -> None:
        """esc: close the details pane; else clear the marks; else the filters."""
        detail = self.detail
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
            self.row_actions.mark_current(True)

    def action_mark_unread(self) -> None:
        if self.row_actions.undo_all_read_if_offered():
            return
        if not self.marks.set_read(False):
            self.row_actions.mark_current(False)

    def action_mark_all_read(self) -> None:
        self.row_actions.mark_all_read()

    def action_clear_read(self) -> None:
        from tiri_tui.ui.clearing import ReadClearing  # loaded when first used

        if self._clearing is None:
            self._clearing = ReadClearing(
                self, lambda: self.controller, self.say, lambda: self.key(KeyId.REFRESH)
            )
        self._clearing.ask()

    def action_do_not_disturb(self) -> None:
        self.do_not_disturb.toggle()

    def action_snooze(self) -> None:
        """b: put the notification under the cursor away until a time."""
        current = self.current
        if current is None:
            self.say("No notification here to snooze")
            return
        self.snoozing.snooze(current)

    def action_show_snoozed(self) -> None:
        self.snoozing.show_snoozed()

    def action_undo(self) -> None:
        self.row_actions.undo()

    def action_copy(self) -> None:
        self.row_actions.copy()

    def action_act(self) -> None:
        """a: what can be done about the notification under the cursor."""
        current = self.current
        if current is None:
            self.say("No notification here to act on")
            return
        api = self.acting() if self.acting is not None else None
        if api is None:
            self.say(f"Acting needs a session on the server — {self.key(KeyId.LOG_IN)} logs in")
            return
        from tiri_tui.ui.acting_screens import ActionsScreen

        self.app.push_screen(ActionsScreen(current, api, login_key=self.key(KeyId.LOG_IN)))

    def action_delete(self) -> None:
        if not self.marks.delete():
            self.row_actions.delete()

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
