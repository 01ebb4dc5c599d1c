"""What goes into the sync core (events) and what comes out of it (effects).

Events are facts: a frame came, a page was taken, the person pressed a key,
a walk finished. Effects are either what the faces are told (the
:mod:`tiri_tui.sync.events` they subscribe to) or work for an executor: send
an intent, fetch an older page, filter what is held in slices. All plain,
immutable data: they could cross a process boundary as they are.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime

from msgspec import Struct, field

from tiri_tui.connection.policy import ConnectionState, StateCode
from tiri_tui.sync.events import ControllerEvent
from tiri_tui.sync.inbox import Inbox
from tiri_tui.sync.intents import IntentAction
from tiri_tui.sync.rules import Filters, Vanished
from tiri_tui.wire.models import Notification, Page

# -- events: what happened -------------------------------------------------------------------


class CacheShown(Struct, frozen=True):
    """Rows read from the cache (shown before the server's)."""

    rows: list[Notification]
    unread_count: int | None = None
    synced_until: datetime | None = None


class FrameArrived(Struct, frozen=True):
    """A live notification frame: ``rebased`` is it with the person's queued
    intents applied (None: deleted here, the delete not yet acknowledged);
    ``at``: when it came (the walker's clock): a page asked for before then
    carries an older copy of this row."""

    notification: Notification
    rebased: Notification | None
    at: float = -math.inf


class CountArrived(Struct, frozen=True):
    """The authoritative unread count (as adjusted for intents not yet sent);
    ``at``: when it was asked for (over REST) or came (on the socket), on the
    walker's clock: a count asked for before the one shown came is older."""

    count: int
    at: float


class ConnectionChanged(Struct, frozen=True):
    """The socket worker's policy moved to another state."""

    state: ConnectionState
    code: StateCode
    reason: str
    retry_in: float | None


class SessionEnded(Struct, frozen=True):
    """The refresh token was refused: only a new login helps."""


class PageTaken(Struct, frozen=True):
    """A page of a walk (page 1 and what a fill or reconciliation followed).

    ``rows``: its results, rebased; ``filters``: those it was asked under;
    ``first``: it is page 1; ``proven``: what the walk's coverage says it
    proves; ``held_before``: the newest ids held as page 1 was asked for;
    ``pending``: whether an intent of the person's is queued for an id;
    ``fetched_at``: when it was asked for (the walker's clock).
    """

    page: Page
    rows: list[Notification]
    filters: Filters
    first: bool
    proven: Vanished | None
    held_before: frozenset[str]
    pending: Callable[[str], bool]
    fetched_at: float = math.inf


class FillDone(Struct, frozen=True):
    """A gap fill reached the sync point: ``newest`` of its page 1; whether it
    closes the gap (it began on the connection still up, once subscribed)."""

    newest: datetime | None
    closes_gap: bool


class PageOneAnswered(Struct, frozen=True):
    """Page 1 was read again for the filters in force (a refresh, new filters)."""


class OlderWanted(Struct, frozen=True):
    """The person asked for older rows (``G``, the end of the list)."""


class RowsWanted(Struct, frozen=True):
    """A face can show this many rows at once: older pages are fetched until
    the list shown has them, or ends (no face has to scroll to ask)."""

    count: int


class OlderTaken(Struct, frozen=True):
    """An older page of chain ``chain`` came."""

    page: Page
    rows: list[Notification]
    chain: int
    pending: Callable[[str], bool]
    fetched_at: float = math.inf


class OlderFailed(Struct, frozen=True):
    """An older page of chain ``chain`` could not be loaded: ``reason`` in
    words (None: nothing to tell, the fetch was only abandoned); ``final``:
    the same link cannot work (another server's, malformed, a 4xx)."""

    chain: int
    reason: str | None
    final: bool


class FiltersWanted(Struct, frozen=True):
    """The person chose other filters."""

    filters: Filters


class HeldSlice(Struct, frozen=True):
    """A slice of the rows held, offered to the list shown under ``filters``."""

    rows: list[Notification]
    filters: Filters


class MarkWanted(Struct, frozen=True):
    """Mark one read or unread (optimistic: shown at once)."""

    notification_id: str
    is_read: bool


class MarkTakenBack(Struct, frozen=True):
    """A mark taken back before it left: the row as it was, here only (the
    server never heard of the mark)."""

    notification_id: str
    is_read: bool


class DeleteWanted(Struct, frozen=True):
    """Delete one (optimistic)."""

    notification_id: str


class DeleteTakenBack(Struct, frozen=True):
    """A delete taken back before it left: the row as it was."""

    notification: Notification


class AllReadWanted(Struct, frozen=True):
    """Mark everything read."""


class AllReadConfirmed(Struct, frozen=True):
    """The server marked all read: so is everything held created by ``before``."""

    before: datetime


class ReadSlice(Struct, frozen=True):
    """A slice of held ids to turn read (those created by ``before``, if given)."""

    ids: list[str]
    before: datetime | None


class ClearStarted(Struct, frozen=True):
    """A "clear read" is sent: rows turned read from now on are kept."""


class ClearEnded(Struct, frozen=True):
    """The "clear read" is over (done, or it failed)."""


class ReadCleared(Struct, frozen=True):
    """The server deleted every read notification: so go the read ones held."""


class ClearedSlice(Struct, frozen=True):
    """A slice of held ids whose read rows go (the server cleared them)."""

    ids: list[str]


class AllReadUndoWanted(Struct, frozen=True):
    """Take back the last "mark all read" (one mark each, if few enough)."""


class SaveTaken(Struct, frozen=True):
    """The cache writer took the changes to save (``forgotten``: the ids it
    will remove)."""


class SaveFailed(Struct, frozen=True):
    """The save did not reach the disk: these ids are to be removed still."""

    forgotten: frozenset[str] = field(default_factory=frozenset)


# -- events of a face that mirrors the profile's agent (which owns the list) ----------------


class RowTold(Struct, frozen=True):
    """The agent holds this row now (added or changed); ``live`` and ``news``
    as it judged them. ``changed``: a row it already held changed — taken
    only if held here too (a row below what this face paged to would leave a
    hole above it)."""

    notification: Notification
    live: bool
    news: bool = False
    changed: bool = False


class SnoozeBackWanted(Struct, frozen=True):
    """A snooze brought this row back: held from now on if it is not (a list
    that no longer holds it, after a restart, shows it again). Its copy from
    when it was snoozed; a held copy is newer and stays."""

    notification: Notification


class RowGoneTold(Struct, frozen=True):
    """The agent holds this row no more (deleted, here or elsewhere)."""

    notification_id: str


class CountTold(Struct, frozen=True):
    """The agent's unread count."""

    count: int


class AnsweredTold(Struct, frozen=True):
    """What the agent holds is the server's now (it answered since the socket
    went down, or the socket is up)."""


class HeldTold(Struct, frozen=True):
    """The agent's newest rows, as a face attaches or re-attaches: held rows
    newer than the oldest of them that they lack are gone; older rows are
    paged from ``next_url`` (None: the agent holds no more, nor has the server)."""

    rows: list[Notification]
    next_url: str | None


class PagingTold(Struct, frozen=True):
    """Older rows than those held lie beyond ``next_url`` (the agent's: its
    list does not depend on a face's filters): paging goes on from there."""

    next_url: str | None


SyncEvent = (
    CacheShown
    | FrameArrived
    | CountArrived
    | ConnectionChanged
    | SessionEnded
    | PageTaken
    | FillDone
    | PageOneAnswered
    | OlderWanted
    | RowsWanted
    | OlderTaken
    | OlderFailed
    | FiltersWanted
    | HeldSlice
    | MarkWanted
    | MarkTakenBack
    | DeleteWanted
    | DeleteTakenBack
    | AllReadWanted
    | AllReadConfirmed
    | ReadSlice
    | ClearStarted
    | ClearEnded
    | ReadCleared
    | ClearedSlice
    | AllReadUndoWanted
    | SaveTaken
    | SaveFailed
    | RowTold
    | SnoozeBackWanted
    | RowGoneTold
    | CountTold
    | AnsweredTold
    | HeldTold
    | PagingTold
)

# -- effects: work for the executors ---------------------------------------------------------


class Submit(Struct, frozen=True):
    """Queue an intent in the outbox (it is sent from there)."""

    action: IntentAction
    notification_id: str | None
    was_unread: bool = False


class FetchOlder(Struct, frozen=True):
    """Fetch the older page at ``url``, the next link of chain ``chain``."""

    url: str
    chain: int


class FilterHeld(Struct, frozen=True):
    """Offer every row of ``everything`` to the list shown, in slices, then
    ask the server for page 1 under ``filters``."""

    everything: Inbox
    filters: Filters


class ReadHeld(Struct, frozen=True):
    """Turn every held row read (created by ``before``, if given), in slices."""

    before: datetime | None


class ClearHeld(Struct, frozen=True):
    """Remove every read row held, in slices (the server cleared them)."""


class MarkUnreadEach(Struct, frozen=True):
    """Mark these unread again, one intent each (an undo of "mark all read")."""

    ids: list[str]


class SocketUp(Struct, frozen=True):
    """The socket came up: fill what was missed while it was down."""


class LiveInGap(Struct, frozen=True):
    """A live frame came while a gap is open (or a filter is on): it may prove
    the socket subscribed, after which one more fill closes the gap."""


class StopSession(Struct, frozen=True):
    """The session ended: disconnect the socket, stop the REST walks."""


class RowsReplaced(Struct, frozen=True):
    """Rows were replaced in bulk (young garbage to collect now, slice by slice)."""

    count: int


class Noted(Struct, frozen=True):
    """Something worth a line in the log (the core writes none itself)."""

    text: str


Command = (
    Submit
    | FetchOlder
    | FilterHeld
    | ReadHeld
    | ClearHeld
    | MarkUnreadEach
    | SocketUp
    | LiveInGap
    | StopSession
    | RowsReplaced
    | Noted
)
Effect = ControllerEvent | Command
