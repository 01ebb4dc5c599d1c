"""b: snooze, as this dashboard shows and does it; B: what is snoozed.

The snoozes are the account's on this machine (one file every face and the
agent follow, :mod:`tiri_tui.sync.snooze_follow`). This face follows them:
the list leaves the snoozed rows out and places the ones back by when they
came back (:class:`~tiri_tui.sync.snoozed_rows.SnoozedRows`), the badge says
how many are away, and a row that comes back is highlighted — and, if this
face was the one that brought it back, marked unread and put through the
rules, the bell and the alerts, as an arrival is.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.notifications import SeverityLevel
from textual.screen import Screen

from tiri_tui.sync.snoozed_rows import SnoozedRows
from tiri_tui.sync.snoozes import Snooze, SnoozeBook, badge_words
from tiri_tui.ui.wording import when_words
from tiri_tui.wire.models import Notification

if TYPE_CHECKING:
    from tiri_tui.sync.controller_api import Controller
    from tiri_tui.sync.snooze_follow import SnoozeFollower
    from tiri_tui.ui.alerting import Alerting


class SnoozeFace:
    """Snoozes in one dashboard: followed, shown, made and undone."""

    def __init__(
        self,
        screen: Screen[None],
        alerting: Alerting,
        say: Callable[[str, SeverityLevel], None],
        keys: Callable[[], tuple[str, str]],
        shown: Callable[[], None],
        fresh: Callable[[str], None],
        wall: Callable[[], float] = time.time,
    ) -> None:
        """``keys``: the keys in force for snooze and the snoozed view;
        ``shown``: what is shown changed (a paint, the badge); ``fresh``: a
        row to highlight as an arrival is."""
        self._screen, self._alerting, self._say = screen, alerting, say
        self._keys, self._shown, self._fresh = keys, shown, fresh
        self._wall = wall
        self._controller: Controller | None = None
        self._follower: SnoozeFollower | None = None
        #: The list as drawn, for the controller shown (none shown: an empty inbox's).
        self.rows: SnoozedRows | None = None

    def rows_for(self, controller: Controller) -> SnoozedRows:
        """The list as drawn for ``controller`` (snoozes followed once :meth:`follow` runs)."""
        self._controller, self._follower = controller, None
        self.rows = SnoozedRows(lambda: controller.inbox)
        return self.rows

    def follow(self, path: Path) -> None:
        """Follow the account's snoozes in ``path`` from now on."""
        from tiri_tui.sync.snooze_follow import SnoozeFollower
        from tiri_tui.sync.snooze_store import SnoozeStore

        controller = self._controller
        if controller is None:
            return
        follower = SnoozeFollower(
            SnoozeStore(path),
            told=self._told,
            returned=lambda snooze, claimed: self._returned(controller, snooze, claimed),
            wall=self._wall,
        )
        self._follower = follower
        work = follower.follow(alive=lambda: self._follower is follower)
        self._screen.run_worker(work, group="snoozes", exclusive=True)

    # -- told ----------------------------------------------------------------------------
    def _told(self, book: SnoozeBook) -> None:
        if self.rows is not None and self.rows.use(book):
            self._shown()

    def _returned(self, controller: Controller, snooze: Snooze, claimed: bool) -> None:
        if controller is not self._controller:
            return  # a snooze of the account shown before
        controller.keep_back(snooze.notification)
        n = controller.held.get(snooze.id) or snooze.notification
        muted: set[str] = set()
        if claimed:
            if n.is_read:
                controller.mark_unread(n.id)
                n = n.with_read(False)
            muted = self._alerting.treat([n], controller.mark_read)
        if n.id not in muted:
            self._fresh(n.id)
        self._shown()

    def badge(self) -> str:
        """The badge's part (``3 snoozed``; empty: none away)."""
        return badge_words(None if self.rows is None else self.rows.book)

    @property
    def book(self) -> SnoozeBook | None:
        """The snoozes as last read (None: not followed yet)."""
        return None if self._follower is None else self._follower.book

    # -- done here -----------------------------------------------------------------------
    def snooze(self, n: Notification) -> None:
        """Ask until when, then put ``n`` away."""
        follower = self._follower
        if follower is None:
            self._say("Snooze is not ready yet: try again in a moment", "information")
            return
        from tiri_tui.ui.snooze_screen import SnoozeScreen  # loaded when first used

        def chosen(until: datetime | None) -> None:
            if until is not None:
                self._run(self._put_away(follower, n, until))

        now = lambda: datetime.fromtimestamp(self._wall()).astimezone()  # noqa: E731
        self._screen.app.push_screen(SnoozeScreen(n, now), chosen)

    async def _put_away(self, follower: SnoozeFollower, n: Notification, until: datetime) -> None:
        try:
            await follower.snooze(n, until.timestamp())
        except OSError as exc:
            self._say(f"Snooze: cannot write the snoozes: {exc.strerror}", "error")
            return
        snoozed_key = self._keys()[1]
        self._say(
            f"Snoozed until {when_words(until, self._now())} — {snoozed_key} shows what is "
            f"snoozed, to bring it back",
            "information",
        )

    def show_snoozed(self) -> None:
        """The snoozed view: what is away, the soonest back first; unsnooze from there."""
        follower = self._follower
        if follower is None or follower.book is None:
            self._say("Snooze is not ready yet: try again in a moment", "information")
            return
        from tiri_tui.ui.snoozed_screen import SnoozedScreen  # loaded when first used

        def unsnooze(notification_id: str) -> None:
            self._run(self._bring_back(follower, notification_id))

        self._screen.app.push_screen(
            SnoozedScreen(lambda: follower.book, self._now, unsnooze, self._keys()[0])
        )

    async def _bring_back(self, follower: SnoozeFollower, notification_id: str) -> None:
        try:
            done = await follower.unsnooze(notification_id)
        except OSError as exc:
            self._say(f"Snooze: cannot write the snoozes: {exc.strerror}", "error")
            return
        if done:
            self._say("Unsnoozed: back in the list where it was", "information")

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._wall()).astimezone()

    def _run(self, work: Coroutine[Any, Any, None]) -> None:
        self._screen.run_worker(work, group="snooze-write")
