"""What the agent says, as events of a mirrored sync core (pure: no I/O).

An attached dashboard (:mod:`tiri_tui.agent.attached`) feeds these to its own
copy of the core (:func:`tiri_tui.sync.core.apply`): the agent's answer to a
``hello`` becomes its rows, count and connection; each event the agent
broadcasts becomes the change it stands for; an ``older`` answer becomes the
next page of the chain, whose link names the agent (``agent:<oldest id>``).
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import Struct, field

from tiri_tui.agent.local_protocol import LineError, rows_of
from tiri_tui.connection.policy import ConnectionState, StateCode
from tiri_tui.sync.controller_settings import Counters
from tiri_tui.sync.events import (
    ActionQueued,
    Arrived,
    ControllerEvent,
    ListReset,
    NotificationAdded,
    NotificationRemoved,
    NotificationUpdated,
    ServerAnswered,
    ServerError,
    StateEvent,
    UnreadCountChanged,
)
from tiri_tui.sync.messages import (
    AnsweredTold,
    ConnectionChanged,
    CountTold,
    HeldTold,
    RowGoneTold,
    RowTold,
    SyncEvent,
)
from tiri_tui.wire.models import Notification, Page

#: What a face's paging link to the agent looks like.
AGENT_PAGE = "agent:"


class Figures(Struct, frozen=True):
    """The agent's figures for the status line."""

    pending: int = 0
    frames_dropped: int = 0
    counters: Counters = field(default_factory=Counters)


def next_url(rows: list[Notification]) -> str | None:
    """The link to the rows older than ``rows`` (None: there are none)."""
    return f"{AGENT_PAGE}{rows[-1].id}" if rows else None


def oldest_id(url: str) -> str:
    """The id a paging link names."""
    return url.removeprefix(AGENT_PAGE)


def hello_events(answer: dict[str, Any]) -> list[SyncEvent]:
    """The agent's rows, count and connection, as a face (re-)attaches
    (LineError: a malformed row; KeyError, ValueError: a malformed answer)."""
    rows = rows_of(answer)
    more = len(rows) < int(answer.get("held", 0)) or bool(answer.get("has_more"))
    retry_in = answer.get("retry_in")
    events: list[SyncEvent] = [
        HeldTold(rows, next_url(rows) if more else None),
        ConnectionChanged(
            ConnectionState(answer["state"]),
            StateCode(answer["code"]),
            str(answer.get("reason", "")),
            float(retry_in) if isinstance(retry_in, int | float) else None,
        ),
    ]
    count = answer.get("unread_count")
    if isinstance(count, int):
        events.append(CountTold(count))
    if answer.get("current"):
        events.append(AnsweredTold())
    return events


class AgentHello(Struct, frozen=True):
    """What an agent's ``hello`` (or ``rows``) answer tells a dashboard."""

    events: list[SyncEvent]
    figures: Figures
    loaded: bool


def read_hello(answer: dict[str, Any], server: str, version: str) -> AgentHello | str:
    """The answer, read; or why this dashboard does not attach to that agent
    (another server's, another version's — it may not know the requests a
    dashboard makes — or an answer that cannot be read)."""
    agent = answer.get("agent")
    if not isinstance(agent, dict):
        return "its answer is not an agent's"
    if agent.get("server") != server:
        return "it serves another server"
    if agent.get("version") != version:
        return f"it runs tiri-tui {agent.get('version')}, this is {version}"
    try:
        events = hello_events(answer)
    except (LineError, KeyError, ValueError, TypeError) as exc:
        return f"its answer could not be read: {exc}"
    if answer.get("needs_login"):
        # An agent waiting for a login holds nothing to show: what is shown
        # stays as it was, and the login form says why nothing more comes.
        events = [event for event in events if isinstance(event, ConnectionChanged)]
    return AgentHello(events, figures_of(answer), bool(answer.get("loaded")))


def figures_of(answer: dict[str, Any]) -> Figures:
    """The status line's figures in an answer (what is malformed counts as 0)."""
    pending, dropped = answer.get("pending"), answer.get("frames_dropped")
    try:
        counters = msgspec.convert(answer.get("counters", {}), Counters)
    except msgspec.ValidationError:
        counters = Counters()
    return Figures(
        pending if isinstance(pending, int) else 0,
        dropped if isinstance(dropped, int) else 0,
        counters,
    )


#: What the agent says that a mirror only passes on to the screen.
SAID_AS_IT_IS = (ServerError, ActionQueued, ListReset)


def told(event: ControllerEvent) -> SyncEvent | None:
    """The change an agent's event stands for (None: none for a mirror's
    core — those of :data:`SAID_AS_IT_IS` go to the screen as they are)."""
    match event:
        case StateEvent():
            return ConnectionChanged(event.state, event.code, event.reason, event.retry_in)
        case NotificationAdded():
            # An older page the agent fetched (for this face or another) comes
            # to this one through its own ``older`` answers, in order.
            return None if event.paged else RowTold(event.notification, event.live, event.news)
        case Arrived():
            return RowTold(event.notification, event.live, True)
        case NotificationUpdated():
            return RowTold(event.notification, False, changed=True)
        case NotificationRemoved():
            return RowGoneTold(event.notification_id)
        case UnreadCountChanged():
            return CountTold(event.unread_count)
        case ServerAnswered():
            return AnsweredTold()
        case _:
            return None


def older_page(answer: dict[str, Any]) -> tuple[Page, list[Notification]]:
    """An ``older`` answer as the next page of the chain (LineError: a malformed row)."""
    rows = rows_of(answer)
    more = bool(answer.get("more")) and bool(rows)
    return Page(0, next_url(rows) if more else None, None, rows, []), rows
