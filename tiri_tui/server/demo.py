"""The embedded demo server: REST and WebSocket on one port, plus a control surface.

It composes three parts the handlers reach through the application: the data
(:class:`~tiri_tui.server.state.ServerState`), who listens
(:class:`~tiri_tui.server.hub.Hub`) and the fault switches
(:class:`~tiri_tui.server.faults.Faults`). The control surface is plain Python
(methods and attributes of :class:`DemoServer`), never an HTTP route, so a
public demo cannot be steered by strangers; tests use it to inject every
fault a real deployment shows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl
from datetime import UTC, datetime
from typing import Any, Self

from aiohttp import web

from tiri_tui.server import account_routes, acting, app_keys, rest, websocket
from tiri_tui.server.faults import Faults
from tiri_tui.server.hub import Hub
from tiri_tui.server.seed import DEMO_EMAIL, make_notification_fields, seed_demo_user
from tiri_tui.server.state import ServerState, User
from tiri_tui.server.world import World

log = logging.getLogger(__name__)


class DemoServer:
    """A standards-following Tiri backend for demos and tests.

    ``faults`` holds the switches (see :class:`Faults`); ``state`` the data
    (replace it only while the server is stopped); ``world`` what the
    notifications are about; ``hub`` the open sockets.
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
        #: What the notifications are about: requests, chat rooms, approvals.
        self.world = World()
        seed_demo_user(self.state, count=seed_count, world=self.world)
        self.faults = Faults()
        self.hub = Hub(self.faults)
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
        app[app_keys.STATE] = self.state
        app[app_keys.HUB] = self.hub
        app[app_keys.FAULTS] = self.faults
        app[app_keys.WORLD] = self.world
        account_routes.add_routes(app)
        rest.add_routes(app)
        acting.add_routes(app)
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
        await self.hub.close(None, close_code)
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
        # Told what it is about: nothing new is made up in the world for it.
        world = World() if "extra_data" in fields else self.world
        base = make_notification_fields(self._rng, datetime.now(UTC), world, user)
        base.update(fields)
        notification = self.state.create_notification(user, **base)
        await self.hub.broadcast_changes(self.state, user, [notification])
        return notification

    async def broadcast_changes(self, user: User, changed: list[dict[str, Any]]) -> None:
        """Send changed notifications (and the count) to the user's sockets."""
        await self.hub.broadcast_changes(self.state, user, changed)

    async def close_sockets(self, email: str, code: int | None, reason: str = "") -> int:
        """Close a user's sockets with ``code`` (None: drop the TCP connection)."""
        return await self.hub.close(self.user(email), code, reason)

    async def send_raw(self, email: str, text: str) -> None:
        """Send any text (garbage included) to a user's open sockets."""
        await self.hub.send_raw(self.user(email), text)

    async def _generate(self) -> None:
        while True:
            await asyncio.sleep(self.rate)
            try:
                await self.create_notification()
            except Exception:  # the generator must outlive a bad moment
                log.exception("demo generator failed")
