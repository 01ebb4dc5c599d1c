"""Small widgets of the dashboard: text lines, the message line, the detail pane, the status line.

Every piece of server text is put in a ``rich.text.Text`` (plain, never
markup) after :func:`tiri_tui.wire.text.inert`.
"""

from __future__ import annotations

import json
from datetime import datetime

from rich.cells import cell_len
from rich.console import Group
from rich.text import Text
from textual.timer import Timer
from textual.widgets import Static

from tiri_tui.sync.controller import Counters
from tiri_tui.wire.models import Notification
from tiri_tui.wire.text import inert, one_line


class TextLine(Static):
    """A line of text that asks for a relayout only when its size can change.

    A relayout of the screen costs milliseconds, and what the lines show
    changes with arrivals (the metrics line counts every one): only a line
    sized by its text (auto width or height) asks for one, when the text's
    length changes.
    """

    _shown = ""

    @property
    def shown(self) -> str:
        """The plain text on the line now."""
        return self._shown

    def show_text(self, text: Text) -> None:
        """Display ``text`` (nothing happens when it is what is shown)."""
        plain = text.plain
        if plain != self._shown:
            styles = self.styles
            sized_by_text = styles.is_auto_width or styles.is_auto_height
            relayout = sized_by_text and cell_len(plain) != cell_len(self._shown)
            self._shown = plain
            self.update(text, layout=relayout)


class FilterBar(TextLine):
    """What narrows the list, and the key that clears it (hidden while nothing does)."""

    DEFAULT_CSS = """
    FilterBar {
        width: 100%;
        height: 1;
        background: $warning 25%;
        color: $text;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """


class NewAboveLine(TextLine):
    """How many arrived above the rows in sight, and the key that goes to them."""

    DEFAULT_CSS = """
    NewAboveLine {
        width: 100%;
        height: 1;
        background: $primary 35%;
        color: $text;
        text-style: bold;
    }
    """


class MessageLine(TextLine):
    """One line for what just happened ("Marked 33 read — u undoes"): results of
    the user's actions, and what the server said, without covering the list."""

    DEFAULT_CSS = """
    MessageLine {
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    MessageLine.-warning { color: $warning; }
    MessageLine.-error { color: $error; text-style: bold; }
    /* What went wrong, and what to do, is read whole in a narrow terminal too. */
    MessageLine.-warning, MessageLine.-error {
        height: auto;
        max-height: 3;
        text-wrap: wrap;
    }
    """

    #: How long a message stays.
    SECONDS = 6.0
    #: How long an error stays: it names a state that lasts, and what to do.
    ERROR_SECONDS = 20.0

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="hidden")
        self._hide_timer: Timer | None = None
        #: How long what is shown stays.
        self._showing_for = self.SECONDS

    def say(self, message: str, severity: str = "information") -> None:
        """Show ``message`` (plain text, never markup) until the next or for a few seconds."""
        for level in ("information", "warning", "error"):
            self.set_class(level == severity, f"-{level}")
        self.show_text(Text(f" {one_line(message, 300)}"))
        self.remove_class("hidden")
        if self._hide_timer is not None:
            self._hide_timer.stop()
            self._hide_timer = None
        self._showing_for = self.ERROR_SECONDS if severity == "error" else self.SECONDS
        if self.is_mounted:
            self._hide_timer = self.set_timer(self._showing_for, self.clear)

    def on_mount(self) -> None:
        # Mounted after the first frame: what was said before then stays its time from now.
        if not self.has_class("hidden"):
            self._hide_timer = self.set_timer(self._showing_for, self.clear)

    def clear(self) -> None:
        """Hide the message."""
        self.add_class("hidden")
        self.show_text(Text(""))


class DetailPane(Static):
    """Everything about the selected notification."""

    DEFAULT_CSS = """
    DetailPane {
        width: 45%;
        height: 1fr;
        padding: 0 1;
        border-left: tall $primary;
        overflow-y: auto;
    }
    """

    def __init__(
        self, *, act_key: str = "a", id: str | None = None, classes: str | None = None
    ) -> None:
        """``act_key``: the key in force that acts on a notification (named
        where one leads somewhere)."""
        super().__init__(id=id, classes=classes)
        self.act_key = act_key

    def show(self, n: Notification | None) -> None:
        """Display ``n`` (or a hint when nothing is selected)."""
        if n is None:
            self.update(Text("No notification selected.", style="dim"))
            return
        title = Text(inert(n.title), style="bold")
        body = Text(inert(n.message, keep_newlines=True))
        rows = [
            ("type", _type_shown(n)),
            ("priority", n.priority or "normal"),
            ("from", n.created_by_name or "—"),
            ("created", _when(n.created_at)),
            ("read", _when(n.read_at) if n.read_at else ("yes" if n.is_read else "no")),
        ]
        if n.expires_at:
            rows.append(("expires", _when(n.expires_at)))
        facts = Text()
        for label, value in rows:
            facts.append(f"{label:>9}  ", style="dim")
            facts.append(one_line(str(value)) + "\n")
        parts: list[Text] = [title, Text(""), body, Text(""), facts]
        # Imported here: the details are not in the first frame.
        from tiri_tui.wire.acting import subjects_of

        leads = subjects_of(n).subjects
        if leads:
            about = ", ".join(_LEADS_TO[subject.value] for subject in leads)
            parts.append(Text(f"{self.act_key} acts on it: {about}\n", style="bold"))
        if n.extra_data:
            parts.append(Text("extra_data", style="dim"))
            dumped = json.dumps(n.extra_data, indent=2, ensure_ascii=False, default=str)
            parts.append(Text(inert(dumped, keep_newlines=True)))
        self.update(Group(*parts))


#: What ``a`` acts on, by the subject's value (see ``wire.acting.Subject``).
_LEADS_TO = {
    "volunteers": "who applied",
    "request": "the request",
    "conversation": "the conversation",
    "member": "the new member",
}


def _type_shown(n: Notification) -> str:
    """The type's label and its id: rules, links and views name it by the id."""
    label = n.notification_type_display
    if label and label != n.notification_type:
        return f"{label} ({n.notification_type})"
    return n.notification_type


def _when(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


class StatusLine(TextLine):
    """Connection metrics the controller keeps.

    What does not fit the width goes whole, least telling first (counters at
    zero, then the filters the filter bar shows anyway), never the end of
    the line cut mid-word.
    """

    _parts: list[tuple[int, str]] = []

    def show(self, counters: Counters, dropped: int, outbox: int, held: int, filters: str) -> None:
        """Display the metrics (``dropped``: frames the socket worker dropped)."""
        latency = counters.last_delivery_latency
        counted = (
            ("reconnects", counters.reconnects),
            ("dropped", dropped),
            ("fallback", counters.fallback_refreshes),
            ("rejected", counters.items_rejected),
        )
        # (rank, text): the lowest rank is the first to go.
        parts = [(1, filters)] if filters else []
        parts.append((3, f"{held:,} held"))
        parts += [(0 if value == 0 else 2, f"{name} {value}") for name, value in counted]
        parts.append((2, f"latency {'—' if latency is None else f'{latency * 1000:.0f} ms'}"))
        parts.append((3, f"outbox {outbox}"))
        self._parts = parts
        self._fit()

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        parts, width = self._parts, self.content_size.width
        for rank in (0, 1, 2):
            if not width or cell_len(" · ".join(text for _, text in parts)) <= width:
                break
            parts = [(r, text) for r, text in parts if r != rank]
        self.show_text(Text(" · ".join(text for _, text in parts)))
