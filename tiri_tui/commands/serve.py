"""`tiri-tui serve`: the embedded demo server in the foreground."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

from tiri_tui.commands.base import (
    EXIT_ERROR,
    EXIT_OK,
    Command,
    Invocation,
    Needs,
    add_listening,
    fail,
    is_loopback,
    until_stopped,
)


def _arguments(serve: argparse.ArgumentParser) -> None:
    add_listening(serve, 8765, "the demo password is public!")
    serve.add_argument(
        "--rate",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="a new notification every SECONDS; 0 turns it off (default 5)",
    )
    serve.add_argument(
        "--access-lifetime",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="access token lifetime (default 300)",
    )
    serve.add_argument(
        "--legacy-mark-all", action="store_true", help="offer only the legacy mark_all_read/ route"
    )
    serve.add_argument(
        "--ws-origins",
        metavar="URL[,URL]",
        help="behave as a deployment whose socket takes only these Origins (Channels' "
        "OriginValidator: scheme://host[:port], a host, .domain, or *): any other is "
        "refused with HTTP 403 at the handshake, while REST keeps accepting the token",
    )


def _run(invocation: Invocation) -> int:
    args = invocation.args
    if not is_loopback(args.host) and not args.public:
        fail(
            f"refusing to listen on {args.host}: the demo password is public. Add --public to insist."
        )
        return EXIT_ERROR
    from tiri_tui.server import DEMO_EMAIL, DEMO_PASSWORD, DemoServer
    from tiri_tui.server.websocket import parse_allowed_origins

    try:
        origins = None if args.ws_origins is None else parse_allowed_origins(args.ws_origins)
    except ValueError as exc:
        fail(f"--ws-origins: {exc}")
        return EXIT_ERROR

    async def serve() -> None:
        server = DemoServer(
            args.host, args.port, access_lifetime=args.access_lifetime, rate=args.rate
        )
        if args.legacy_mark_all:
            server.faults.offer_bulk_actions = False
        server.faults.allowed_origins = origins
        try:
            await server.start()
        except OSError as exc:
            fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
            raise SystemExit(EXIT_ERROR) from None
        print(f"Tiri demo server on {server.url}", flush=True)
        print(f"  log in with: {DEMO_EMAIL} / {DEMO_PASSWORD}", flush=True)
        print(f"  try: tiri-tui --server {server.url} login --email {DEMO_EMAIL}", flush=True)
        if origins is not None:
            print(f"  the socket accepts only Origin {', '.join(origins)}", flush=True)
            sendable = next((o for o in origins if "://" in o), None)
            if sendable is not None:
                print(f"  (send it with: tiri-tui --origin {sendable} ...)", flush=True)
        print("  Ctrl+C stops it.", flush=True)
        try:
            await until_stopped()
        finally:
            await server.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())
    print("stopped.", file=sys.stderr)
    return EXIT_OK


COMMAND = Command(
    "serve",
    "run the embedded demo Tiri server in the foreground",
    _run,
    needs=Needs.NOTHING,
    arguments=_arguments,
)
