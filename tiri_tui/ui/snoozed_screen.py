"""B: what is snoozed, the soonest back first; unsnooze from here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from tiri_tui.sync.snoozes import SnoozeBook
from tiri_tui.ui.screens import Dialog
from tiri_tui.ui.wording import when_words
from tiri_tui.wire.text import one_line

#: The widest a line of the view gets (the dialog's width, less its frame).
LINE = 72


class SnoozedScreen(Dialog[None]):
    """The snoozed notifications; enter or u brings the highlighted one back."""

    BINDINGS = [
        Binding("escape,q", "close", "Close"),
        Binding("u", "unsnooze", "Unsnooze"),
    ]

    DEFAULT_CSS = """
    #snoozed-box {
        width: 90%;
        max-width: 84;
    }

    #snoozed {
        height: auto;
        max-height: 16;
    }
    """

    def __init__(
        self,
        book: Callable[[], SnoozeBook | None],
        now: Callable[[], datetime],
        unsnooze: Callable[[str], None],
        snooze_key: str,
    ) -> None:
        """``book``: the snoozes as last read; ``unsnooze``: bring one back by id."""
        super().__init__()
        self._book, self._now, self._unsnooze = book, now, unsnooze
        self._snooze_key = snooze_key
        #: Brought back from here, not yet gone from the book the screen was given.
        self._brought_back: set[str] = set()

    def compose(self) -> ComposeResult:
        with Vertical(id="snoozed-box", classes="dialog"):
            yield Label("", id="snoozed-title", classes="dialog-title")
            yield OptionList(id="snoozed")
            yield Label("⏎ or u unsnoozes (back where it was) · esc closes", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        # Filled once laid out: each line is cut to the list's width.
        self.call_after_refresh(self._fill)

    def on_resize(self) -> None:
        self.call_after_refresh(self._fill)

    def _fill(self) -> None:
        book, now = self._book(), self._now()
        away = [] if book is None else book.away_by_due()
        away = [s for s in away if s.id not in self._brought_back]
        options = self.query_one(OptionList)
        width = max(20, options.scrollable_content_region.width - 1)
        highlighted = options.highlighted
        options.clear_options()
        for snooze in away:
            n = snooze.notification
            when = when_words(datetime.fromtimestamp(snooze.until).astimezone(), now)
            line = Text(f"{when:>15}  ", style="bold")
            line.append(one_line(n.title, LINE))
            message = one_line(n.message, LINE)
            if message:
                line.append(f" — {message}", style="dim")
            # One line each, cut to the list (a wrapped title reads as two snoozes).
            line.truncate(width, overflow="ellipsis")
            options.add_option(Option(line, id=snooze.id))
        if away:
            options.highlighted = min(highlighted or 0, len(away) - 1)
        title = self.query_one("#snoozed-title", Label)
        if away:
            title.update(f"Snoozed ({len(away):,}) — back as new, on top, when due")
        else:
            title.update(
                f"Nothing is snoozed — {self._snooze_key} snoozes the notification selected"
            )

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.action_unsnooze()

    def action_unsnooze(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return
        option = options.get_option_at_index(options.highlighted)
        if option.id is None:
            return
        self._brought_back.add(option.id)
        self._unsnooze(option.id)
        self._fill()

    def action_close(self) -> None:
        self.dismiss(None)
