"""What faces read of the controller: the sync core's state, as properties.

The controller (:mod:`tiri_tui.sync.controller`) is the one writer; this is its
read side, kept apart so that what a face may ask is one short list. A face
mirroring the agent (:mod:`tiri_tui.agent.attached`) reads its own copy of
the core's state through the same properties.
"""

from __future__ import annotations

from tiri_tui.connection.policy import ConnectionState, StateCode
from tiri_tui.sync.core import can_undo_all_read
from tiri_tui.sync.inbox import Inbox
from tiri_tui.sync.rules import Filters
from tiri_tui.sync.state import SyncState, SyncView


class ControllerReads:
    """Read-only properties over the state the controller holds."""

    _state: SyncState
    _closed: bool

    @property
    def view(self) -> SyncView:
        """The sync core's state, to read (only :meth:`dispatch` changes it)."""
        return self._state

    @property
    def inbox(self) -> Inbox:
        """The rows shown: every row held, or those the filters let through."""
        return self._state.shown

    @property
    def held(self) -> Inbox:
        """Every row held, whatever the filters show."""
        return self._state.held

    @property
    def filters(self) -> Filters:
        """The server-side filters of the list."""
        return self._state.filters

    @property
    def unread_count(self) -> int | None:
        """The authoritative unread count (as adjusted for intents not yet sent)."""
        return self._state.unread

    @property
    def state(self) -> ConnectionState:
        return self._state.connection.state

    @property
    def code(self) -> StateCode:
        return self._state.connection.code

    @property
    def reason(self) -> str:
        return self._state.connection.reason

    @property
    def retry_in(self) -> float | None:
        return self._state.connection.retry_in

    @property
    def session_expired(self) -> bool:
        return self._state.session_expired

    @property
    def has_more(self) -> bool:
        """The server has older notifications than those loaded."""
        return self._state.paging.has_more

    @property
    def load_more_failure(self) -> str | None:
        """Why the last fetch of older notifications failed (None: it did not)."""
        return self._state.paging.failure

    @property
    def confirmed(self) -> bool:
        """The server has answered for this list at least once."""
        return self._state.confirmed

    @property
    def filtered_here(self) -> bool:
        """The filters apply to what was held; the server has not answered yet."""
        return self._state.filters.active and not self._state.filters_answered

    @property
    def current(self) -> bool:
        """What is shown is the server's now: the socket is up, or REST has
        answered since it went down (a status bar's count is not stale then)."""
        return self.state is ConnectionState.CONNECTED or self._state.answered_since_down

    @property
    def in_sync(self) -> bool:
        """Connected, and a completed fill proved nothing is missing since."""
        return not self._state.gap_open

    @property
    def closing(self) -> bool:
        """:meth:`aclose` has begun: nothing new starts here, no intent is taken
        (what was queued is on disk for the controller that comes next)."""
        return self._closed

    @property
    def needs_login(self) -> bool:
        """Only a new login can bring this session back."""
        return self.session_expired or self.code.needs_login

    def can_undo_mark_all_read(self) -> bool:
        """Whether :meth:`undo_mark_all_read` would restore the last one."""
        return can_undo_all_read(self._state)
