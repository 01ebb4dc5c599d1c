"""`tiri-tui web`: the dashboard in a browser, one per tab."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

from tiri_tui.commands.base import (
    EXIT_ERROR,
    EXIT_OK,
    Command,
    Invocation,
    Needs,
    add_listening,
    client,
    fail,
    is_loopback,
    until_stopped,
)
from tiri_tui.commands.global_options import given_options


def _arguments(web: argparse.ArgumentParser) -> None:
    add_listening(web, 8000, "anyone with the link sees your notifications")
    web.add_argument(
        "--demo", action="store_true", help="serve against the embedded demo server, logged in"
    )


def _run(invocation: Invocation) -> int:
    args = invocation.args
    if not is_loopback(args.host) and not args.public:
        fail(
            f"refusing to listen on {args.host}: anyone who reaches the page with its link "
            "sees your notifications. Add --public to insist."
        )
        return EXIT_ERROR
    from tiri_tui.commands.web_server import DashboardServer, dashboard_command, new_secret
    from tiri_tui.settings.config import Settings

    async def serve(home: Path) -> int:
        demo = None
        options = given_options(args)
        if args.demo:
            from tiri_tui.server import DEMO_EMAIL, DEMO_PASSWORD, DemoServer

            demo = DemoServer(port=0, rate=4.0)
            await demo.start()
            # The dashboards it starts read this throw-away home, never the real one.
            os.environ["TIRI_HOME"] = str(home)
            async with client(Settings(server=demo.url, home=home)) as opened:
                await opened.auth.login(DEMO_EMAIL, DEMO_PASSWORD)
            options = ["--server", demo.url]
        command = dashboard_command(options, demo=args.demo)
        server = DashboardServer(command, args.host, args.port, new_secret())
        try:
            runner = await server.start()
        except OSError as exc:
            fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
            return EXIT_ERROR
        if args.public:
            fail(
                "warning: --public: anyone who reaches this address with the link sees your notifications"
            )
        print(f"tiri-tui in a browser: open {server.url}", flush=True)
        print(
            "  (the link carries a secret: share it as you would your session; Ctrl+C stops)",
            flush=True,
        )
        try:
            await until_stopped()
        finally:
            await runner.cleanup()  # each tab's dashboard is told to quit, and waited for
            if demo is not None:
                await demo.stop()
        return EXIT_OK

    with tempfile.TemporaryDirectory(prefix="tiri-web-") as home:
        code = asyncio.run(serve(Path(home)))
    print("stopped.", file=sys.stderr)
    return code


COMMAND = Command(
    "web",
    "serve the dashboard to a browser (one dashboard per tab)",
    _run,
    needs=Needs.SETTINGS,
    description="Serve the dashboard to a web browser through textual-serve: the same "
    "server, profile and session as the terminal command. The page lives behind a "
    "random secret in its URL, printed once; other requests get 403.",
    arguments=_arguments,
)
