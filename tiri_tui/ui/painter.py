"""The dashboard's picture of the controller: what it is told, and when it paints.

Controller events arrive on the socket's task and are many (a burst is 10,000):
each one only notes what must not be coalesced away (arrivals, notices, a
list reset) and asks for one paint, queued on the screen, not one each;
however fast the events come, the screen is brought up to date once per turn
of its queue. What was last shown (the state, the badge, the metrics) is kept
here, so a paint changes only what changed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen

from tiri_tui.connection.policy import ConnectionState, StateCode
from tiri_tui.sync.controller_api import Controller
from tiri_tui.sync.events import (
    ActionQueued,
    Arrived,
    ControllerEvent,
    ListReset,
    NotificationAdded,
    ServerError,
)
from tiri_tui.ui.alerting import Alerting
from tiri_tui.ui.keymap import KeyId
from tiri_tui.ui.notification_list import NotificationList
from tiri_tui.ui.top_bar import TopBar
from tiri_tui.ui.widgets import StatusLine, TextLine
from tiri_tui.ui.wording import describe_filters, empty_state, filter_labels
from tiri_tui.wire.models import Notification

if TYPE_CHECKING:
    from tiri_tui.settings.customisation import SavedView
    from tiri_tui.ui.view_tabs import ViewTabs

#: The metrics line changes with every frame; people read it at a calmer pace.
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


class LoginNeeded(Message):
    """Only a new login can bring the session back (the app asks for one)."""


class Painter:
    """Paints one screen's widgets from the controller the screen shows."""

    def __init__(
        self,
        screen: Screen[None],
        controller: Callable[[], Controller | None],
        *,
        filter_bar: TextLine,
        say: Callable[[str, SeverityLevel], None],
        key: Callable[[KeyId], str],
        alerting: Alerting,
        views: tuple[SavedView, ...],
        rows_settled: Callable[[], None] | None,
    ) -> None:
        self._screen = screen
        self._controller = controller
        #: Mounted after the first frame (hidden until filters narrow the list).
        self._filter_bar = filter_bar
        self._say = say
        self._key = key
        self._alerting = alerting
        self._views = views
        #: Told when a big load's rows are long-lived: the cache's, then the first load's.
        self._rows_settled = rows_settled
        self._cache_settled = False
        # What the events noted since the last paint.
        self._pending_live: list[Notification] = []
        self._arrivals: list[Notification] = []
        self._notices: list[tuple[str, SeverityLevel]] = []
        self._reset = False
        #: A ControllerChanged is on its way: more events need no other.
        self._asked = False
        # What the widgets show now.
        self._badge_shown: tuple[int | None, bool] | None = None
        self._state_shown: tuple[ConnectionState, str, float | None] | None = None
        self._status_dirty = False
        self._last_status = 0.0
        #: The outbox's size as the metrics line shows it.
        self._outbox_shown = 0
        self._asked_login = False
        self._connected_before = False
        #: Why the server is out of reach (its last failure), while it is.
        self._offline_why = ""
        #: The app's login form is open over the screen.
        self._login_open = False

    def new_controller(self) -> None:
        """Another controller is shown: a session of its own (ask for its login once)."""
        self._asked_login = self._login_open = False

    def login_form_open(self, is_open: bool) -> None:
        """The app opened the login form, or it was closed (the indicator's hint follows)."""
        self._login_open = is_open
        controller = self._controller()
        if controller is not None and self._screen.is_mounted:
            self.show_state(controller)

    # -- told -------------------------------------------------------------------------------
    def on_event(self, event: ControllerEvent) -> None:
        """A controller event (on the socket's task): note what must not be
        coalesced away, then ask for one paint that the next event may share."""
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
        self.ask()

    def ask(self) -> None:
        """Ask for a paint, queued on the screen. Posting a message costs more
        than handling most events: a burst of 10,000 (or a cache of 1,000 rows
        at start-up) asks once."""
        if not self._asked:
            self._asked = self._screen.call_later(self.paint)

    # -- painting ---------------------------------------------------------------------------
    def paint(self) -> None:
        """Bring the screen up to date (queued by :meth:`ask`)."""
        self._asked = False
        controller = self._controller()
        if controller is None:
            return
        self._tell_rows_settled(controller)
        view = self._screen.query_one(NotificationList)
        if self._reset:
            self._reset = False
            # Filters on or off: another list is shown (the source reads the
            # controller's list shown now, and indexes it again).
            view.cursor = 0
        view.sync()
        self._paint_state(controller)
        self._show_filters(controller, view)
        badge = (controller.unread_count, controller.cached)
        if badge != self._badge_shown:
            self._badge_shown = badge
            self._screen.query_one(TopBar).show_badge(*badge)
            if self._views:
                self._view_tabs().counts_changed(controller)
        self._status_dirty = True
        if time.monotonic() - self._last_status >= STATUS_INTERVAL:
            self.refresh_status()  # else the interval timer catches up
        notices, self._notices = self._notices, []
        for message, severity in notices:
            self._say(message, severity)
        if self._pending_live or self._arrivals:
            self._signal_arrivals(controller)
        if controller.needs_login and not self._asked_login:
            self._asked_login = True
            self._screen.post_message(LoginNeeded())

    def _tell_rows_settled(self, controller: Controller) -> None:
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

    def _paint_state(self, controller: Controller) -> None:
        state = (controller.state, controller.reason, controller.retry_in)
        if state == self._state_shown:
            # Showing the same state again would restart the retry countdown,
            # and costs a relayout on every paint of a burst.
            return
        self._state_shown = state
        retries = self._key(KeyId.RECONNECT)
        if controller.state is ConnectionState.CONNECTED:
            self._offline_why = ""
        elif (
            controller.code in OFFLINE_CODES
            and controller.reason  # (a try in progress has none: the outage goes on)
            and controller.reason != self._offline_why
        ):
            self._offline_why = controller.reason
            self._say(f"Offline: {controller.reason} ({retries} retries now)", "warning")
        self.show_state(controller)
        if controller.state is ConnectionState.CONNECTED:
            if self._connected_before:  # r, or the retries, worked: say so
                self._say("Connected again", "information")
            self._connected_before = True
        failed = controller.state is ConnectionState.ERROR and controller.reason
        # Needing a login, the login form opens and says why instead.
        if failed and not controller.needs_login:
            self._say(f"{controller.reason} — press {retries} to try again now", "error")

    def show_state(self, controller: Controller) -> None:
        """The indicator: the state, why (the last failure's words while the
        retries go on), and the key that helps."""
        reason = controller.reason
        if controller.state is ConnectionState.RECONNECTING and self._offline_why:
            reason = self._offline_why  # not "reconnecting" while a retry is under way
        hint = f"{self._key(KeyId.RECONNECT)} retries"
        if controller.needs_login:
            # Not while the form is open: that key would type into it.
            hint = "" if self._login_open else f"{self._key(KeyId.LOG_IN)} logs in"
        self._screen.query_one(TopBar).show_state(
            controller.state, reason, controller.retry_in, hint=hint
        )

    def _signal_arrivals(self, controller: Controller) -> None:
        """Arrivals show in the list (highlighted for a moment, or counted above
        the view when the reader scrolled away), not as toasts over it; what is
        new to the person goes through the rules, the bell and the alerts."""
        arrivals, self._arrivals = self._arrivals, []
        muted = self._alerting.treat(arrivals, controller.mark_read)
        fresh, self._pending_live = self._pending_live, []
        view = self._screen.query_one(NotificationList)
        for n in fresh:
            if n.id not in muted:
                view.mark_fresh(n.id)

    def _show_filters(self, controller: Controller, view: NotificationList) -> None:
        """The filter bar (when filters narrow the list) and the empty list's words."""
        if self._views:
            tabs = self._view_tabs()
            tabs.highlight_view(tabs.index_of(controller.filters))
        bar = self._filter_bar
        described = describe_filters(
            controller.filters,
            controller.filtered_here,
            offline=controller.state is not ConnectionState.CONNECTED,
            key=self._key,
        )
        bar.show_text(Text(f" {described}"))
        bar.set_class(not described, "hidden")
        view.empty_text = empty_state(
            controller.filters,
            controller.loaded.is_set() or controller.cached,
            controller.state,
            key=self._key,
        )

    def _view_tabs(self) -> ViewTabs:
        from tiri_tui.ui.view_tabs import ViewTabs

        return self._screen.query_one("#views", ViewTabs)

    # -- the metrics line -------------------------------------------------------------------
    def refresh_status(self) -> None:
        """Show the metrics if they changed since they were last shown."""
        if self._status_dirty:
            self._status_dirty = False
            self._last_status = time.monotonic()
            self.show_status()

    def show_status(self) -> None:
        controller = self._controller()
        if controller is None:
            return
        self._outbox_shown = controller.outbox.pending_count
        self._screen.query_one(StatusLine).show(
            controller.counters,
            controller.frames_dropped,
            self._outbox_shown,
            len(controller.inbox),
            " · ".join(filter_labels(controller.filters)),
        )

    def outbox_may_have_changed(self) -> None:
        """An intent that leaves the outbox (its undo window over) changes no
        row, so no event repaints the metrics line: the screen asks once a second."""
        controller = self._controller()
        if controller and controller.outbox.pending_count != self._outbox_shown:
            self._status_dirty = True
