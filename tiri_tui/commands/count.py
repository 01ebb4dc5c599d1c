"""`tiri-tui count`: the unread count, for status bars."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tiri_tui.commands.base import EXIT_ERROR, EXIT_OK, Command, Invocation, fail, with_client

if TYPE_CHECKING:
    from tiri_tui.client import TiriClient


def _arguments(count: argparse.ArgumentParser) -> None:
    count.add_argument(
        "--format",
        choices=["plain", "json", "waybar", "tmux"],
        default="plain",
        help="plain (the number; 3? when stale), json, waybar (text/tooltip/class), tmux (for status-right)",
    )
    count.add_argument(
        "--watch",
        action="store_true",
        help="keep connected and print a line at every change (waybar exec, i3blocks persist)",
    )
    count.add_argument(
        "--breakdown",
        action="store_true",
        help="add the unread count by type, as the server splits it (plain: a line per type; "
        "json: a breakdown object, null when the server sends none; waybar: in the tooltip; "
        "tmux: the three largest); not with --watch",
    )
    count.add_argument(
        "--timeout",
        type=float,
        default=3.0,
        metavar="SECONDS",
        help="how long to wait for the server before using the cache (default 3)",
    )


def _run(invocation: Invocation) -> int:
    from tiri_tui.commands.counting import read_count, render, watch

    args = invocation.args

    if args.watch and args.breakdown:
        fail("--breakdown is read once: use it without --watch (waybar: an interval)")
        return EXIT_ERROR

    async def count(client: TiriClient) -> int:
        if args.watch:
            return await watch(client, args.format)
        timeout = max(0.1, args.timeout)
        reading = await read_count(client, timeout, breakdown=args.breakdown)
        print(render(reading, args.format, breakdown=args.breakdown))
        return EXIT_OK

    return with_client(invocation.settings, count)


COMMAND = Command(
    "count",
    "print the unread count, for status bars (waybar, i3blocks, tmux)",
    _run,
    description="Print the unread count: the server's, or, when it cannot be reached, "
    "the last one cached, marked stale (exit 0). Not logged in: exit 2.",
    arguments=_arguments,
)
