"""D: delete every read notification on the server ("clear read", as the phone
does), after a question that says how many.

The count is the server's (what clearing would delete), asked before the
question; the call is sent once when the person says yes, never queued or
replayed. What is held follows when the server confirms; a server without the
route is said so, in words.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual.notifications import SeverityLevel
from textual.screen import Screen

from tiri_tui.sync.controller_api import Controller
from tiri_tui.wire.errors import (
    ActionNotSent,
    ActionUnavailable,
    LoginRequired,
    OutcomeUnknown,
    TiriError,
)
from tiri_tui.wire.text import one_line

#: Seconds to wait for the server's count of read notifications before asking.
COUNT_WAIT = 10.0


class ReadClearing:
    """The clear-read key of one dashboard."""

    def __init__(
        self,
        screen: Screen[None],
        controller: Callable[[], Controller | None],
        say: Callable[[str, SeverityLevel], None],
        refresh_key: Callable[[], str],
    ) -> None:
        self._screen, self._controller, self._say = screen, controller, say
        self._refresh_key = refresh_key
        self._busy = False

    def ask(self) -> None:
        """Count the read ones on the server, then ask before deleting them."""
        controller = self._controller()
        if controller is None or self._busy:
            return
        self._busy = True
        self._say(
            "Clear read: asking the server how many read notifications it holds…", "information"
        )
        self._screen.run_worker(self._count_then_ask(controller), group="clear-read")

    async def _count_then_ask(self, controller: Controller) -> None:
        try:
            count = await asyncio.wait_for(controller.count_read(), COUNT_WAIT)
        except (TiriError, TimeoutError, OSError) as exc:
            self._busy = False
            self._failed(exc, sent=False)
            return
        if count == 0:
            self._busy = False
            self._say("No read notifications on the server: nothing to clear", "information")
            return
        from tiri_tui.ui.screens import ConfirmScreen  # modal screens load when first used

        plural = "notification" if count == 1 else "notifications"
        question = (
            f"Delete the {count:,} read {plural} on the server, for good? "
            "The phone will not show them either."
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self._screen.run_worker(self._clear(controller), group="clear-read")
            else:
                self._busy = False
                self._say("Clear read: nothing deleted", "information")

        self._screen.app.push_screen(ConfirmScreen(question), answered)

    async def _clear(self, controller: Controller) -> None:
        try:
            deleted = await controller.clear_read()
        except (TiriError, OSError) as exc:
            self._failed(exc, sent=True)
            return
        finally:
            self._busy = False
        plural = "notification" if deleted == 1 else "notifications"
        said = "the read notifications" if deleted is None else f"{deleted:,} read {plural}"
        self._say(f"Cleared {said} from the server", "information")

    def _failed(self, exc: BaseException, *, sent: bool) -> None:
        if isinstance(exc, TimeoutError):
            words = "the server did not say how many in time; nothing deleted"
        elif isinstance(exc, OutcomeUnknown):
            words = f"{one_line(str(exc), 160)} — {self._refresh_key()} refreshes the list"
        elif isinstance(exc, (ActionUnavailable, ActionNotSent, LoginRequired)):
            words = one_line(str(exc), 160)
        else:
            done = "not sent" if not sent else "failed"
            words = f"{done}: {one_line(str(exc), 160)}"
        self._say(f"Clear read: {words}", "warning")
