"""`tiri-tui dashboard` (the default command), and the one way to open the app."""

from __future__ import annotations

import argparse
import asyncio
import os
from typing import TYPE_CHECKING, Any

from tiri_tui.commands.base import EXIT_OK, Command, Invocation, client

if TYPE_CHECKING:
    from tiri_tui.client import TiriClient
    from tiri_tui.settings.config import Settings
    from tiri_tui.sync.controller_api import Controller


async def run_app(client: TiriClient, settings: Settings, **extra: Any) -> None:
    """Run the dashboard on ``client`` with the person's settings (``extra``:
    what only some starts give: a prepared controller, the demo server, a label)."""
    from tiri_tui.attention.modes import pick_mode
    from tiri_tui.commands import gc_tuning
    from tiri_tui.ui.app import TiriApp

    gc_tuning.tune()
    app = TiriApp(
        client,
        bell=settings.bell,
        rules=settings.attention,
        customisation=settings.customisation,
        alert_mode=pick_mode(settings.desktop_alerts, os.environ),
        rows_settled=gc_tuning.freeze_survivors,
        first_frame=gc_tuning.resume,
        **extra,
    )
    await app.run_async()


def _arguments(dashboard: argparse.ArgumentParser) -> None:
    # `web --demo` starts one per tab against its demo server: the header says so.
    dashboard.add_argument("--demo-label", action="store_true", help=argparse.SUPPRESS)


def _run(invocation: Invocation) -> int:
    from tiri_tui.commands import gc_tuning

    gc_tuning.tune()  # before the cache is read (run_app tunes again: harmless)
    settings = invocation.settings
    demo_label = getattr(invocation.args, "demo_label", False)  # absent when no command was named

    async def dashboard() -> None:
        async with client(settings) as opened:
            prepared: Controller | None = None
            if opened.auth.session is not None and not settings.no_agent:
                from tiri_tui.ui.attaching import attached_controller

                prepared = await attached_controller(opened)  # the agent's list, if one runs
            if prepared is None and opened.auth.session is not None:
                # The cache is read on the store thread while Textual is imported.
                prepared = opened.open_controller()
                prepared.prefetch_cache()
            label = f"{settings.server} (demo)" if demo_label else None
            await run_app(opened, settings, prepared=prepared, server_label=label)

    asyncio.run(dashboard())
    return EXIT_OK


COMMAND = Command(
    "dashboard",
    "open the dashboard (the default command)",
    _run,
    arguments=_arguments,
    opens_dashboard=True,
)
