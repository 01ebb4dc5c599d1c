"""`tiri-tui clear-read`: delete every read notification on the server."""

from __future__ import annotations

import argparse

from tiri_tui.commands.base import Command, Invocation

_DESCRIPTION = """\
Delete every read notification on the server, as the phone's "clear read"
does: they are gone for the phone too. It says how many first and asks on a
terminal; without --yes it refuses when standard input is not one.

With the profile's agent running, the agent clears them, and every open face
(dashboards, tails) follows at once; alone, the local cache follows. Sent
once, never queued or replayed. Exit 0 cleared (or nothing to clear), 1 not
done (refused, unreachable, not confirmed), 2 not logged in, 3 this server
cannot clear read notifications."""


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--yes", action="store_true", help="do not ask first")


def _run(invocation: Invocation) -> int:
    from tiri_tui.commands.account_running import run_clear_read

    return run_clear_read(invocation.settings, yes=invocation.args.yes)


COMMAND = Command(
    "clear-read",
    "delete every read notification on the server (asks first)",
    _run,
    description=_DESCRIPTION,
    arguments=_arguments,
    raw_description=True,
)
