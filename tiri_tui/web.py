"""`tiri-tui web`: the dashboard in a browser, through textual-serve.

Each browser tab gets its own dashboard process (textual-serve's model); the
tab's websocket closing ends it. Whoever reaches the page sees the logged-in
user's notifications, so the page and its websocket live under a random
secret path, printed once (like Jupyter's token): any other path gets 403,
only the static assets (fonts, xterm.js) are public. The session stays in the
dashboard process: nothing of it is in the page, its URL or the log.
"""

from __future__ import annotations

import hmac
import secrets
import shlex
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from textual_serve.server import Server

#: How long stopping waits for open tabs before it closes them.
SHUTDOWN_SECONDS = 1.0

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

FORBIDDEN = (
    "403: this dashboard opens only from the link `tiri-tui web` printed when it "
    "started (it carries a secret)."
)


def new_secret() -> str:
    """A URL-safe secret with 192 bits of randomness."""
    return secrets.token_urlsafe(24)


def dashboard_command(global_options: Sequence[str]) -> str:
    """The shell command textual-serve runs for each browser tab."""
    return shlex.join([sys.executable, "-m", "tiri_tui", *global_options, "dashboard"])


class DashboardServer(Server):
    """textual-serve's server with the page and its websocket behind a secret path."""

    def __init__(self, command: str, host: str, port: int, secret: str) -> None:
        super().__init__(command, host=host, port=port, title="tiri-tui")
        self.secret = secret

    @property
    def url(self) -> str:
        """The page's address, secret included (print it once; never log it)."""
        return f"{self.public_url}/{self.secret}/"

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        first = request.path.split("/", 2)[1] if request.path.count("/") >= 1 else ""
        if first == "static" or hmac.compare_digest(first.encode(), self.secret.encode()):
            return await handler(request)
        raise web.HTTPForbidden(text=FORBIDDEN)

    async def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._guard])
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path))
        app.add_routes(
            [
                web.get("/{secret}/", self.handle_index, name="index"),
                web.get("/{secret}/ws", self.handle_websocket, name="websocket"),
                web.static("/static", self.statics_path, name="static"),
            ]
        )
        return app

    @aiohttp_jinja2.template("app_index.html")
    async def handle_index(self, request: web.Request) -> dict[str, Any]:
        """The page: textual-serve's, its websocket URL under the same secret."""
        router = request.app.router
        socket_path = router["websocket"].url_for(secret=self.secret)
        scheme = "wss" if self.public_url.startswith("https") else "ws"
        return {
            "font_size": 16,
            "app_websocket_url": f"{scheme}:{self.public_url.split(':', 1)[1]}{socket_path}",
            "config": {"static": {"url": f"{self.public_url}/static/"}},
            "application": {"name": self.title},
        }

    async def start(self) -> web.AppRunner:
        """Listen (in this event loop); returns the runner to ``cleanup()``."""
        # On stop, open tabs get SHUTDOWN_SECONDS, then their handlers are
        # cancelled: textual-serve then closes each socket and tells its
        # dashboard to quit.
        runner = web.AppRunner(
            await self._make_app(), access_log=None, shutdown_timeout=SHUTDOWN_SECONDS
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        if self.port == 0:  # a free port was picked: the URL must say which
            self.port = runner.addresses[0][1]
            self.public_url = f"http://{self.host}:{self.port}"
        return runner
