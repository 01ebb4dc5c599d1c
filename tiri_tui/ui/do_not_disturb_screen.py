"""The question Z asks: how long not to be disturbed (a choice, or a duration
or time of day typed in)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from tiri_tui.attention.do_not_disturb import duration, next_time_of_day
from tiri_tui.ui.screens import Dialog

#: The choices offered, as (words, seconds or a time of day; None: until off).
CHOICES: tuple[tuple[str, str | None], ...] = (
    ("for 30 minutes", "30m"),
    ("for 1 hour", "1h"),
    ("for 2 hours", "2h"),
    ("until 18:00", "18:00"),
    ("until 08:00", "08:00"),
    ("until I turn it off", None),
)


def until_of(spoken: str | None, now: datetime) -> float | None:
    """When a choice or what was typed ends (Unix seconds; None: until off);
    ValueError saying what is wanted."""
    if spoken is None:
        return None
    if ":" in spoken:
        return next_time_of_day(spoken, now).timestamp()
    return now.timestamp() + duration(spoken)


class DoNotDisturbScreen(Dialog[float | None | bool]):
    """How long: a choice, or a duration or time typed in. Dismissed with the
    end (None: until turned off), or False: cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, now: Callable[[], datetime]) -> None:
        super().__init__()
        self._now = now

    def compose(self) -> ComposeResult:
        options = [
            Option(self._words(words, spoken), id=f"choice:{i}")
            for i, (words, spoken) in enumerate(CHOICES)
        ]
        with Vertical(classes="dialog"):
            yield Label("Do not disturb, in every face on this machine", classes="dialog-title")
            yield OptionList(*options, id="dnd-choices")
            yield Input(placeholder="or type 45m, 1h30m or 17:30, then ⏎", id="dnd-typed")
            yield Label("", id="dnd-problem", classes="dialog-hint")
            yield Label("⏎ chooses · tab: type one in · esc cancels", classes="dialog-hint")

    def _words(self, words: str, spoken: str | None) -> str:
        """A time of day says which day it is (18:00 at 19:30 is tomorrow's)."""
        if spoken is None or ":" not in spoken:
            return words
        now = self._now()
        day = "today" if next_time_of_day(spoken, now).date() == now.date() else "tomorrow"
        return f"{words} {day}"

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        index = int((event.option.id or "choice:0").removeprefix("choice:"))
        self.dismiss(until_of(CHOICES[index][1], self._now()))

    @on(Input.Submitted)
    def typed(self, event: Input.Submitted) -> None:
        try:
            self.dismiss(until_of(event.value.strip(), self._now()))
        except ValueError as exc:
            self.query_one("#dnd-problem", Label).update(str(exc))

    def action_cancel(self) -> None:
        self.dismiss(False)
