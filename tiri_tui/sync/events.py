"""What the controller tells its observers (the dashboard, `tail`): small, plain events."""

from __future__ import annotations

from typing import get_args

from msgspec import Struct

from tiri_tui.connection.policy import ConnectionState, StateCode
from tiri_tui.sync.intents import IntentAction
from tiri_tui.wire.models import Notification


class StateEvent(Struct, frozen=True):
    """The connection state changed (``retry_in``: seconds to the next try, if any).

    Faces branch on ``code`` (``code.needs_login``: open the login form, or
    exit 2); ``reason`` is for people.
    """

    state: ConnectionState
    reason: str
    retry_in: float | None
    code: StateCode = StateCode.DISCONNECTED


class NotificationAdded(Struct, frozen=True):
    """A notification id seen for the first time (``live``: pushed, not fetched;
    ``news``: new to the person too — see :class:`Arrived`, which carries the
    news the list does not show; ``paged``: an older page a face scrolled to,
    which nobody watching for arrivals should take for one)."""

    notification: Notification
    live: bool
    news: bool = False
    paged: bool = False


class Arrived(Struct, frozen=True):
    """An unread notification new to the person that the filters keep out of
    the list (one the list shows comes as ``NotificationAdded(news=True)``:
    one event per arrival, not two). News: pushed live, or fetched and newer
    than everything held once the first load was confirmed (a gap fill's
    finds; never the backlog, never older pages). What alerts and rules act on."""

    notification: Notification
    live: bool


class NotificationUpdated(Struct, frozen=True):
    """A known notification changed (read elsewhere, marked here, edited)."""

    notification: Notification


class NotificationRemoved(Struct, frozen=True):
    """A notification was deleted (here, or found gone from the server)."""

    notification_id: str


class ServerAnswered(Struct, frozen=True):
    """The server answered over REST where it had not yet: for the filters now
    in force, or since the socket went down. What is shown may be unchanged,
    but it is now the server's (no longer "on its way", no longer stale)."""


class ListReset(Struct, frozen=True):
    """The list was emptied to be reloaded (filters changed)."""


class UnreadCountChanged(Struct, frozen=True):
    """The authoritative unread count changed."""

    unread_count: int


class ServerError(Struct, frozen=True):
    """The server sent an ``error`` frame; shown literally to the user."""

    message: str


class ActionQueued(Struct, frozen=True):
    """An intent could not reach the server and waits in the outbox."""

    action: IntentAction
    reason: str


ControllerEvent = (
    StateEvent
    | NotificationAdded
    | Arrived
    | NotificationUpdated
    | NotificationRemoved
    | ListReset
    | ServerAnswered
    | UnreadCountChanged
    | ServerError
    | ActionQueued
)

#: The event types themselves (the store tells its observers these as they are).
TOLD: frozenset[type] = frozenset(get_args(ControllerEvent))
