"""Acting on a notification from the dashboard (``a``): what it leads to, and
the conversation of a chat notification.

What the server wrote (names, messages, its refusals) is shown inert, as
titles are. Each action is sent once while the person waits, never queued;
the text typed is sent as typed and stays in its box when it could not be
sent. When no answer came, what the server now shows is read and said
before anything is tried again.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from tiri_tui.ui.screens import ConfirmScreen, Dialog
from tiri_tui.wire.acting import ActionName
from tiri_tui.wire.errors import (
    ActionNotSent,
    ActionRefused,
    ActionUnavailable,
    LoginRequired,
    OutcomeUnknown,
    ServerUnreachable,
    TiriError,
)
from tiri_tui.wire.text import inert, one_line

if TYPE_CHECKING:
    from tiri_tui.connection.acting import ActingApi
    from tiri_tui.connection.action_menu import Action, Menu
    from tiri_tui.wire.acting import ChatMessage
    from tiri_tui.wire.models import Notification

_CSS = """
#act-box, #chat-box {
    width: 90%;
    max-width: 100;
    height: auto;
    max-height: 90%;
}

/* At 80x24 the list scrolls so that the result and the keys stay in sight. */
#act-options {
    height: auto;
    max-height: 40vh;
}

#act-about {
    height: auto;
    max-height: 9;
}

#act-result, #chat-result {
    height: auto;
}

#act-text.hidden, #act-options.hidden {
    display: none;
}

#chat-box {
    height: 90%;
}

