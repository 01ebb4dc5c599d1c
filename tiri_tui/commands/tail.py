"""`tiri-tui tail`: print notifications as they arrive (headless)."""

from __future__ import annotations

import argparse
import os
import sys

from tiri_tui.commands.base import Command, Invocation, with_client


def _arguments(tail: argparse.ArgumentParser) -> None:
    tail.add_argument("--json", action="store_true", help="one JSON object per line")
    tail.add_argument(
        "--color",
        choices=["auto", "always", "never"],
        default="auto",
        help="colour the text mode's labels: auto (a terminal, unless NO_COLOR is set), "
        "always, never",
    )
    tail.add_argument(
        "-n",
        type=int,
        default=0,
        metavar="N",
        help="first print the N newest existing notifications",
    )


def _run(invocation: Invocation) -> int:
    from tiri_tui.commands.tailing import run_tail, use_color

    args = invocation.args
    color = use_color(args.color, sys.stdout.isatty(), os.environ)
    return with_client(
        invocation.settings,
        lambda client: run_tail(client, as_json=args.json, newest=max(0, args.n), color=color),
    )


COMMAND = Command(
    "tail", "print notifications as they arrive (headless)", _run, arguments=_arguments
)
