"""WebSocket frames of the Tiri wire contract, and what close codes mean.

Sans-I/O, in the manner of the websockets library's own protocol module:
this module knows text and objects, never sockets.
"""

from __future__ import annotations

import enum
import json
from typing import Any, Literal

import msgspec
from msgspec import Struct

from tiri_tui.wire.models import Notification, WellFormed, WireError

#: Frames larger than this are dropped (and counted) without being parsed.
DEFAULT_MAX_FRAME_BYTES = 1 << 20


class ConnectionAck(Struct, frozen=True):
    """The server accepted the user. ``user_id`` compared as a string."""

    user_id: str | None = None
    type: str = "connection_ack"


class NotificationFrame(Struct, frozen=True):
    """A new notification, or an update of one already known (same id)."""

    notification: Notification
    type: str = "notification"


class UnreadCountFrame(Struct, frozen=True):
    """The authoritative unread count."""

    unread_count: int
    type: str = "unread_count"


class ErrorFrame(Struct, frozen=True):
    """A server-side error; the connection stays open."""

    error: str
    type: str = "error"


class Pong(Struct, frozen=True):
    """The answer to an application ``ping``."""

    type: str = "pong"


ServerFrame = ConnectionAck | NotificationFrame | UnreadCountFrame | ErrorFrame | Pong


class Ping(Struct, frozen=True):
    """Application heartbeat, for servers that expect one."""

    type: str = "ping"


class GetUnreadCount(Struct, frozen=True):
    """Ask for an ``unread_count`` frame."""

    type: str = "get_unread_count"


class MarkAsRead(Struct, frozen=True):
    """Fire-and-forget mark read (REST is the call with an answer)."""

    notification_id: str
    type: str = "mark_as_read"


class MarkAllAsRead(Struct, frozen=True):
    """Fire-and-forget mark all read."""

    type: str = "mark_all_as_read"


ClientFrame = Ping | GetUnreadCount | MarkAsRead | MarkAllAsRead

_CLIENT_TYPES: dict[str, type] = {
    "ping": Ping,
    "get_unread_count": GetUnreadCount,
    "mark_as_read": MarkAsRead,
    "mark_all_as_read": MarkAllAsRead,
}


class _WellFormedNotificationFrame(Struct):
    """A notification frame as the contract writes it (other keys of the frame ignored)."""

    type: Literal["notification"]
    data: WellFormed


#: Most frames are notifications, well formed: one pass of C decodes them.
_WELL_FORMED = msgspec.json.Decoder(_WellFormedNotificationFrame)


def _well_formed_notification(text: str | bytes) -> Notification | None:
    """The frame's notification when the frame is exactly as the contract
    writes one (None: anything else, for the ordinary path to parse or explain)."""
    try:
        return _WELL_FORMED.decode(text).data.notification()
    except (msgspec.DecodeError, WireError):
        return None


def _check_size(text: str | bytes, max_bytes: int) -> None:
    if isinstance(text, str):
        # isascii() is a flag read: most frames need no encoding to be measured.
        size = len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
    else:
        size = len(text)
    if size > max_bytes:
        raise WireError(f"frame of {size} bytes is over the {max_bytes}-byte limit")


def _load_object(text: str | bytes) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise WireError("frame is not valid JSON") from None
    if not isinstance(data, dict):
        raise WireError(f"frame must be a JSON object, got {type(data).__name__}")
    kind = data.get("type")
    if not isinstance(kind, str):
        raise WireError("frame has no string 'type'")
    return data


def parse_server_frame(text: str | bytes, max_bytes: int = DEFAULT_MAX_FRAME_BYTES) -> ServerFrame:
    """Parse one server → client frame; raise WireError if it breaks the contract."""
    _check_size(text, max_bytes)
    if (notification := _well_formed_notification(text)) is not None:
        return NotificationFrame(notification)
    data = _load_object(text)
    kind = data["type"]
    if kind == "notification":
        return NotificationFrame(Notification.from_dict(data.get("data")))
    if kind == "unread_count":
        payload = data.get("data")
        if not isinstance(payload, dict):
            raise WireError("'unread_count' frame has no 'data' object")
        count = payload.get("unread_count")
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise WireError("'unread_count' must be a non-negative integer")
        return UnreadCountFrame(count)
    if kind == "connection_ack":
        user_id = data.get("user_id")
        if user_id is not None and (
            isinstance(user_id, bool) or not isinstance(user_id, int | str)
        ):
            raise WireError("'user_id' has the wrong type")
        return ConnectionAck(None if user_id is None else str(user_id))
    if kind == "error":
        message = data.get("error", data.get("message"))
        if not isinstance(message, str):
            raise WireError("'error' frame has no error text")
        return ErrorFrame(message)
    if kind == "pong":
        return Pong()
    raise WireError(f"unknown frame type {kind[:40]!r}")


def parse_client_frame(text: str | bytes, max_bytes: int = DEFAULT_MAX_FRAME_BYTES) -> ClientFrame:
    """Parse one client → server frame (used by the demo server)."""
    _check_size(text, max_bytes)
    data = _load_object(text)
    kind = data["type"]
    if kind == "mark_as_read":
        raw = data.get("notification_id")
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            raise WireError("'notification_id' must be a string")
        return MarkAsRead(str(raw))
    frame_type = _CLIENT_TYPES.get(kind)
    if frame_type is None:
        raise WireError(f"unknown frame type {kind[:40]!r}")
    frame: ClientFrame = frame_type()
    return frame


def encode_frame(frame: ServerFrame | ClientFrame) -> str:
    """Encode any frame to the JSON text sent on the wire."""
    if isinstance(frame, NotificationFrame):
        body: dict[str, Any] = {"type": frame.type, "data": frame.notification.to_dict()}
    elif isinstance(frame, UnreadCountFrame):
        body = {"type": frame.type, "data": {"unread_count": frame.unread_count}}
    elif isinstance(frame, ConnectionAck):
        body = {"type": frame.type}
        if frame.user_id is not None:
            body["user_id"] = int(frame.user_id) if frame.user_id.isdigit() else frame.user_id
    elif isinstance(frame, ErrorFrame):
        body = {"type": frame.type, "error": frame.error}
    elif isinstance(frame, MarkAsRead):
        body = {"type": frame.type, "notification_id": frame.notification_id}
    else:
        body = {"type": frame.type}
    return json.dumps(body, separators=(",", ":"))


class Disposition(enum.Enum):
    """What a close code or handshake status asks the client to do."""

    #: Token missing, bad or expired: refresh once and reconnect at once.
    REAUTHENTICATE = "reauthenticate"
    #: Forbidden or policy: stop; no automatic reconnect.
    FATAL = "fatal"
    #: Restart, crash, network, proxy: reconnect with backoff.
    RETRY = "retry"


CLOSE_REAUTHENTICATE = frozenset({4001})
CLOSE_FATAL = frozenset({4003, 1008})


def classify_close(code: int | None) -> Disposition:
    """Disposition of a close code (None: the TCP connection simply dropped)."""
    if code in CLOSE_REAUTHENTICATE:
        return Disposition.REAUTHENTICATE
    if code in CLOSE_FATAL:
        return Disposition.FATAL
    return Disposition.RETRY


def classify_handshake_status(status: int) -> Disposition:
    """Disposition of an HTTP status answering the WebSocket handshake.

    Channels answers 403 for a refused token *and* for a missing Origin, so
    403 is treated like 401: refresh once; a second refusal is final.
    Everything else (404, 5xx, proxies' 4xx) backs off and retries.
    """
    if status in (401, 403):
        return Disposition.REAUTHENTICATE
    return Disposition.RETRY