#chat-log {
    height: 1fr;
}
"""


def failure_words(
    exc: TiriError, *, keeps_text: bool, login_key: str, reading: bool = False
) -> str:
    """What a failed call says, in the server's words where it gave some
    (``reading``: it only read; ``login_key``: the key in force that logs in)."""
    kept = " Your text is kept." if keeps_text else ""
    if isinstance(exc, ActionRefused):
        return ("Already done: " if exc.already else "Refused: ") + one_line(exc.words)
    if isinstance(exc, ActionNotSent | ServerUnreachable):
        if reading:
            return "Offline: it cannot be read now (esc closes; try again later)."
        return f"Offline: it cannot be sent now.{kept}"
    if isinstance(exc, LoginRequired):
        return f"The session ended: {login_key} logs in again, once this is closed.{kept}"
    if isinstance(exc, ActionUnavailable):
        return one_line(str(exc))
    return one_line(str(exc)) + kept


class ActionsScreen(Dialog[None]):
    """What can be done about one notification, and doing it."""

    DEFAULT_CSS = _CSS
    BINDINGS = [Binding("escape", "back", "Back")]

    def __init__(self, notification: Notification, api: ActingApi, *, login_key: str) -> None:
        """``login_key``: the key in force that logs in (said when the session ends)."""
        super().__init__()
        self.notification = notification
        self.api = api
        self.login_key = login_key
        self.menu: Menu | None = None
        #: The action waiting for its text (the box is open for it).
        self.typing: Action | None = None
        #: A call is out: nothing else is sent until it is answered (a second
        #: enter must not send the same offer or approval twice).
        self.sending = False

    def compose(self) -> ComposeResult:
        with Vertical(id="act-box", classes="dialog"):
            title = one_line(self.notification.title, 70)
            yield Label(Text(f"Act on “{title}”"), classes="dialog-title")
            yield Static(Text("Reading what it points at…"), id="act-about")
            yield OptionList(id="act-options", classes="hidden")
            yield Input(id="act-text", classes="hidden")
            yield Static(id="act-result")
            yield Label("enter chooses · esc closes", id="act-hint", classes="dialog-hint")

    def on_mount(self) -> None:
        self.load()

    # -- reading ------------------------------------------------------------------------------
    @work(exclusive=True, group="act-read")
    async def load(self) -> None:
        from tiri_tui.connection.action_menu import menu_for

        try:
            menu = await menu_for(self.api, self.notification)
        except TiriError as exc:
            self._about(
                Text(failure_words(exc, keeps_text=False, login_key=self.login_key, reading=True))
            )
            return
        self.show(menu)

    def show(self, menu: Menu) -> None:
        """The menu read from the server: the actions on offer, or why none."""
        self.menu = menu
        about = Text()
        if menu.request is not None:
            r = menu.request
            about.append(one_line(r.title, 80), style="bold")
            about.append(f"  {one_line(r.status.replace('_', ' '))}", style="dim")
            if r.description:
                about.append("\n" + inert(r.description, keep_newlines=True))
            when = _stamp(r.date_needed) if r.date_needed else ""
            where = " · ".join(one_line(x, 40) for x in (r.requester, r.location, when) if x)
            if where:
                about.append("\n" + where, style="dim")
        if menu.applications:
            about.append(("\n" if about.plain else "") + "Who applied:", style="bold")
            for applied in menu.applications:
                about.append(f"\n  {one_line(applied.name, 30)}")
                about.append(f"  {one_line(applied.status, 12)}", style="dim")
                if applied.applied_at:
                    about.append(f" · {_stamp(applied.applied_at)}", style="dim")
        for note in menu.notes:
            about.append(("\n" if about.plain else "") + f"({one_line(note)})", style="dim")
        options = self.query_one("#act-options", OptionList)
        options.clear_options()
        for index, action in enumerate(menu.actions):
            if action.name is ActionName.REPLY:
                continue  # the conversation has the reply box
            options.add_option(Option(self._label(menu, action), id=str(index)))
        if menu.actions:
            options.remove_class("hidden")
            # The first is the one the notification is about: enter takes it.
            options.highlighted = 0
            options.focus()
        else:
            options.add_class("hidden")
            about.append(("\n" if about.plain else "") + f"Nothing to do: {menu.why_nothing}")
        self._about(about)

    @staticmethod
    def _label(menu: Menu, action: Action) -> Text:
        label = Text(one_line(action.label, 60))
        if message := menu.offer_message(action):
            label.append(f"  “{one_line(message, 50)}”", style="dim")
        if action.name.destructive:
            label.append("  (asks first)", style="dim")
        return label

    def _about(self, text: Text) -> None:
        self.query_one("#act-about", Static).update(text)

    def say(self, words: str) -> None:
        self.query_one("#act-result", Static).update(Text(words))

    # -- choosing -----------------------------------------------------------------------------
    @on(OptionList.OptionSelected, "#act-options")
    def chosen(self, event: OptionList.OptionSelected) -> None:
        from tiri_tui.connection.action_menu import TextNeed

        if self.menu is None or event.option.id is None:
            return
        action = self.menu.actions[int(event.option.id)]
        if action.room_id is not None:
            self.app.push_screen(
                ConversationScreen(self.api, action.room_id, self.notification, self.login_key)
            )
            return
        if action.text is TextNeed.NONE:
            self.confirm_then_send(action, "")
            return
        self.typing = action
        box = self.query_one("#act-text", Input)
        need = "required" if action.text is TextNeed.REQUIRED else "optional"
        box.placeholder = f"{action.text_label} ({need}) — enter sends, esc goes back"
        box.remove_class("hidden")
        box.focus()
        self.query_one("#act-hint", Label).update(f"{one_line(action.label)}: type, then enter")

    @on(Input.Submitted, "#act-text")
    def typed(self, event: Input.Submitted) -> None:
        from tiri_tui.connection.action_menu import TextNeed

        action = self.typing
        if action is None:
            return
        if action.text is TextNeed.REQUIRED and not event.value.strip():
            self.say(f"Type the {action.text_label} first (esc goes back)")
            return
        self.confirm_then_send(action, event.value)

    def confirm_then_send(self, action: Action, text: str) -> None:
        if self.sending:
            self.say("Still sending the last one…")
            return
        if not action.name.destructive:
            self.send(action, text)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.send(action, text)
            else:
                self.say("Not done")

        question = f"{one_line(action.label)}? This cannot be undone."
        self.app.push_screen(ConfirmScreen(question), answered)

    def send(self, action: Action, text: str) -> None:
        """Send ``action`` once; until it is answered, nothing else is sent."""
        if self.sending:
            self.say("Still sending the last one…")
            return
        self.sending = True
        self._sending(action, text)

    @work(group="act-send")
    async def _sending(self, action: Action, text: str) -> None:
        from tiri_tui.connection.action_run import perform, recheck

        self.say("Sending…")
        try:
            words = await perform(self.api, action, text)
        except OutcomeUnknown:
            seen = await recheck(self.api, action, text)
            if seen.done:
                self.done(f"No answer came, but it was done: {one_line(seen.words)}")
                return
            retry = " Choose it again to try again." if seen.done is False else ""
            self.say(f"No answer came. The server now shows: {one_line(seen.words)}.{retry}")
            self.load()
            return
        except TiriError as exc:
            self.say(failure_words(exc, keeps_text=bool(text), login_key=self.login_key))
            return
        finally:
            self.sending = False
        self.done(f"Done: {one_line(words)}")

    def done(self, words: str) -> None:
        """It was done: say so in the server's words, and read what is left."""
        box = self.query_one("#act-text", Input)
        box.value = ""
        box.add_class("hidden")
        self.typing = None
        self.query_one("#act-hint", Label).update("enter chooses · esc closes")
        self.say(words)
        self.load()

    def action_back(self) -> None:
        if self.typing is not None:
            # The text stays in the box for when this action is chosen again.
            self.typing = None
            self.query_one("#act-text", Input).add_class("hidden")
            self.query_one("#act-hint", Label).update("enter chooses · esc closes")
            self.query_one("#act-options", OptionList).focus()
            return
        self.dismiss(None)


