"""The agent's local protocol: one JSON object per line, both ways.

A face sends requests, each with an ``id`` it chose and an ``op``; the agent
answers each with ``{"id": …, "ok": true, "result": {…}}`` or ``{"id": …,
"ok": false, "error": "…"}``, in the order asked (those that wait for the
server — ``older``, ``refresh``, ``count_unread`` — when they are done). A
face that asked to watch (``hello`` with ``"watch": true``) is also sent
events, lines with an ``event`` and no ``id``: the ones `tail --json`
prints, and a few of the agent's own. Every string in a line is JSON-escaped, so nothing a server sent
can break a line or reach a terminal as a control sequence. The access token
never crosses the socket. The README lists every message.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from tiri_tui.connection.policy import ConnectionState, StateCode
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
from tiri_tui.sync.intents import IntentAction
from tiri_tui.wire.models import Notification, WireError

#: The longest line either side reads (a reply of 10,000 rows of 2 KB fits
#: three times over); a longer one ends the connection rather than the process.
LINE_LIMIT = 64 * 1024 * 1024
#: What a face may ask (see the README's table).
OPS = (
    "hello",
    "status",
    "count",
    "rows",
    "ids",
    "mark",
    "delete",
    "mark_all_read",
    "undo",
    "older",
    "count_unread",
    "breakdown",
    "count_read",
    "clear_read",
    "preferences",
    "refresh",
    "reconnect",
    "stop",
)

_encoder = msgspec.json.Encoder()
_SURROGATES = re.compile("[\ud800-\udfff]")
_decoder = msgspec.json.Decoder(dict[str, Any])


class LineError(ValueError):
    """A line that is not a JSON object."""


def encode(message: dict[str, Any]) -> bytes:
    """One line of the protocol (JSON and a newline)."""
    try:
        return _encoder.encode(message) + b"\n"
    except UnicodeEncodeError:
        # A lone surrogate in server text (JSON allows the escape, UTF-8 has no
        # byte for it): the line is still sent, that character as U+FFFD.
        import json

        text = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
        return _SURROGATES.sub("\ufffd", text).encode() + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    """A line as an object, or LineError."""
    try:
        return _decoder.decode(line)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise LineError(f"not a JSON object: {exc}") from None


def event_message(event: ControllerEvent, current: bool) -> dict[str, Any]:
    """A controller event as the agent sends it (``current``: what is held is
    the server's now — the socket is up, or REST answered since it went down)."""
    match event:
        case StateEvent():
            return {
                "event": "state",
                "state": event.state.value,
                "code": event.code.value,
                "reason": event.reason,
                "retry_in": event.retry_in,
                "current": current,
            }
        case NotificationAdded():
            return {
                "event": "notification",
                "notification": event.notification.to_dict(),
                "live": event.live,
                "news": event.news,
                "paged": event.paged,
            }
        case Arrived():
            return {
                "event": "arrived",
                "notification": event.notification.to_dict(),
                "live": event.live,
            }
        case NotificationUpdated():
            return {"event": "updated", "notification": event.notification.to_dict()}
        case NotificationRemoved():
            return {"event": "deleted", "id": event.notification_id}
        case ListReset():
            return {"event": "reset"}
        case ServerAnswered():
            return {"event": "answered", "current": current}
        case UnreadCountChanged():
            return {"event": "unread_count", "unread_count": event.unread_count, "current": current}
        case ServerError():
            return {"event": "error", "message": event.message}
        case ActionQueued():
            return {"event": "queued", "action": event.action.value, "reason": event.reason}


def event_of(message: dict[str, Any]) -> ControllerEvent | None:
    """The controller event a line from the agent carries (None: one of the
    agent's own, or malformed — LineError for a malformed notification)."""
    try:
        match message.get("event"):
            case "state":
                retry_in = message.get("retry_in")
                return StateEvent(
                    ConnectionState(message["state"]),
                    str(message.get("reason", "")),
                    float(retry_in) if isinstance(retry_in, int | float) else None,
                    StateCode(message["code"]),
                )
            case "notification":
                return NotificationAdded(
                    Notification.from_dict(message["notification"]),
                    bool(message.get("live")),
                    bool(message.get("news")),
                    bool(message.get("paged")),
                )
            case "arrived":
                return Arrived(
                    Notification.from_dict(message["notification"]), bool(message.get("live"))
                )
            case "updated":
                return NotificationUpdated(Notification.from_dict(message["notification"]))
            case "deleted":
                return NotificationRemoved(str(message["id"]))
            case "reset":
                return ListReset()
            case "answered":
                return ServerAnswered()
            case "unread_count":
                return UnreadCountChanged(int(message["unread_count"]))
            case "error":
                return ServerError(str(message["message"]))
            case "queued":
                return ActionQueued(IntentAction(message["action"]), str(message["reason"]))
    except (KeyError, ValueError, TypeError, WireError) as exc:
        raise LineError(f"a malformed {message.get('event')!r} event: {exc}") from None
    return None


def rows_of(result: dict[str, Any]) -> list[Notification]:
    """The notifications of a reply (``rows``), or LineError."""
    try:
        return [Notification.from_dict(row) for row in result.get("rows", [])]
    except (ValueError, TypeError, WireError) as exc:
        raise LineError(f"a malformed row: {exc}") from None
