"""Wiring: one place that builds the HTTP client, auth, REST API, stores and controller.

The dashboard, `tail`, `login`, the tests and the benchmarks all build a run
through :class:`TiriClient`, so they exercise the same objects.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Self

from tiri_tui import __version__
from tiri_tui.connection.api import TiriApi
from tiri_tui.connection.auth import Auth, TokenStore, default_token_store, expires_at
from tiri_tui.connection.policy import PolicySettings
from tiri_tui.connection.realtime import RealtimeEvent, RealtimeSettings, RealtimeWorker
from tiri_tui.settings.config import Settings
from tiri_tui.sync.controller import ControllerSettings, NotificationController
from tiri_tui.sync.store import NotificationCache, Outbox
from tiri_tui.wire.errors import NotLoggedIn

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)


def realtime_settings(settings: Settings) -> RealtimeSettings:
    """The WebSocket worker's knobs, from the user's settings."""
    return RealtimeSettings(
        compression=settings.compression,
        ping_interval=settings.ping_interval or None,
        ping_timeout=settings.ping_timeout or None,
        policy=PolicySettings(
            base_delay=settings.reconnect_base_delay,
            max_delay=max(settings.reconnect_max_delay, settings.reconnect_base_delay),
            max_attempts=max(1, settings.reconnect_attempts),
            slow_retry=settings.slow_retry or None,
        ),
    )


def tls_context(settings: Settings) -> ssl.SSLContext:
    """Verification on by default; a CA bundle adds trust; --insecure removes it."""
    context = ssl.create_default_context(
        cafile=str(settings.ca_bundle) if settings.ca_bundle else None
    )
    if settings.insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


#: What the network needs and the first paint does not: imported on a thread
#: (:func:`import_network_modules`) while the cached rows are painted.
NETWORK_MODULES = (
    "httpx",
    "httpcore",
    "h11",
    "anyio._backends._asyncio",
    "websockets.asyncio.client",
    "jwt",
)


def import_network_modules() -> None:
    """Import the network's libraries. It reads files: call it on a thread, so
    the first request or socket does not hold up the loop importing them."""
    for name in NETWORK_MODULES:
        with contextlib.suppress(ImportError):  # a transport httpx may not use
            importlib.import_module(name)


class TiriClient:
    """A connection to one Tiri server on behalf of one stored session."""

    def __init__(
        self,
        settings: Settings,
        *,
        token_store: TokenStore | None = None,
        realtime: RealtimeSettings | None = None,
        controller: ControllerSettings | None = None,
        http_timeout: float = 10.0,
    ) -> None:
        self.settings = settings
        self.realtime_settings = realtime or realtime_settings(settings)
        self.controller_settings = controller or ControllerSettings(
            fallback_interval=settings.fallback_interval,
            gap_fill_max_pages=settings.gap_fill_max_pages,
            page_size=settings.page_size,
            reconcile_interval=settings.reconcile_interval or None,
        )
        # Loading the trust store costs tens of milliseconds at every start:
        # only a server reached over TLS needs it. (Redirects are never
        # followed and links to other hosts refused, so a plain-http server
        # never leads to a TLS connection.)
        secure = settings.server.startswith("https:") or settings.socket_url.startswith("wss:")
        self.ssl: ssl.SSLContext | None = tls_context(settings) if secure else None
        self._http_timeout = http_timeout
        self._http_client: httpx.AsyncClient | None = None
        store = token_store or default_token_store(settings.config_dir / "sessions")
        self.auth = Auth(settings.server, self._http, store)
        self.api = TiriApi(settings.server, self._http, self.auth)
        self._stores: list[NotificationCache | Outbox] = []
        self._controller: NotificationController | None = None

    @property
    def http(self) -> httpx.AsyncClient:
        """The HTTP client (made at its first use)."""
        return self._http()

    def _http(self) -> httpx.AsyncClient:
        # Made at the first request, not at start-up: httpx and its transport
        # cost ~25 ms of imports that the first paint of the cache does not need.
        if self._http_client is None:
            import httpx

            timeout = self._http_timeout
            self._http_client = httpx.AsyncClient(
                base_url=self.settings.server,
                verify=self.ssl if self.ssl is not None else False,
                timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)),
                follow_redirects=False,  # a redirect must never carry the token elsewhere
                headers={"User-Agent": f"tiri-tui/{__version__}"},
            )
        return self._http_client

    def _cache_path(self) -> Path:
        session = self.auth.session
        assert session is not None
        slug = self.settings.account_slug(session.user_id or session.email)
        return self.settings.cache_dir / f"{slug}.sqlite3"

    def _account_file(self, suffix: str) -> Path:
        """The logged-in account's file in the data dir ending in ``suffix``."""
        session = self.auth.session
        if session is None:
            raise NotLoggedIn(self.settings.server)
        slug = self.settings.account_slug(session.user_id or session.email)
        return self.settings.data_dir / f"{slug}{suffix}"

    def outbox_path(self) -> Path:
        """Where the logged-in account's intents wait for the server."""
        return self._account_file("-outbox.sqlite3")

    def snooze_path(self) -> Path:
        """Where the logged-in account's snoozes are kept (beside its outbox)."""
        return self._account_file("-snoozes.sqlite3")

    def known_preferences_path(self) -> Path:
        """Where the logged-in account's preferences on the server, as last read, are kept."""
        session = self.auth.session
        if session is None:
            raise NotLoggedIn(self.settings.server)
        from tiri_tui.settings.server_preferences import known_path

        return known_path(
            self.settings.data_dir, self.settings.account_slug(session.user_id or session.email)
        )

    def cached_unread_count(self) -> int | None:
        """The unread count the cache last saved (blocking: call it on a thread)."""
        if self.auth.session is None or not self._cache_path().exists():
            return None
        cache = NotificationCache(self._cache_path())
        try:
            return cache.load(0, 0)[1]
        finally:
            cache.close()

    def forget_read_cached(self) -> int:
        """Remove the read notifications from the cache, as the server just did
        (blocking: call it on a thread); how many."""
        if self.auth.session is None or not self._cache_path().exists():
            return 0
        cache = NotificationCache(self._cache_path())
        try:
            return cache.forget_read()
        finally:
            cache.close()

    def open_controller(self) -> NotificationController:
        """Build the controller for the logged-in account (raise NotLoggedIn if none)."""
        session = self.auth.session
        if session is None:
            raise NotLoggedIn(self.settings.server)
        cache = NotificationCache(self._cache_path())
        outbox = Outbox(self.outbox_path())
        self._stores += [cache, outbox]

        def make_worker(on_event: Callable[[RealtimeEvent], None]) -> RealtimeWorker:
            return RealtimeWorker(
                self.settings.socket_url,
                self.settings.ws_origin,
                self.auth.access_token,
                on_event,
                self.realtime_settings,
                ssl_context=self.ssl if self.settings.socket_url.startswith("wss:") else None,
                token_claims=expires_at,
                token_check=self.api.accepts_token,
            )

        self._controller = NotificationController(
            self.api, make_worker, outbox, cache, self.controller_settings
        )
        return self._controller

    async def aclose(self) -> None:
        """Stop the controller, close stores and the HTTP client."""
        if self._controller is not None:
            await self._controller.aclose()
        for store in self._stores:
            store.close()
        if self._http_client is not None:
            await self._http_client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
