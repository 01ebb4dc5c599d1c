"""Z: do not disturb, as this dashboard shows and changes it.

The state is the machine's (one file every face watches): this face follows
it (:func:`~tiri_tui.settings.do_not_disturb_file.follow_state`), shows it in
the header with the time left, and says what came meanwhile when it ends, in
one line and one alert. The key turns it on for a while (a choice, or a
duration or time typed in) or, when on, off.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from textual.notifications import SeverityLevel
from textual.screen import Screen

if TYPE_CHECKING:
    from tiri_tui.attention.do_not_disturb import DoNotDisturb
    from tiri_tui.sync.inbox import Inbox
    from tiri_tui.ui.alerting import Alerting


class DoNotDisturbFace:
    """Do not disturb in one dashboard: followed, shown, told, changed."""

    def __init__(
        self,
        screen: Screen[None],
        alerting: Alerting,
        say: Callable[[str, SeverityLevel], None],
        key: Callable[[], str],
        held: Callable[[], Inbox | None],
        wall: Callable[[], float] = time.time,
    ) -> None:
        """``held``: what the list's owner holds now (None: no owner yet)."""
        self._screen, self._alerting, self._say, self._key = screen, alerting, say, key
        self._held = held
        self._wall = wall
        self._path: Path | None = None
        self._shown: Callable[[], None] = lambda: None

    def follow(self, data_dir: Path, shown: Callable[[], None]) -> None:
        """Follow the machine's state from now on (``shown``: the header redrawn)."""
        from tiri_tui.settings.do_not_disturb_file import follow_state, state_path

        self._path = state_path(data_dir)
        self._shown = shown

        # A change made elsewhere (a script, another face) shows in the header.
        work = follow_state(
            self._path,
            self._alerting.attention,
            changed=lambda _state: shown(),
            over=self._over,
        )
        self._screen.run_worker(work, group="do-not-disturb", exclusive=True)

    def header(self) -> str:
        """The header's words: ``dnd 52m`` (empty: off)."""
        attention = self._alerting.attention_if_built
        state = None if attention is None else attention.do_not_disturb
        if state is None or attention is None or not attention.silenced:
            return ""
        return f"dnd {state.left(self._wall())}" if state.until else "dnd"

    def _over(self, span: DoNotDisturb) -> None:
        from tiri_tui.attention.do_not_disturb import Away, away_from_held

        # Counted from the list, not from what this face saw arrive: the same
        # in every face, whenever it was opened (no list yet: nothing came).
        attention, held = self._alerting.attention, self._held()
        away = Away() if held is None else away_from_held(held, span, attention.worth_telling)
        self._say(away.line(), "information")
        alert = attention.catch_up(away)
        if alert is not None and attention.focused is not True:  # looking: the line says it
            self._alerting.send_now(alert)

    def toggle(self) -> None:
        """Off when on; else ask for how long."""
        if self._path is None:
            self._say("Do not disturb is not ready yet: try again in a moment", "information")
            return
        if self._alerting.attention.silenced:
            self._write(None)
            return
        from tiri_tui.attention.do_not_disturb import DoNotDisturb
        from tiri_tui.ui.do_not_disturb_screen import DoNotDisturbScreen  # loaded when first used

        def chosen(until: float | bool | None) -> None:
            if until is not False:
                assert until is not True
                self._write(DoNotDisturb(self._wall(), until))

        now = lambda: datetime.fromtimestamp(self._wall()).astimezone()  # noqa: E731
        self._screen.app.push_screen(DoNotDisturbScreen(now), chosen)

    def _write(self, state: DoNotDisturb | None) -> None:
        from tiri_tui.settings.do_not_disturb_file import write_state

        assert self._path is not None
        path = self._path

        async def write() -> None:
            try:
                await asyncio.to_thread(write_state, path, state)
            except OSError as exc:
                self._say(f"Do not disturb: cannot write {path}: {exc.strerror}", "error")
                return
            # In force here at once (the watcher sees the file within half a
            # second): a second key press right after the first turns it off.
            ended = self._alerting.attention.use_do_not_disturb(state)
            self._shown()
            if ended is not None:
                self._over(ended)
            elif state is not None:
                left = state.left(self._wall())
                ends = "until you turn it off" if state.until is None else f"for {left}"
                self._say(f"Do not disturb: on {ends} — {self._key()} turns it off", "information")

        self._screen.run_worker(write(), group="do-not-disturb-write")
