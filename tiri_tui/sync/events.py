"""What the controller tells its observers (the dashboard, `tail`): small, plain events."""

from __future__ import annotations

from dataclasses import dataclass

from tiri_tui.connection.policy import ConnectionState, StateCode
from tiri_tui.sync.intents import IntentAction
from tiri_tui.wire.models import Notification


@dataclass(frozen=True, slots=True)
class StateEvent:
    """The connection state changed (``retry_in``: seconds to the next try, if any).

    Faces branch on ``code`` (``code.needs_login``: open the login form, or
    exit 2); ``reason`` is for people.
    """

    state: ConnectionState
    reason: str
    retry_in: float | None
    code: StateCode = StateCode.DISCONNECTED


@dataclass(frozen=True, slots=True)
class NotificationAdded:
    """A notification id seen for the first time (``live``: pushed, not fetched;
    ``news``: new to the person too — see :class:`Arrived`, which carries the
    news the list does not show)."""

    notification: Notification
    live: bool
    news: bool = False


@dataclass(frozen=True, slots=True)
class Arrived:
    """An unread notification new to the person that the filters keep out of
    the list (one the list shows comes as ``NotificationAdded(news=True)``:
    one event per arrival, not two). News: pushed live, or fetched and newer
    than everything held once the first load was confirmed (a gap fill's
    finds; never the backlog, never older pages). What alerts and rules act on."""

    notification: Notification
    live: bool


@dataclass(frozen=True, slots=True)
class NotificationUpdated:
    """A known notification changed (read elsewhere, marked here, edited)."""

    notification: Notification


@dataclass(frozen=True, slots=True)
class NotificationRemoved:
    """A notification was deleted (here, or found gone from the server)."""

    notification_id: str


@dataclass(frozen=True, slots=True)
class ServerAnswered:
    """The server answered over REST where it had not yet: for the filters now
    in force, or since the socket went down. What is shown may be unchanged,
    but it is now the server's (no longer "on its way", no longer stale)."""


@dataclass(frozen=True, slots=True)
class ListReset:
    """The list was emptied to be reloaded (filters changed)."""


@dataclass(frozen=True, slots=True)
class UnreadCountChanged:
    """The authoritative unread count changed."""

    unread_count: int


@dataclass(frozen=True, slots=True)
class ServerError:
    """The server sent an ``error`` frame; shown literally to the user."""

    message: str


@dataclass(frozen=True, slots=True)
class ActionQueued:
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
