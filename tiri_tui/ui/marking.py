"""Rows marked to act on together: space marks one, ``*`` every row shown,
esc clears; then m, u and d act on all of them, each through the outbox
(held there a few seconds, so z can take them back)."""

from __future__ import annotations

from collections.abc import Callable

from textual.notifications import SeverityLevel
from textual.screen import Screen

from tiri_tui.sync.controller_api import Controller, Undone
from tiri_tui.sync.outbox_sync import Intent
from tiri_tui.ui.keymap import KeyId
from tiri_tui.ui.notification_list import NotificationList
from tiri_tui.wire.models import Notification

#: At most this many rows are marked at once: each is one request (``*`` on a
#: 100,000-row view marks the first ones shown, and says so).
MARK_LIMIT = 1000

#: Each change made, with its row as it was before (what an undo restores).
Changes = list[tuple[Intent, Notification]]


def describe_undone(undone: Undone, what: str) -> tuple[str, SeverityLevel]:
    """What an undo says it did (``what``: "deleted “Title”", "marked 3 read")."""
    if undone.too_late and not (undone.taken_back or undone.sent_back):
        return f"Too late to undo: {what} — the server has it already", "warning"
    message = f"Undone: {what}"
    if undone.sent_back:
        message += f" ({undone.sent_back:,} had reached the server: sent back as the opposite mark)"
    if undone.too_late:
        return message + f"; {undone.too_late:,} deleted on the server already", "warning"
    return message, "information"


class MarkedRows:
    """The marks of one list (the ids live in the list, which draws them)."""

    def __init__(
        self,
        view: Callable[[], NotificationList],
        controller: Callable[[], Controller | None],
        say: Callable[[str, SeverityLevel], None],
        screen: Screen[None],
    ) -> None:
        self._view, self._controller, self._say, self._screen = view, controller, say, screen
        #: The key in force for a binding id, and where an undoable change is
        #: reported (the dashboard's: it offers the undo).
        self.key: Callable[[KeyId], str] = lambda binding_id: binding_id
        self.offer_undo: Callable[[Changes, str], None] = lambda changes, what: None

    def __bool__(self) -> bool:
        return bool(self._view().marked)

    def toggle(self) -> None:
        """space: mark or unmark the row under the cursor, then go to the next."""
        view = self._view()
        current = view.current
        if current is None:
            return
        if current.id in view.marked:
            view.marked.discard(current.id)
        elif len(view.marked) >= MARK_LIMIT:
            self._say(f"At most {MARK_LIMIT:,} rows can be marked at once", "warning")
            return
        else:
            view.marked.add(current.id)
        view.refresh()
        view.move_to(view.cursor + 1)  # the next row is the next to consider
        self._tell()

    def mark_shown(self) -> None:
        """``*``: every row the view shows (the first MARK_LIMIT: never a pass
        over a 100,000-row view)."""
        view = self._view()
        shown = view.source
        for index in range(min(len(shown), MARK_LIMIT)):
            if len(view.marked) >= MARK_LIMIT:
                break
            view.marked.add(shown[index].id)
        view.refresh()
        capped = len(view.marked) >= MARK_LIMIT and len(shown) > MARK_LIMIT
        self._tell(f" (the first {MARK_LIMIT:,})" if capped else "")

    def _tell(self, note: str = "") -> None:
        count = len(self._view().marked)
        if count:
            keys = [
                self.key(k) for k in (KeyId.MARK_READ, KeyId.MARK_UNREAD, KeyId.DELETE, KeyId.BACK)
            ]
            self._say(
                f"{count:,} marked{note} — {keys[0]}, {keys[1]} or {keys[2]} acts on them; "
                f"{keys[3]} clears the marks",
                "information",
            )
        else:
            self._say("No row marked", "information")

    def clear(self) -> None:
        view = self._view()
        view.marked.clear()
        view.refresh()

    def rows(self) -> list[Notification]:
        """The marked notifications still held (one deleted elsewhere is skipped)."""
        controller = self._controller()
        if controller is None:
            return []
        held = controller.held
        found = (held.get(nid) for nid in self._view().marked)
        return [n for n in found if n is not None]

    def set_read(self, is_read: bool) -> bool:
        """m or u on every marked row; False when none is marked."""
        rows, controller = self.rows(), self._controller()
        if not rows or controller is None:
            return False
        act = controller.mark_read if is_read else controller.mark_unread
        changes = [
            (i, n)
            for n in rows
            if (i := act(n.id, hold=controller.settings.undo_window)) is not None
        ]
        self.clear()
        state = "read" if is_read else "unread"
        if changes:
            self.offer_undo(changes, f"marked {len(changes):,} {state}")
        else:  # one already so sends nothing
            self._say(
                f"The {len(rows):,} marked are {state} already — nothing changed", "information"
            )
        return True

    def delete(self) -> bool:
        """d on the marked rows, asked once; False when none is marked."""
        if not self:
            return False
        rows = self.rows()

        def answered(yes: bool | None) -> None:
            controller = self._controller()
            if yes and controller is not None:
                changes = [
                    (i, n)
                    for n in rows
                    if (i := controller.delete(n.id, hold=controller.settings.undo_window))
                ]
                self.clear()
                self.offer_undo(changes, f"deleted {len(changes):,}")

        if rows:
            question = f"Delete {len(rows):,} marked notifications?"
            from tiri_tui.ui.screens import ConfirmScreen  # modal screens load when first used

            self._screen.app.push_screen(ConfirmScreen(question), answered)
        return True
