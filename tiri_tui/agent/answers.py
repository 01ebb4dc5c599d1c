"""What the agent answers from what it holds, to every face: its counts, its
newest rows and their ids; and the arguments of requests, read strictly (a
bad one is answered with an error, never guessed at)."""

from __future__ import annotations

from typing import Any

import msgspec

from tiri_tui.sync.controller import NotificationController
from tiri_tui.wire.models import WireError, format_timestamp, parse_timestamp

#: Rows one reply carries at most (a face asks again for more).
ROWS_LIMIT = 10_000


class RequestError(Exception):
    """A request the agent cannot answer: said back to the face."""


def counts(c: NotificationController) -> dict[str, Any]:
    """The state of the agent's list: in every reply that says where it stands."""
    held = c.held
    return {
        "state": c.state.value,
        "code": c.code.value,
        "reason": c.reason,
        "retry_in": c.retry_in,
        "unread_count": c.unread_count,
        "current": c.current,
        "loaded": c.loaded.is_set(),
        "needs_login": c.needs_login,
        "held": len(held),
        "has_more": c.has_more,
        "newest": format_timestamp(held[0].created_at) if len(held) else None,
        "pending": c.outbox.pending_count,
        "frames_dropped": c.frames_dropped,
        "counters": msgspec.to_builtins(c.counters),
    }


def rows(c: NotificationController, message: dict[str, Any]) -> list[dict[str, Any]]:
    """The newest rows held: ``limit`` of them, or those created at or after
    ``newer_than`` (at most :data:`ROWS_LIMIT`)."""
    held = c.held
    limit = limit_of(message)
    since = message.get("newer_than")
    if since is not None:
        try:
            limit = held.rows_since(parse_timestamp(since, "newer_than").timestamp())
        except WireError as exc:
            raise RequestError(str(exc)) from None
    return [held[i].to_dict() for i in range(min(limit, ROWS_LIMIT, len(held)))]


def ids(c: NotificationController, message: dict[str, Any]) -> list[tuple[str, str]]:
    """The ids of the ``limit`` newest rows held, each with its creation time
    (what a face counts as seen when it attaches)."""
    held = c.held
    count = min(limit_of(message), ROWS_LIMIT, len(held))
    return [(n.id, format_timestamp(n.created_at)) for n in (held[i] for i in range(count))]


def limit_of(message: dict[str, Any]) -> int:
    limit = message.get("limit", 0)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
        raise RequestError("'limit' must be a whole number")
    return limit


def hold_of(message: dict[str, Any]) -> float:
    hold = message.get("hold", 0)
    if not isinstance(hold, int | float) or isinstance(hold, bool) or not 0 <= hold <= 60:
        raise RequestError("'hold' must be seconds, from 0 to 60")
    return float(hold)


def id_of(message: dict[str, Any]) -> str:
    nid = message.get("notification")
    if not isinstance(nid, str) or not nid:
        raise RequestError("'notification' must be a notification's id")
    return nid
