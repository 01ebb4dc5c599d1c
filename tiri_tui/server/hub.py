"""Who is subscribed to whose notifications, and sending to them in order.

Like a Channels group per user: handlers subscribe a socket, changes are
broadcast to every socket of the user, each send after the socket's greeting.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tiri_tui.server.faults import Faults
from tiri_tui.server.state import ServerState, User
from tiri_tui.wire.models import Notification
from tiri_tui.wire.protocol import NotificationFrame, UnreadCountFrame, encode_frame


@dataclass
class _Subscriber:
    socket: web.WebSocketResponse
    #: Orders every send to this socket (held until its greeting is sent).
    lock: asyncio.Lock
    #: The request's transport, to drop the TCP connection without a close frame.
    transport: asyncio.Transport | None


class Hub:
    """Per-user groups of open sockets."""

    def __init__(self, faults: Faults) -> None:
        self._faults = faults
        self._groups: dict[int, dict[web.WebSocketResponse, _Subscriber]] = {}

    def sockets(self, user: User) -> list[web.WebSocketResponse]:
        """The user's subscribed sockets."""
        return list(self._groups.get(user.id, {}))

    def subscribe(
        self,
        user: User,
        socket: web.WebSocketResponse,
        lock: asyncio.Lock,
        transport: asyncio.Transport | None,
    ) -> None:
        """Add a socket to the user's group; ``lock`` orders every send to it."""
        self._groups.setdefault(user.id, {})[socket] = _Subscriber(socket, lock, transport)

    def unsubscribe(self, user: User, socket: web.WebSocketResponse) -> None:
        """Remove a socket from the user's group."""
        self._groups.get(user.id, {}).pop(socket, None)

    async def broadcast_changes(
        self, state: ServerState, user: User, changed: list[dict[str, Any]]
    ) -> None:
        """Send each changed notification, then the new unread count, to the user's sockets."""
        targets = list(self._groups.get(user.id, {}).values())
        if not targets or not self._faults.answer_pings:
            return
        for notification in changed:
            text = encode_frame(NotificationFrame(Notification.from_dict(notification)))
            await _send_to(targets, text)
        await self.send_unread_count(state, user)

    async def send_unread_count(
        self, state: ServerState, user: User, only: web.WebSocketResponse | None = None
    ) -> None:
        """Send the authoritative unread count (to one socket, or all of the user's)."""
        text = encode_frame(UnreadCountFrame(state.unread_count(user)))
        await _send_to(self._targets(user, only), text)

    async def send_raw(self, user: User, text: str) -> None:
        """Send any text (garbage included) to a user's open sockets."""
        await _send_to(self._targets(user, None), text)

    async def close(self, user: User | None, code: int | None, reason: str = "") -> int:
        """Close a user's sockets (None: everyone's) with ``code``; None drops the TCP
        connection (the client sees 1006). Returns how many."""
        groups = [self._groups.get(user.id, {})] if user else list(self._groups.values())
        targets = [s for group in groups for s in list(group.values())]
        for target in targets:
            if code is None:
                if target.transport is not None:
                    target.transport.abort()
                continue
            with contextlib.suppress(ConnectionError, RuntimeError):
                await target.socket.close(code=code, message=reason.encode())
        return len(targets)

    def _targets(self, user: User, only: web.WebSocketResponse | None) -> list[_Subscriber]:
        group = self._groups.get(user.id, {})
        return [group[only]] if only is not None and only in group else list(group.values())


async def _send_to(targets: list[_Subscriber], text: str) -> None:
    for target in targets:
        async with target.lock:  # after its greeting, in order
            socket = target.socket
            if socket.closed or not socket.prepared:
                continue
            with contextlib.suppress(ConnectionError, RuntimeError):
                await socket.send_str(text)
