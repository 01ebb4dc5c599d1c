"""What a key does to the row under the cursor, and what z (or u) takes back.

The undo on offer has one owner, this object: the last marks or delete (each
intent with its row as it was) until a moment, and "mark all read" while the
message line says that u undoes it. The screen delegates its keys here and
tells it when the message line says something else.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.timer import Timer

from tiri_tui.sync.controller_api import Controller
from tiri_tui.sync.outbox_sync import Intent
from tiri_tui.ui.keymap import KeyId
from tiri_tui.ui.marking import describe_undone
from tiri_tui.ui.row import relative_age
from tiri_tui.ui.widgets import MessageLine
from tiri_tui.ui.wording import clipboard_text
from tiri_tui.wire.models import Notification
from tiri_tui.wire.text import one_line


class RowActions:
    """m / u / d / y / M / z on the screen's controller and its current row."""

    def __init__(
        self,
        screen: Screen[None],
        controller: Callable[[], Controller | None],
        current: Callable[[], Notification | None],
        say: Callable[[str, SeverityLevel], None],
        key: Callable[[KeyId], str],
        clock: Callable[[], datetime],
    ) -> None:
        self._screen = screen
        self._controller = controller
        self._current = current
        self._say = say
        self._key = key
        self._clock = clock
        #: u undoes the last "mark all read" (the message line says so).
        self._all_read_offered = False
        self._all_read_timer: Timer | None = None
        #: The last marks or delete (each intent with its row as it was), undoable
        #: (z) until this moment (monotonic), while the outbox still holds them.
        self._undoable: list[tuple[Intent, Notification]] = []
        self._undoable_what = ""
        self._undoable_until = 0.0

    def message_replaced(self) -> None:
        """The message line says something else: u no longer undoes "mark all read"."""
        self._all_read_offered = False

    # -- marks ------------------------------------------------------------------------------
    def mark_current(self, is_read: bool) -> None:
        """Mark the row under the cursor (undoable for a few seconds), and say so."""
        controller, current = self._controller(), self._current()
        if controller is None or current is None:
            return
        title, word = one_line(current.title, 40), "read" if is_read else "unread"
        mark = controller.mark_read if is_read else controller.mark_unread
        intent = mark(current.id, hold=controller.settings.undo_window)
        if intent is None:
            self._say(f"“{title}” is {word} already — nothing changed", "information")
        else:
            self.offer([(intent, current)], f"marked “{title}” {word}")

    def undo_all_read_if_offered(self) -> bool:
        """u right after "mark all read": undo it (True), else nothing (False)."""
        controller = self._controller()
        if controller and self._all_read_offered and controller.can_undo_mark_all_read():
            self._undo_all_read(controller)
            return True
        return False

    def mark_all_read(self) -> None:
        controller = self._controller()
        if controller is None:
            return
        self._undoable = []  # the undo is this one's now
        count = controller.unread_count
        task = controller.mark_all_read()
        message = "Marked all read" if count is None else f"Marked all {count:,} read"
        self._say(message, "information")
        task.add_done_callback(lambda _: self._offer_all_read(message))

    def _offer_all_read(self, message: str) -> None:
        """Once every row turned read: u undoes, while the message line says so."""
        controller = self._controller()
        if controller and controller.can_undo_mark_all_read():
            self._say(f"{message} — {self._key(KeyId.MARK_UNREAD)} undoes", "information")
            self._all_read_offered = True
            if self._all_read_timer is not None:
                self._all_read_timer.stop()
            self._all_read_timer = self._screen.set_timer(
                MessageLine.SECONDS, self.message_replaced
            )

    def _undo_all_read(self, controller: Controller) -> None:
        self._all_read_offered = False
        count = controller.undo_mark_all_read()
        self._say(f"Undone: {count:,} marked unread again", "information")

    # -- undo -------------------------------------------------------------------------------
    def offer(self, changes: list[tuple[Intent, Notification]], what: str) -> None:
        """Say what was done, and that z undoes it while the message shows."""
        self._say(f"{what[0].upper()}{what[1:]} — {self._key(KeyId.UNDO)} undoes", "information")
        self._undoable, self._undoable_what = changes, what
        self._undoable_until = time.monotonic() + MessageLine.SECONDS

    def undo(self) -> None:
        """z: take back the last marks or delete (or the last "mark all read")."""
        controller = self._controller()
        if controller is None or self.undo_all_read_if_offered():
            return
        changes, self._undoable = self._undoable, []
        if not changes or time.monotonic() > self._undoable_until:
            self._say(
                "Nothing to undo: an undo is offered for a few seconds after a change",
                "information",
            )
            return
        undone = controller.undo(changes)
        self._say(*describe_undone(undone, self._undoable_what))

    # -- the row ----------------------------------------------------------------------------
    def copy(self) -> None:
        """y: the notification as text, to the clipboard (OSC 52: the terminal's)."""
        current = self._current()
        if current is None:
            self._say("No notification selected", "information")
            return
        self._screen.app.copy_to_clipboard(clipboard_text(current))
        self._say(
            f"Copied “{one_line(current.title, 40)}” (if the terminal allows OSC 52)",
            "information",
        )

    def delete(self) -> None:
        """d: delete the row under the cursor once the person confirms (undoable)."""
        current = self._current()
        if self._controller() is None or current is None:
            return
        title = one_line(current.title, 40)

        def answered(yes: bool | None) -> None:
            controller = self._controller()
            if yes and controller:
                intent = controller.delete(current.id, hold=controller.settings.undo_window)
                if intent is not None:
                    self.offer([(intent, current)], f"deleted “{title}”")

        sender = f" from {one_line(current.created_by_name, 30)}" if current.created_by_name else ""
        age = relative_age(current.created_at, self._clock())
        when = "just now" if age == "now" else f"{age} ago"
        question = f"Delete “{one_line(current.title, 50)}”{sender}, {when}?"
        from tiri_tui.ui.screens import ConfirmScreen  # modal screens load when first used

        self._screen.app.push_screen(ConfirmScreen(question), answered)
