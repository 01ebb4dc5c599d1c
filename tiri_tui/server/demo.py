"""The embedded demo server: REST and WebSocket on one port, plus a control surface.

The control surface is plain Python (methods and attributes of
:class:`DemoServer`), never an HTTP route, so a public demo cannot be steered
by strangers. Tests use it to inject every fault a real deployment shows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Self

from aiohttp import web

from tiri_tui.models import Notification
from tiri_tui.protocol import NotificationFrame, UnreadCountFrame, encode_frame
from tiri_tui.server import rest, websocket
from tiri_tui.server.seed import DEMO_EMAIL, make_notification_fields, seed_demo_user
from tiri_tui.server.state import ServerState, User

log = logging.getLogger(__name__)


class DemoServer:
    """A standards-following Tiri backend for demos and tests.

    Fault switches (attributes, flip them at any time):

    - ``ws_route_status``: None, or an HTTP status (404, 500) the socket route answers;
    - ``answer_pings``: False makes every open socket half-open (no pongs, no answers);
    - ``offer_bulk_actions`` / ``offer_legacy_mark_all``: which mark-all route exists;
    - ``login_error_status``: 401 (simplejwt) or 400 (DRF ``non_field_errors``);
    - ``require_origin``: refuse sockets without a matching Origin, as Channels does;
    - ``close_on_token_expiry``: close each socket with 4001 when the access
      token it was opened with expires;
    - ``subscribe_delay``: None (subscribe before accepting), or seconds after
      accepting a socket before it gets broadcasts (``group_add`` after ``accept``).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        access_lifetime: float = 300.0,
        rate: float = 0.0,
        seed_count: int = 50,
        rotate_refresh_tokens: bool = True,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.ssl_context = ssl_context
        self.port = port
        self.rate = rate
        self.state = ServerState(
            access_lifetime=access_lifetime, rotate_refresh_tokens=rotate_refresh_tokens
        )
        self.demo_user = seed_demo_user(self.state, count=seed_count)
        self.ws_route_status: int | None = None
        self.answer_pings = True
        self.offer_bulk_actions = True
        self.offer_legacy_mark_all = True
        self.login_error_status = 401
        self.require_origin = True
        self.close_on_token_expiry = False
        self.subscribe_delay: float | None = None
        self.max_client_frame = 64 * 1024
        #: How many REST calls were answered 401 (tests assert refresh kept it at 0).
        self.unauthorized_answers = 0
        #: Until this monotonic time, the notifications API answers 429 with
        #: ``Retry-After: retry_after`` (DRF throttling).
        self.throttle_until = 0.0
        self.retry_after = 1
        self.throttled_answers: list[float] = []
        #: Rewrites each list page before it is sent (fuzzing hostile servers).
        self.page_mutator: Callable[[dict[str, Any]], object] | None = None
        self.sockets: dict[int, set[web.WebSocketResponse]] = {}
        self._send_locks: dict[web.WebSocketResponse, asyncio.Lock] = {}
        self._runner: web.AppRunner | None = None
        self._generator: asyncio.Task[None] | None = None
        self._rng = random.Random()

    # -- lifecycle ----------------------------------------------------------------
    @property
    def url(self) -> str:
        """The base URL clients use (``http://host:port``)."""
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        """Whether the server is listening."""
        return self._runner is not None

    def build_app(self) -> web.Application:
        """The aiohttp application serving every route of the contract."""
        app = web.Application(middlewares=[rest.throttle])
        app[rest.DEMO_KEY] = self
        rest.add_routes(app)
        app.router.add_get(websocket.WS_PATH, websocket.notifications_socket)
        return app

    async def start(self) -> None:
        """Listen (again, on the same port after a stop); start the generator."""
        if self._runner is not None:
            return
        runner = web.AppRunner(self.build_app(), shutdown_timeout=1.0, access_log=None)
        await runner.setup()
        site = web.TCPSite(
            runner, self.host, self.port, reuse_address=True, ssl_context=self.ssl_context
        )
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self.port = site.port
        self._runner = runner
        if self.rate > 0:
            self._generator = asyncio.create_task(self._generate(), name="demo-generator")

    async def stop(self, close_code: int | None = 1001) -> None:
        """Stop listening and end every socket: with ``close_code``, or abruptly if None."""
        if self._generator is not None:
            self._generator.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._generator
            self._generator = None
        await self.close_all_sockets(close_code)
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- control surface -------------------------------------------------------------
    def user(self, email: str = DEMO_EMAIL) -> User:
        """An account by e-mail (the demo user by default)."""
        user = self.state.user_by_email(email)
        if user is None:
            raise KeyError(email)
        return user

    async def create_notification(self, email: str = DEMO_EMAIL, **fields: Any) -> dict[str, Any]:
        """Create a notification (realistic defaults) and broadcast it."""
        user = self.user(email)
        base = make_notification_fields(self._rng, datetime.now(UTC))
        base.update(fields)
        notification = self.state.create_notification(user, **base)
        await self.broadcast_changes(user, [notification])
        return notification

    async def close_sockets(self, email: str, code: int | None, reason: str = "") -> int:
        """Close a user's sockets with ``code`` (None: drop the TCP connection)."""
        sockets = list(self.sockets.get(self.user(email).id, ()))
        for socket in sockets:
            await _end_socket(socket, code, reason)
        return len(sockets)

    async def close_all_sockets(self, code: int | None, reason: str = "") -> None:
        """Close every open socket of every user."""
        for sockets in list(self.sockets.values()):
            for socket in list(sockets):
                await _end_socket(socket, code, reason)

    async def send_raw(self, email: str, text: str) -> None:
        """Send any text (garbage included) to a user's open sockets."""
        await self._send_to(list(self.sockets.get(self.user(email).id, ())), text)

    def subscribe(self, user: User, socket: web.WebSocketResponse, lock: asyncio.Lock) -> None:
        """Add a socket to the user's group; ``lock`` orders every send to it."""
        self.sockets.setdefault(user.id, set()).add(socket)
        self._send_locks[socket] = lock

    def unsubscribe(self, user: User, socket: web.WebSocketResponse) -> None:
        """Remove a socket from the user's group."""
        self.sockets.get(user.id, set()).discard(socket)
        self._send_locks.pop(socket, None)

    # -- broadcast --------------------------------------------------------------------
    async def broadcast_changes(self, user: User, changed: list[dict[str, Any]]) -> None:
        """Send each changed notification, then the new unread count, to the user's sockets."""
        sockets = list(self.sockets.get(user.id, ()))
        if not sockets or not self.answer_pings:
            return
        for notification in changed:
            text = encode_frame(NotificationFrame(Notification.from_dict(notification)))
            await self._send_to(sockets, text)
        await self.send_unread_count(user, sockets)

    async def send_unread_count(self, user: User, sockets: list[web.WebSocketResponse]) -> None:
        """Send the authoritative unread count."""
        await self._send_to(sockets, encode_frame(UnreadCountFrame(self.state.unread_count(user))))

    async def _send_to(self, sockets: list[web.WebSocketResponse], text: str) -> None:
        for socket in sockets:
            lock = self._send_locks.get(socket)
            if lock is None:
                continue
            async with lock:  # after its greeting, in order
                if socket.closed or not socket.prepared:
                    continue
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await socket.send_str(text)

    async def _generate(self) -> None:
        while True:
            await asyncio.sleep(self.rate)
            try:
                await self.create_notification()
            except Exception:  # the generator must outlive a bad moment
                log.exception("demo generator failed")


async def _end_socket(socket: web.WebSocketResponse, code: int | None, reason: str) -> None:
    if code is None:
        # A dropped TCP connection: the client sees 1006 with no close frame.
        transport = socket._writer.transport if socket._writer is not None else None
        if transport is not None:
            transport.abort()
        return
    with contextlib.suppress(ConnectionError, RuntimeError):
        await socket.close(code=code, message=reason.encode())
