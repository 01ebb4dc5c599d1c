"""The demo server's ``/ws/notifications/`` route, shaped like a Channels consumer.

Refusals happen before the upgrade with HTTP 403, as Channels'
``AllowedHostsOriginValidator`` and a JWT middleware do; a consumer closes
only with 1000 or 3000-4999.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Iterable
from urllib.parse import SplitResult, urlsplit

from aiohttp import WSMsgType, web

from tiri_tui.server.app_keys import FAULTS, HUB, STATE
from tiri_tui.server.state import TokenInvalid, User
from tiri_tui.wire.models import WireError
from tiri_tui.wire.protocol import (
    ConnectionAck,
    ErrorFrame,
    GetUnreadCount,
    MarkAllAsRead,
    MarkAsRead,
    Ping,
    Pong,
    UnreadCountFrame,
    encode_frame,
    parse_client_frame,
)

WS_PATH = "/ws/notifications/"


def _origin_allowed(request: web.Request) -> bool:
    """Channels' AllowedHostsOriginValidator: Origin's host must be an allowed host."""
    origin = request.headers.get("Origin")
    if not origin:
        return False
    origin_host = urlsplit(origin).hostname
    return origin_host is not None and origin_host == urlsplit(f"//{request.host}").hostname


def _same_domain(host: str, pattern: str) -> bool:
    """Django's ``is_same_domain``: ``.example.com`` also matches its subdomains."""
    pattern = pattern.lower()
    if pattern.startswith("."):
        return host.endswith(pattern) or host == pattern[1:]
    return bool(pattern) and host == pattern


def _port(parts: SplitResult) -> int | None:
    try:
        port = parts.port
    except ValueError:
        return None
    return (
        port
        if port is not None
        else {"http": 80, "ws": 80, "https": 443, "wss": 443}.get(parts.scheme)
    )


def origin_allowed_by(origin: str | None, patterns: Iterable[str]) -> bool:
    """Channels' ``OriginValidator``: ``*`` lets anything in (no Origin too); a
    pattern with a scheme must match the Origin's scheme, port (defaults filled
    in) and host; a bare host (``.domain``: with its subdomains) only the host."""
    patterns = tuple(patterns)
    if "*" in patterns:
        return True
    parsed = urlsplit(origin or "")
    host = parsed.hostname
    if not origin or host is None:
        return False
    for pattern in patterns:
        wanted = urlsplit(pattern.lower())
        if not wanted.scheme:
            if _same_domain(host, urlsplit(f"//{pattern}").hostname or pattern):
                return True
        elif (
            wanted.scheme == parsed.scheme
            and _port(wanted) == _port(parsed)
            and _same_domain(host, wanted.hostname or "")
        ):
            return True
    return False


def parse_allowed_origins(text: str) -> tuple[str, ...]:
    """``URL[,URL]`` of ``serve --ws-origins``: each ``*``, ``http(s)://host[:port]``,
    or a bare host (``.domain`` for its subdomains too); ValueError says which is not."""
    origins = tuple(item.strip() for item in text.split(","))
    for item in origins:
        parts = urlsplit(item if "://" in item else f"//{item}")
        try:
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            raise ValueError(f"not an origin: {item!r} (bad port)") from None
        bare = "://" not in item and ":" not in item
        if item == "*" or (
            parts.hostname
            and parts.path in ("", "/")
            and not parts.query
            and (bare or parts.scheme in ("http", "https"))
        ):
            continue
        raise ValueError(
            f"not an origin: {item!r} (give scheme://host[:port], a host, .domain or *)"
        )
    return origins


def _token(request: web.Request) -> str | None:
    token = request.rel_url.query.get("token")
    if token:
        return token
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme == "Bearer" and value.strip() else None


