"""Clients with the suite's fast timings: real sockets, short delays."""

from __future__ import annotations

from pathlib import Path

from tiri_tui.client import TiriClient
from tiri_tui.connection.policy import PolicySettings
from tiri_tui.connection.realtime import RealtimeSettings
from tiri_tui.server import DemoServer
from tiri_tui.settings.config import Settings
from tiri_tui.sync.controller_settings import ControllerSettings

FAST_REALTIME = RealtimeSettings(
    handshake_timeout=2.0,
    precheck_timeout=1.0,
    ping_interval=0.5,
    ping_timeout=0.5,
    app_ping_interval=None,
    watchdog_interval=0,
    # Ten attempts at these delays last about a second: a test that stops the
    # server and does work before starting it again would see the worker give
    # up on a loaded machine. Tests of giving up set their own count.
    policy=PolicySettings(base_delay=0.05, max_delay=0.2, max_attempts=300, stable_after=1.0),
)
FAST_CONTROLLER = ControllerSettings(
    fallback_interval=0.2,
    gap_fill_max_pages=10,
    page_size=20,
    reconcile_page_delay=0.01,
    subscribe_grace=0.2,
    # Marks reach the server soon after the key; a test of undo before they
    # leave asks for the real window.
    undo_window=0.3,
)


def make_client(
    server: DemoServer,
    home: Path,
    *,
    realtime: RealtimeSettings = FAST_REALTIME,
    controller: ControllerSettings = FAST_CONTROLLER,
) -> TiriClient:
    """A client for ``server`` with test timings."""
    return TiriClient(
        Settings(server=server.url, home=home),
        realtime=realtime,
        controller=controller,
        http_timeout=2.0,
    )
