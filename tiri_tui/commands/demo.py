"""`tiri-tui demo`: a demo server in-process, logged in, the dashboard open."""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from tiri_tui.commands.base import EXIT_OK, Command, Invocation, Needs, client
from tiri_tui.commands.dashboard import run_app


def _arguments(demo: argparse.ArgumentParser) -> None:
    demo.add_argument(
        "--rate",
        type=float,
        default=4.0,
        metavar="SECONDS",
        help="a new notification every SECONDS (default 4)",
    )


def _run(invocation: Invocation) -> int:
    from tiri_tui.commands.logs import configure_logging
    from tiri_tui.server import DEMO_EMAIL, DEMO_PASSWORD, DemoServer
    from tiri_tui.settings.config import Settings

    settings, rate = invocation.settings, max(0.0, invocation.args.rate)

    async def demo(home: Path) -> None:
        server = DemoServer(port=0, rate=rate)
        await server.start()
        try:
            # The demo's session and cache live in a throw-away home, never
            # beside the user's real credentials.
            demo_settings = Settings(
                server=server.url,
                home=home,
                namespace="demo",
                log_level=settings.log_level,
                log_file=settings.log_file,
                fallback_interval=5.0,
            )
            configure_logging(demo_settings)
            async with client(demo_settings) as opened:
                await opened.auth.login(DEMO_EMAIL, DEMO_PASSWORD)
                await run_app(opened, settings, demo_server=server)
        finally:
            await server.stop()

    with tempfile.TemporaryDirectory(prefix="tiri-demo-") as home:
        asyncio.run(demo(Path(home)))
    return EXIT_OK


COMMAND = Command(
    "demo",
    "try it: a demo server in-process, logged in, dashboard open",
    _run,
    needs=Needs.SETTINGS,
    arguments=_arguments,
    opens_dashboard=True,
)