class ConversationScreen(Dialog[None]):
    """A chat room's messages (newest at the bottom) and a reply box."""

    DEFAULT_CSS = _CSS
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("ctrl+o", "older", "Older messages"),
    ]

    def __init__(
        self, api: ActingApi, room_id: str, notification: Notification, login_key: str
    ) -> None:
        super().__init__()
        self.login_key = login_key
        self.api = api
        self.room_id = room_id
        self.notification = notification
        #: Oldest first.
        self.messages: list[ChatMessage] = []
        self.pages = 0
        self.older = False
        #: A reply is out: enter sends nothing more until it is answered.
        self.sending = False

    def compose(self) -> ComposeResult:
        with Vertical(id="chat-box", classes="dialog"):
            yield Label(Text("Conversation"), id="chat-title", classes="dialog-title")
            with VerticalScroll(id="chat-log"):
                yield Static(Text("Reading the conversation…"), id="chat-messages")
            yield Input(placeholder="reply — enter sends", id="chat-input")
            yield Static(id="chat-result")
            yield Label("enter sends · ctrl+o older messages · esc closes", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#chat-input", Input).focus()
        self.read_page()

    @work(exclusive=True, group="chat-read")
    async def read_page(self) -> None:
        try:
            page, self.older = await self.api.messages(self.room_id, self.pages + 1)
        except TiriError as exc:
            self.say(failure_words(exc, keeps_text=False, login_key=self.login_key, reading=True))
            return
        self.pages += 1
        # Pages are counted from the newest: a message come since shifts them by one.
        held = {m.id for m in self.messages}
        self.messages = [m for m in page if m.id not in held] + self.messages
        # Who speaks in it, as the server names them (the notification's "from" may be anyone).
        names = dict.fromkeys(one_line(m.sender_name, 30) for m in self.messages if m.sender_name)
        if names:
            title = self.query_one("#chat-title", Label)
            title.update(Text("Conversation — " + ", ".join(list(names)[:4])))
        self.draw(scroll_to_end=self.pages == 1)
        if self.pages == 1:
            # Read here; when the server cannot be told now, the next reading tells it.
            with contextlib.suppress(TiriError):
                await self.api.mark_room_read(self.room_id)

    def draw(self, *, scroll_to_end: bool) -> None:
        text = Text()
        if self.older:
            text.append("(older messages: ctrl+o)\n", style="dim")
        for message in self.messages:
            text.append(_stamp(message.timestamp) + " ", style="dim")
            text.append(one_line(message.sender_name or "someone", 30), style="bold")
            text.append(": " + inert(message.content, keep_newlines=True) + "\n")
        if not self.messages:
            text.append("No messages yet.", style="dim")
        self.query_one("#chat-messages", Static).update(text)
        if scroll_to_end:
            self.query_one("#chat-log", VerticalScroll).scroll_end(animate=False)

    def say(self, words: str) -> None:
        self.query_one("#chat-result", Static).update(Text(words))

    @on(Input.Submitted, "#chat-input")
    def typed(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            self.say("Type a reply first")
            return
        if self.sending:
            self.say("Still sending the last one…")
            return
        self.sending = True
        self.send(event.value)

    @work(group="chat-send")
    async def send(self, text: str) -> None:
        from tiri_tui.connection.action_run import reply_landed

        self.say("Sending…")
        try:
            sent = await self.api.reply(self.room_id, text)
        except OutcomeUnknown:
            landed = await reply_landed(self.api, self.room_id, text, {m.id for m in self.messages})
            if landed:
                self.query_one("#chat-input", Input).value = ""
                self.reread()
            self.say(
                "No answer came, but your reply is in the conversation"
                if landed
                else "No answer came, and your reply is not in the conversation: enter sends it again"
            )
            return
        except TiriError as exc:
            self.say(failure_words(exc, keeps_text=True, login_key=self.login_key))
            return
        finally:
            self.sending = False
        self.query_one("#chat-input", Input).value = ""
        if sent is not None:
            self.messages.append(sent)
            self.draw(scroll_to_end=True)
        self.say("Sent")

    def reread(self) -> None:
        """The conversation from its newest page again."""
        self.messages, self.pages = [], 0
        self.read_page()

    def action_older(self) -> None:
        if self.older:
            self.read_page()
        else:
            self.say("That is the whole conversation")

    def action_close(self) -> None:
        self.dismiss(None)


def _stamp(timestamp: str) -> str:
    from tiri_tui.wire.models import WireError, parse_timestamp

    try:
        return parse_timestamp(timestamp, "timestamp").astimezone().strftime("%d %b %H:%M")
    except WireError:
        return one_line(timestamp, 20)
