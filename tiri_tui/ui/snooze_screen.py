"""The question b asks: until when to put a notification away (a choice, or a
time typed in, shown as it is understood before it is taken)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from tiri_tui.attention.snooze_times import Choice, choices, typed_until
from tiri_tui.ui.screens import Dialog
from tiri_tui.ui.wording import when_words
from tiri_tui.wire.models import Notification
from tiri_tui.wire.text import one_line


class SnoozeScreen(Dialog[datetime | None]):
    """Until when: dismissed with the time (None: cancelled)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, notification: Notification, now: Callable[[], datetime]) -> None:
        super().__init__()
        self._notification = notification
        self._now = now
        self._choices: list[Choice] = choices(now())
        #: What was typed, as last understood (None: nothing usable yet).
        self._typed: datetime | None = None

    def compose(self) -> ComposeResult:
        now = self._now()
        options = [
            Option(f"{c.words:<18} {when_words(c.until, now)}", id=f"choice:{i}")
            for i, c in enumerate(self._choices)
        ]
        title = one_line(self._notification.title, 48)
        with Vertical(classes="dialog"):
            yield Label(f"Snooze “{title}” until…", classes="dialog-title", markup=False)
            yield OptionList(*options, id="snooze-choices")
            yield Input(placeholder="or type 45m, 17:30, tomorrow 9:00, then ⏎", id="snooze-typed")
            yield Label("", id="snooze-understood", classes="dialog-hint", markup=False)
            yield Label(
                "Back as new, on top · ⏎ chooses · tab: type · esc cancels",
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        self._warm()

    @work(group="snooze-warm", thread=True)
    def _warm(self) -> None:
        """Load the date reader off the loop before the first date is typed."""
        import dateparser  # noqa: F401

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        index = int((event.option.id or "choice:0").removeprefix("choice:"))
        self.dismiss(self._choices[index].until)

    @on(Input.Changed)
    def typing(self, event: Input.Changed) -> None:
        self._understand(event.value, submit=False)

    @on(Input.Submitted)
    def typed(self, event: Input.Submitted) -> None:
        self._understand(event.value, submit=True)

    @work(group="snooze-typed", exclusive=True)
    async def _understand(self, text: str, *, submit: bool) -> None:
        """What was typed, read on a thread (the date reader's first read is slow)."""
        label = self.query_one("#snooze-understood", Label)
        if not text.strip():
            self._typed = None
            label.update("")
            return
        now = self._now()
        try:
            until = await asyncio.to_thread(typed_until, text, now)
        except ValueError as exc:
            self._typed = None
            label.update(str(exc))
            return
        self._typed = until
        label.update(f"→ until {when_words(until, now)}")
        if submit:
            self.dismiss(until)

    def action_cancel(self) -> None:
        self.dismiss(None)
