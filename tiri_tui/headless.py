"""What the headless commands (`tail`, `count --watch`) share: when to stop."""

from __future__ import annotations

import asyncio
import contextlib
import signal

from tiri_tui.controller import NotificationController


def stop_on_session_end_or_signal(controller: NotificationController, stop: asyncio.Event) -> None:
    """Set ``stop`` on SIGINT/SIGTERM, or when only a new login can help (a
    headless command then exits 2 saying so)."""
    controller.subscribe(lambda _event: stop.set() if controller.needs_login else None)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
