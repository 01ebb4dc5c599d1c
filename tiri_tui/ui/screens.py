"""Modal screens: help, login, delete confirmation, search, type filter."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from tiri_tui.ui.keymap import fill_keys, help_rows
from tiri_tui.wire.text import one_line

if TYPE_CHECKING:
    from rich.table import Table

#: The row's marks, for the help screen's legend.
LEGEND = (
    ("●", "bold", "unread (read rows are dimmed)"),
    ("‼", "bold red", "urgent"),
    ("!", "bold", "high priority"),
    ("tinted row", "on dark_green", "just arrived (for a few seconds)"),
    ("↑ 3 new above", "bold", "arrivals above the view ({first}: the top)"),
)


ResultT = TypeVar("ResultT")


class Dialog(ModalScreen[ResultT]):
    """A box over the dashboard. Its looks are here, not in the app's
    stylesheet: they are parsed when the first dialog opens, not at start-up."""

    DEFAULT_CSS = """
    Dialog {
        align: center middle;
    }

    .dialog {
        width: 64;
        height: auto;
        max-height: 90%;
        padding: 1 2;
        border: thick $primary;
        background: $surface;
    }

    .dialog-title {
        text-style: bold;
        margin-bottom: 1;
    }

    .dialog-hint {
        color: $text-muted;
        margin-top: 1;
    }

    .dialog-buttons {
        height: auto;
        margin-top: 1;
    }

    /* The whole form fits 24 rows, with the reason it opened and its hint. */
    #login-box {
        padding: 0 2;
    }

    #login-why {
        margin-bottom: 1;
    }

    #login-error {
        height: auto;
    }

    #type-options {
        height: auto;
        max-height: 20;
    }

    /* The keys' descriptions read best on one line: as wide as the terminal allows. */
    #help-box {
        width: 96%;
        max-width: 130;
        height: 90%;
    }

    #help-scroll {
        height: 1fr;
    }
    """


class HelpScreen(Dialog[None]):
    """Every key, in one table."""

    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]

    def __init__(
        self,
        alerts: list[str] | None = None,
        rows: list[tuple[str, str]] | None = None,
        keymap: Mapping[str, str] | None = None,
    ) -> None:
        """``alerts``: the alert mode, quiet hours and rules in force, in words;
        ``rows``: (keys in force, what they do), the user's commands included;
        ``keymap``: the user's, for the keys the legend names."""
        super().__init__()
        self.alerts = alerts or []
        self.rows = rows if rows is not None else help_rows()
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        table = _two_columns((key, "bold", meaning) for key, meaning in self.rows)
        legend = _two_columns(
            (mark, style, fill_keys(meaning, self.keymap)) for mark, style, meaning in LEGEND
        )
        with Vertical(id="help-box", classes="dialog"):
            yield Label("Keys", classes="dialog-title")
            # Scrolls when the terminal is shorter than the table (↑/↓, PageUp/PageDown).
            with VerticalScroll(id="help-scroll"):
                yield Static(table, id="help-keys")
                yield Label("What the rows show", classes="dialog-title")
                yield Static(legend, id="help-legend")
                if self.alerts:
                    yield Label("Alerts (config.toml)", classes="dialog-title")
                    yield Static(Text("\n".join(self.alerts)), id="help-alerts")
            yield Label("escape closes · ↑/↓ scroll", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()

    def action_close(self) -> None:
        self.dismiss(None)


def _two_columns(rows: Iterable[tuple[str, str, str]]) -> Table:
    """(left, its style, right) rows: the left column as wide as its widest
    cell, the right one wrapped within its own column (indented, not back to
    the box's edge)."""
    from rich.table import Table  # only the help draws a table

    table = Table.grid(padding=(0, 2))
    table.add_column(justify="right", no_wrap=True)
    table.add_column(ratio=1, overflow="fold")
    for left, style, right in rows:
        table.add_row(Text(left, style=style), Text(right))
    return table


class ConfirmScreen(Dialog[bool]):
    """A yes/no question (y/n keys)."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.question))
            yield Label("y = yes · n = no", classes="dialog-hint")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class SearchScreen(Dialog[str | None]):
    """Ask for a search term (empty clears the search)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, current: str | None) -> None:
        super().__init__()
        self.current = current or ""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Search titles and messages (empty clears)", classes="dialog-title")
            yield Input(value=self.current, placeholder="search…", id="search-input")

    @on(Input.Submitted)
    def submit(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


ALL_TYPES = "__all__"


class TypePickerScreen(Dialog[str | None]):
    """Pick a notification type (or a priority) to filter by, or all."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        counts: Mapping[str, int],
        current: str | None,
        *,
        noun: str = "type",
        order: list[str] | None = None,
    ) -> None:
        """``counts``: the values to offer, with how many of each are held (0:
        none); ``order``: theirs (else alphabetical); ``noun``: what they are."""
        super().__init__()
        self.counts = dict(counts)
        self.types = order or sorted(self.counts)
        self.current = current
        self.noun = noun
        #: The server's unread count per type, once it answers (None: not yet, or never).
        self.unread: dict[str, int] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"Filter by {self.noun}", classes="dialog-title")
            yield OptionList(*self._options(), id="type-options")

    def _options(self) -> list[Option]:
        plural = "priorities" if self.noun == "priority" else f"{self.noun}s"
        options = [Option(f"All {plural}", id=ALL_TYPES)]
        for t in self.types:
            count, unread = self.counts.get(t, 0), (self.unread or {}).get(t, 0)
            label = Text(one_line(t.replace("_", " "), 40))
            said = [f"{unread:,} unread"] if unread else []
            said += [f"{count:,} held"] if count else []
            label.append(f"  {' · '.join(said)}" if said else "", style="dim")
            options.append(Option(label, id=f"type:{t}"))
        return options

    def show_unread(self, by_type: Mapping[str, int]) -> None:
        """The server's unread count of each type (its breakdown): said beside
        each, types held nowhere here added (the highlight stays where it is)."""
        self.unread = dict(by_type)
        # A name made inert ("?") or cut ("…") names no type a filter could match.
        extra = [t for t in by_type if t not in self.counts and "?" not in t and "…" not in t]
        self.types = sorted([*self.types, *extra]) if extra else self.types
        found = self.query("#type-options").results(OptionList)
        options = next(found, None)
        if options is None:  # not composed yet: compose reads them
            return
        # The highlight stays on its type (rows may have come in above it).
        index = options.highlighted
        kept = None if index is None else options.get_option_at_index(index).id
        options.clear_options()
        options.add_options(self._options())
        if kept is not None:
            options.highlighted = options.get_option_index(kept)

    @on(OptionList.OptionSelected)
    def picked(self, event: OptionList.OptionSelected) -> None:
        option_id = event.option.id or ALL_TYPES
        self.dismiss(ALL_TYPES if option_id == ALL_TYPES else option_id.removeprefix("type:"))

    def action_cancel(self) -> None:
        self.dismiss(None)


class LoginRequested(Message):
    """The login form was submitted."""

    def __init__(self, email: str, password: str) -> None:
        super().__init__()
        self.email = email
        self.password = password


class LoginScreen(Dialog[None]):
    """E-mail and password; the app calls :meth:`failed` to show the server's answer.

    esc closes it: what is cached stays browsable, and ``reopen_key`` opens it again.
    """

    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(
        self,
        server: str,
        *,
        why: str = "",
        email: str = "",
        reopen_key: str = "l",
        browsable: bool = False,
    ) -> None:
        """``why``: why the form opened by itself (the session ended);
        ``email``: the last session's, offered again; ``reopen_key``: the key
        in force that opens the form again; ``browsable``: there is a list
        behind the form to browse."""
        super().__init__()
        self.server = server
        self.why = why
        self.email = email
        self.reopen_key = reopen_key
        self.browsable = browsable

    def compose(self) -> ComposeResult:
        if self.browsable:
            hint = (
                f"esc closes this form: the list stays browsable ({self.reopen_key} opens it again)"
            )
        else:
            hint = (
                f"esc closes this form ({self.reopen_key} opens it again) · "
                "new here? `tiri-tui demo` tries tiri-tui with a demo server"
            )
        with Vertical(classes="dialog", id="login-box"):
            yield Static(Text(f"Log in to {self.server}"), classes="dialog-title")
            if self.why:
                yield Static(Text(self.why), id="login-why")
            yield Input(value=self.email, placeholder="e-mail", id="login-email")
            yield Input(placeholder="password", password=True, id="login-password")
            yield Static("", id="login-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Log in", variant="primary", id="login-submit")
                yield Button("Quit", id="login-quit")
            yield Static(Text(hint), classes="dialog-hint")

    def action_close(self) -> None:
        self.dismiss(None)

    def on_mount(self) -> None:
        # Type at once: the password when the e-mail is offered already.
        field = "#login-password" if self.email else "#login-email"
        self.query_one(field, Input).focus()

    @on(Input.Submitted, "#login-email")
    def next_field(self) -> None:
        self.query_one("#login-password", Input).focus()

    @on(Input.Submitted, "#login-password")
    @on(Button.Pressed, "#login-submit")
    def submit(self) -> None:
        email = self.query_one("#login-email", Input).value.strip()
        password = self.query_one("#login-password", Input).value
        if not email or not password:
            self.failed("enter your e-mail and password")
            return
        self.query_one("#login-error", Static).update(Text("logging in…"))
        self.app.post_message(LoginRequested(email, password))

    @on(Button.Pressed, "#login-quit")
    def quit(self) -> None:
        self.app.exit()

    def failed(self, message: str) -> None:
        """Show why the login failed (the server's message, literally)."""
        self.query_one("#login-error", Static).update(Text(one_line(message), style="bold red"))
