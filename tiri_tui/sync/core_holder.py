"""One copy of the sync core's state, the events that change it, and who is told.

Two owners hold one: the standalone :class:`~tiri_tui.sync.controller.NotificationController`
and a dashboard mirroring the agent's (:mod:`tiri_tui.agent.attached`). Each
applies events here and carries out, its own way, the work the core asks for
(:meth:`CoreHolder._carry_out`); what the faces are told goes to them as it is.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar

from tiri_tui.sync.bulk import Bulk
from tiri_tui.sync.controller_api import Undone
from tiri_tui.sync.controller_reads import ControllerReads
from tiri_tui.sync.core import apply
from tiri_tui.sync.events import TOLD, ControllerEvent
from tiri_tui.sync.intents import IntentAction
from tiri_tui.sync.messages import (
    AllReadUndoWanted,
    AllReadWanted,
    ClearEnded,
    ClearHeld,
    Command,
    DeleteTakenBack,
    FilterHeld,
    FiltersWanted,
    MarkTakenBack,
    MarkUnreadEach,
    Noted,
    ReadCleared,
    ReadHeld,
    RowsReplaced,
    SnoozeBackWanted,
    SyncEvent,
)
from tiri_tui.sync.outbox_sync import Intent
from tiri_tui.sync.rules import Filters
from tiri_tui.sync.state import SyncState
from tiri_tui.wire.models import Notification

log = logging.getLogger(__name__)

T = TypeVar("T")


class CoreHolder(ControllerReads):
    """Holds the core's state; applies events; tells observers; does the work
    on what is held (filtering it, reading it all) in slices; hands the rest
    of the work on to the owner (:meth:`_carry_out`)."""

    def __init__(self) -> None:
        self._state = SyncState()
        self._closed = False
        self._observers: list[Callable[[ControllerEvent], None]] = []
        self._bulk = Bulk(self.dispatch)
        self._filtering: asyncio.Task[None] | None = None
        self._reading: asyncio.Task[None] | None = None
        self._clearing: asyncio.Task[None] | None = None

    def subscribe(self, observer: Callable[[ControllerEvent], None]) -> Callable[[], None]:
        """Call ``observer`` with every event; returns a function that unsubscribes."""
        self._observers.append(observer)
        return lambda: self._observers.remove(observer)

    def emit(self, event: ControllerEvent) -> None:
        """Tell every observer (an observer's failure never breaks the holder)."""
        for observer in list(self._observers):
            try:
                observer(event)
            except Exception:
                log.exception("an observer failed on %s", type(event).__name__)

    def dispatch(self, event: SyncEvent, *, hold: float = 0.0) -> Intent | None:
        """Apply ``event`` to the core's state and carry out what it decided;
        the intent queued, if it queued one (``hold``: its undo window).

        The executors report here; a face sends intents through the owner's
        methods, which say what they did.
        """
        queued: Intent | None = None
        for effect in apply(self._state, event):
            if type(effect) in TOLD:  # most effects (two a frame): looked up before the rest
                self.emit(effect)  # type: ignore[arg-type]
            elif not self._work_on_held(effect):  # type: ignore[arg-type]
                queued = self._carry_out(effect, hold) or queued  # type: ignore[arg-type]
        return queued

    def _work_on_held(self, command: Command) -> bool:
        """Do what is the same for every holder; False: the owner's to do."""
        match command:
            case FilterHeld():
                if self._filtering is not None:
                    self._filtering.cancel()
                work = self._bulk.filter_held(command.everything, command.filters, self._filtered)
                self._filtering = self._spawn(work, "filter")
            case ReadHeld():
                work = self._bulk.read_held(self._state.held.ids(), command.before)
                self._reading = self._spawn(work, "all-read")
            case ClearHeld():
                self._clearing = self._spawn(self._clear_held(), "clear-read")
            case MarkUnreadEach():
                for nid in command.ids:
                    self.mark_unread(nid)
            case RowsReplaced():
                self._bulk.replaced(command.count)
            case Noted():
                log.warning("%s", command.text)
            case _:
                return False
        return True

    # -- what the owner does its own way ------------------------------------------------------
    def _carry_out(self, command: Command, hold: float) -> Intent | None:
        """Do the rest of the work the core asked for (the intent queued, if any)."""
        raise NotImplementedError

    def _spawn(self, work: Coroutine[Any, Any, T], name: str) -> asyncio.Task[T]:
        """Run ``work`` in the background, the owner's way."""
        raise NotImplementedError

    async def _filtered(self) -> None:
        """What is held is filtered: what the server says of the filters next."""
        raise NotImplementedError

    def _refused(self, intent: str) -> bool:
        """A closing owner takes no intent (it could not reach the disk, or
        the agent, before it closes)."""
        if self._closed:
            log.warning("%s ignored: the list's owner is closing", intent)
        return self._closed

    def _take_back(self, intent: Intent) -> bool:
        """Cancel ``intent`` before it leaves; False: it has left."""
        raise NotImplementedError

    def keep_back(self, notification: Notification) -> None:
        """A snooze brought ``notification`` back: held from now on (see
        :class:`SnoozeBackWanted`)."""
        self.dispatch(SnoozeBackWanted(notification))

    def mark_read(self, notification_id: str, *, hold: float = 0.0) -> Intent | None:
        raise NotImplementedError

    def mark_unread(self, notification_id: str, *, hold: float = 0.0) -> Intent | None:
        raise NotImplementedError

    def undo(self, done: Sequence[tuple[Intent, Notification]]) -> Undone:
        """Take back intents (each with its row as it was before): one that has
        not left is cancelled and its row restored; a mark that left is
        answered by the opposite mark; a delete that left stays done."""
        undone = Undone()
        for intent, before in done:
            if self._take_back(intent):
                if intent.action is IntentAction.DELETE:
                    self.dispatch(DeleteTakenBack(before))
                else:
                    self.dispatch(MarkTakenBack(before.id, before.is_read))
                undone.taken_back += 1
            elif intent.action is IntentAction.DELETE:
                undone.too_late += 1
            elif (self.mark_read if before.is_read else self.mark_unread)(before.id):
                undone.sent_back += 1
        return undone

    # -- intents on everything held --------------------------------------------------------------
    def mark_all_read(self) -> asyncio.Task[None]:
        """Mark everything read (optimistic) and send it on.

        The count is 0 at once; the rows turn read in time slices, so 100,000
        unread never freeze the screen. Returns the task that turns them.
        """
        if self._refused("mark all read"):
            return asyncio.ensure_future(asyncio.sleep(0))
        self._reading = None
        self.dispatch(AllReadWanted())
        assert self._reading is not None  # the core asks for the rows to be read
        return self._reading

    async def _clear_held(self) -> None:
        try:
            await self._bulk.clear_held(self._state.held.ids())
        finally:
            self.dispatch(ClearEnded())

    def read_cleared(self) -> asyncio.Task[None]:
        """The server deleted every read notification: the read rows held go,
        in slices (the cache follows). Returns the task that removes them."""
        self._clearing = None
        self.dispatch(ReadCleared())
        assert self._clearing is not None  # the core asks for the rows to go
        return self._clearing

    def undo_mark_all_read(self) -> int:
        """Mark unread again what the last "mark all read" turned read, if it
        was few enough to send one mark each; how many."""
        count = len(self._state.last_all_read or ()) if self.can_undo_mark_all_read() else 0
        self.dispatch(AllReadUndoWanted())  # forgets it all the same
        return count

    def set_filters(self, filters: Filters) -> asyncio.Task[None] | None:
        """Filter what is held at once (in slices), then ask what the server says."""
        if filters == self.filters:
            return None
        self.dispatch(FiltersWanted(filters))
        return self._filtering