async def notifications_socket(request: web.Request) -> web.StreamResponse:
    """Authenticate, accept, greet, then serve client frames until closed."""
    state, hub, faults = request.app[STATE], request.app[HUB], request.app[FAULTS]
    if faults.ws_route_status is not None:
        # Daphne answers 500 when the URL router raises for an unknown path.
        return web.Response(status=faults.ws_route_status, text="Server error")
    if faults.allowed_origins is not None:
        if not origin_allowed_by(request.headers.get("Origin"), faults.allowed_origins):
            return web.Response(status=403, text="Access denied")
    elif faults.require_origin and not _origin_allowed(request):
        return web.Response(status=403, text="Access denied")
    try:
        user, claims = state.decode(_token(request), "access")
        if faults.refuse_access_tokens:
            raise TokenInvalid("User is inactive")
    except TokenInvalid:
        return web.Response(status=403, text="Access denied")

    # Pings are answered by hand so a test can turn this peer half-open.
    socket = web.WebSocketResponse(autoping=False, max_msg_size=faults.max_client_frame)
    # Subscribe before accepting, as a Channels consumer calls group_add before
    # accept(): whatever is broadcast meanwhile waits for the greeting and then
    # arrives in order. ``subscribe_delay`` models a consumer that subscribes
    # after accepting: what is broadcast until then is lost for this socket.
    background: list[asyncio.Task[None]] = []
    greeting = asyncio.Lock()
    await greeting.acquire()
    late = faults.subscribe_delay
    if late is None:
        hub.subscribe(user, socket, greeting, request.transport)
    try:
        try:
            await socket.prepare(request)
            with contextlib.suppress(ConnectionError):
                await socket.send_str(encode_frame(ConnectionAck(str(user.id))))
                await socket.send_str(encode_frame(UnreadCountFrame(state.unread_count(user))))
        finally:
            greeting.release()
        if late is not None:
            background.append(asyncio.create_task(_subscribe_later(request, user, socket, late)))
        if faults.close_on_token_expiry:
            background.append(asyncio.create_task(_close_at_expiry(socket, float(claims["exp"]))))
        async for message in socket:
            if message.type == WSMsgType.PING:
                if faults.answer_pings:
                    await socket.pong(message.data)
            elif message.type == WSMsgType.TEXT:
                with contextlib.suppress(ConnectionError):  # the peer left mid-answer
                    await _handle_text(request, user, socket, message.data)
            elif message.type == WSMsgType.BINARY:
                await socket.send_str(encode_frame(ErrorFrame("Binary frames are not supported")))
    finally:
        for task in background:
            task.cancel()
        hub.unsubscribe(user, socket)
    return socket


async def _subscribe_later(
    request: web.Request, user: User, socket: web.WebSocketResponse, delay: float
) -> None:
    await asyncio.sleep(delay)
    if not socket.closed:
        request.app[HUB].subscribe(user, socket, asyncio.Lock(), request.transport)


async def _close_at_expiry(socket: web.WebSocketResponse, exp: float) -> None:
    """Close 4001 when the token the socket was opened with expires, as
    Channels deployments with a token-checking consumer do."""
    await asyncio.sleep(max(0.0, exp - time.time()))
    with contextlib.suppress(ConnectionError, RuntimeError):
        await socket.close(code=4001, message=b"token expired")


async def _handle_text(
    request: web.Request, user: User, socket: web.WebSocketResponse, text: str
) -> None:
    state, hub = request.app[STATE], request.app[HUB]
    if not request.app[FAULTS].answer_pings:
        return  # a half-open peer reads nothing and answers nothing
    try:
        frame = parse_client_frame(text)
    except WireError as exc:
        await socket.send_str(json.dumps({"type": "error", "error": exc.reason}))
        return
    if isinstance(frame, Ping):
        await socket.send_str(encode_frame(Pong()))
    elif isinstance(frame, GetUnreadCount):
        await hub.send_unread_count(state, user, only=socket)
    elif isinstance(frame, MarkAsRead):
        notification = user.by_id.get(frame.notification_id)
        if notification is None:
            await socket.send_str(encode_frame(ErrorFrame("Notification not found")))
        elif not notification["is_read"]:
            state.set_read(user, frame.notification_id, True)
            await hub.broadcast_changes(state, user, [notification])
    elif isinstance(frame, MarkAllAsRead):
        await hub.broadcast_changes(state, user, state.mark_all_read(user))
