"""`tiri-tui web`: the dashboard in a browser, through textual-serve.

Each browser tab gets its own dashboard process (textual-serve's model); the
tab's websocket closing ends it. Whoever reaches the page sees the logged-in
user's notifications, so the page and its websocket live under a random
secret path, printed once (like Jupyter's token): any other path gets 403,
only the static assets (fonts, xterm.js) are public. The session stays in the
dashboard process: nothing of it is in the page, its URL or the log.

The page is textual-serve's, with three changes: its font comes from this
server (the package ships it) instead of Google's, and a Content-Security-
Policy keeps the page on this server, so it works with no network at all; the
terminal takes the keyboard as soon as it is drawn (no click needed first).
"""

from __future__ import annotations

import hmac
import re
import secrets
import shlex
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

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


#: Nothing the page loads or connects to may be off this server; the fonts
#: come from /static/fonts, textual.js adds <style> elements and inline styles.
CONTENT_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'"
)
#: Headers of the page and of the redirect to it: the secret address is
#: neither cached nor told to a site the page opens (the `o` key).
PRIVATE = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
#: textual-serve's page asks Google for the font (a stylesheet link).
_GOOGLE_FONT = re.compile(r"<link[^>]*fonts\.googleapis\.com[^>]*>", re.DOTALL)
#: Keys reach the dashboard at once: xterm's input is focused when it appears.
_FOCUS_ON_LOAD = """<script>
  (() => {
    const terminal = document.getElementById("terminal");
    const focus = () => {
      const input = terminal.querySelector("textarea.xterm-helper-textarea");
      if (input !== null) input.focus();
      return input !== null;
    };
    if (!focus()) {
      const watcher = new MutationObserver(() => focus() && watcher.disconnect());
      watcher.observe(terminal, { childList: true, subtree: true });
    }
  })();
</script>
</body>"""


def new_secret() -> str:
    """A URL-safe secret with 192 bits of randomness."""
    return secrets.token_urlsafe(24)


def dashboard_command(global_options: Sequence[str], *, demo: bool = False) -> str:
    """The shell command textual-serve runs for each browser tab (``demo``: its
    header says "(demo)", as `tiri-tui demo`'s does)."""
    command = [sys.executable, "-m", "tiri_tui", *global_options, "dashboard"]
    return shlex.join(command + (["--demo-label"] if demo else []))


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
                web.get("/{secret}", self.handle_no_slash),
                web.get("/{secret}/", self.handle_index, name="index"),
                web.get("/{secret}/ws", self.handle_websocket, name="websocket"),
                web.static("/static", self.statics_path, name="static"),
            ]
        )
        return app

    async def handle_no_slash(self, request: web.Request) -> web.StreamResponse:
        """The secret typed without its slash: to the page (a relative address,
        the same path; the guard has checked the secret)."""
        query = f"?{request.query_string}" if request.query_string else ""
        raise web.HTTPFound(f"/{self.secret}/{query}", headers=PRIVATE)

    async def handle_index(self, request: web.Request) -> web.Response:
        """The page: textual-serve's, its websocket URL under the same secret,
        its font served from here, the terminal focused on load."""
        router = request.app.router
        socket_path = router["websocket"].url_for(secret=self.secret)
        scheme = "wss" if self.public_url.startswith("https") else "ws"
        static = f"{self.public_url}/static/"
        page = aiohttp_jinja2.render_string(
            "app_index.html",
            request,
            {
                "font_size": 16,
                "app_websocket_url": f"{scheme}:{self.public_url.split(':', 1)[1]}{socket_path}",
                "config": {"static": {"url": static}},
                "application": {"name": self.title},
            },
        )
        page = _GOOGLE_FONT.sub(lambda _: self._font_faces(static), page)
        page = page.replace("</body>", _FOCUS_ON_LOAD, 1)
        headers = {**PRIVATE, "Content-Security-Policy": CONTENT_POLICY}
        return web.Response(text=page, content_type="text/html", headers=headers)

    def _font_faces(self, static: str) -> str:
        """The terminal's font from the package's own files (none there: the
        browser's monospace, as the page's font list falls back to)."""
        faces, preloads = [], []
        for font in sorted(Path(self.statics_path, "fonts").glob("RobotoMono*.ttf")):
            url = f"{static}fonts/{font.name}"
            style = "italic" if "Italic" in font.name else "normal"
            faces.append(
                f'@font-face {{ font-family: "Roboto Mono"; font-style: {style}; '
                f'font-weight: 100 700; src: url("{url}") format("truetype"); }}'
            )
            if style == "normal":  # xterm measures its cells with it: fetch it at once
                preloads.append(f'<link rel="preload" href="{url}" as="font" crossorigin />')
        return f"{''.join(preloads)}<style>{' '.join(faces)}</style>" if faces else ""

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
