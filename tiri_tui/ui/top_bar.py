"""The top line: the app's name, the server, the unread badge and the connection indicator.

One widget drawing one line, not a row of four widgets in a container: each
widget of the first frame is composed, styled, laid out and rendered on its
own, and the four cost a tenth of the list's first paint. The parts keep the
looks they had as widgets (component classes in ``tiri.tcss``), and the same
fitting: the server's name takes what is left and is cut with an ellipsis;
the indicator takes at most two thirds of the line, so the name and the
badge stay in sight.

Every piece of server text is a plain ``rich.text.Text`` after
:func:`tiri_tui.wire.text.one_line` (never markup).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.cells import cell_len
from rich.text import Text
from textual.widget import Widget

from tiri_tui.connection.policy import ConnectionState
from tiri_tui.wire.text import one_line

NAME = "tiri-tui"
#: The indicator's share of the line at most.
INDICATOR_SHARE = 0.65


class TopBar(Widget):
    """What is shown, where from, how much is unread, and the connection.

    ``clock`` (seconds) is the app's: the retry countdown follows it, so a
    test or a snapshot with a fixed clock shows a fixed countdown.
    """

    COMPONENT_CLASSES = {
        "top-bar--name",
        "top-bar--server",
        "top-bar--badge",
        "top-bar--badge-unread",
        *(f"top-bar--{state.value}" for state in ConnectionState),
    }

    def __init__(
        self,
        server: str,
        clock: Callable[[], float] = time.monotonic,
        *,
        silence: Callable[[], str] = lambda: "",
        snoozed: Callable[[], str] = lambda: "",
        id: str | None = None,
    ) -> None:
        """``silence``: do not disturb's words with the time left (``dnd 52m``;
        empty: off), asked at every tick: the time left moves; ``snoozed``:
        how many are snoozed (``3 snoozed``; empty: none)."""
        super().__init__(id=id)
        self.server = server
        self._clock = clock
        self._count: int | None = None
        self._cached = False
        #: The connection as the indicator shows it.
        self.state = ConnectionState.DISCONNECTED
        self.reason = ""
        self.hint = ""
        self._retry_at: float | None = None
        self._drawn: tuple[str, str] = ("", "")
        self._silence = silence
        self._snoozed = snoozed

    def on_mount(self) -> None:
        # The countdown moves every second; the line is drawn again only when it did.
        self.set_interval(1.0, self._tick)

    # -- what the painter tells ---------------------------------------------------------
    def show_badge(self, count: int | None, cached: bool) -> None:
        """The unread count ('…' until the server has said), and whether it is
        only the cached figure."""
        self._count, self._cached = count, cached
        self._tick()

    def show_state(
        self, state: ConnectionState, reason: str, retry_in: float | None, hint: str = ""
    ) -> None:
        """A new connection state (``hint``: the key that helps, for an error)."""
        self.state, self.reason, self.hint = state, reason, hint
        self._retry_at = None if retry_in is None else self._clock() + retry_in
        self._tick()

    # -- the parts, as text ---------------------------------------------------------------
    @property
    def has_unread(self) -> bool:
        return bool(self._count)

    @property
    def badge(self) -> str:
        """The badge's words: `` 12 unread `` (`` 12 unread · 3 snoozed · dnd 52m ``)."""
        label = "…" if self._count is None else f"{self._count:,}"
        parts = [f"{label} unread{' (cached)' if self._cached else ''}"]
        parts += [part for part in (self._snoozed(), self._silence()) if part]
        return f" {' · '.join(parts)} "

    @property
    def indicator(self) -> str:
        """The indicator's words: the state, the countdown, the key that helps, why."""
        text = f" ● {self.state.value}"
        if self._retry_at is not None and self.state is not ConnectionState.CONNECTED:
            seconds = max(0, round(self._retry_at - self._clock()))
            text += f" · retry in {seconds}s"
        # The key that helps before the reason: a narrow terminal cuts the end
        # (the message line has the reason whole).
        if self.state is ConnectionState.ERROR and self.hint:
            text += f" · {self.hint}"
        failing = self.state in (ConnectionState.RECONNECTING, ConnectionState.ERROR)
        if failing and self.reason and self.reason != self.state.value:
            text += f" · {one_line(self.reason, 72)}"
        return text + " "

    def redraw(self) -> None:
        """Draw again if what it says changed (do not disturb turned on or off,
        a snooze made or back)."""
        self._tick()

    def _tick(self) -> None:
        drawn = (self.badge, self.indicator)
        if drawn != self._drawn:
            self._drawn = drawn
            self.refresh()

    def render(self) -> Text:
        width = self.size.width
        style = self.get_component_rich_style
        name = Text(f" {NAME} ", style("top-bar--name"))
        badge_style = "top-bar--badge-unread" if self.has_unread else "top-bar--badge"
        badge = Text(self.badge, style(badge_style))
        indicator = Text(self.indicator, style(f"top-bar--{self.state.value}"))
        indicator.truncate(max(1, int(width * INDICATOR_SHARE)), overflow="ellipsis")
        # The badge keeps a space from the indicator; the server has the rest.
        room = width - cell_len(name.plain) - cell_len(badge.plain) - 1 - indicator.cell_len
        server = Text(f" {one_line(self.server)} ", style("top-bar--server"))
        server.truncate(max(0, room), overflow="ellipsis", pad=True)
        line = Text.assemble(name, server, badge, " ", indicator, no_wrap=True, end="")
        line.truncate(width, overflow="ellipsis")
        return line
