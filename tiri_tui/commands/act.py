"""`tiri-tui act`: what can be done about a notification, and doing it."""

from __future__ import annotations

import argparse

from tiri_tui.commands.base import EXIT_AUTH, EXIT_ERROR, Command, Invocation, fail

_ACTIONS = ("approve", "decline", "offer", "withdraw", "complete", "reply", "messages", "reject")

_DESCRIPTION = """\
Act on a notification from a script or a terminal.

  tiri-tui act ID                     list what can be done (--json: one object per line)
  tiri-tui act ID ACTION [options]    do it

Actions: approve / decline a volunteer (--volunteer USER_ID), offer to help
(--text) / withdraw, complete (--text: notes), reply (--text) / messages
(print the conversation), approve / reject a new member (--text: reason).
Decline, reject and complete cannot be undone: they ask on a terminal, and
without --yes refuse when standard input is not one.

These calls change the world and are sent once, never queued or replayed;
when no answer comes, the object is read again and what the server now
shows is said. Exit 0 done, 1 refused by the server (its words on stderr,
"already approved" included) or not confirmed, 2 not logged in, 3 not
available (no such action for this notification, or not on this server)."""


def _arguments(act: argparse.ArgumentParser) -> None:
    act.add_argument("notification", metavar="NOTIFICATION_ID", help="the notification's id")
    act.add_argument("action", nargs="?", choices=_ACTIONS, help="the action (none: list them)")
    act.add_argument("--volunteer", metavar="USER_ID", help="which volunteer (approve / decline)")
    act.add_argument(
        "--member",
        metavar="APPROVAL_ID",
        help="which new member, when several wait (approve / reject)",
    )
    text = act.add_mutually_exclusive_group()
    text.add_argument("--text", help="the message, reply, reason or notes, sent as typed")
    text.add_argument(
        "--text-stdin", action="store_true", help="read that text from standard input"
    )
    act.add_argument("--yes", action="store_true", help="do not ask before what cannot be undone")
    act.add_argument("--json", action="store_true", help="list the actions as JSON lines")


def _run(invocation: Invocation) -> int:
    import asyncio
    import sys

    from tiri_tui.commands.acting import run_act
    from tiri_tui.commands.base import client
    from tiri_tui.wire.errors import LoginRequired, TiriError
    from tiri_tui.wire.text import one_line

    args = invocation.args
    text: str | None = args.text
    if args.text_stdin:
        text = sys.stdin.read()
        # One trailing newline is the terminal's, not the person's.
        text = text[:-1] if text.endswith("\n") else text

    async def act() -> int:
        async with client(invocation.settings) as opened:
            return await run_act(opened, args, text)

    try:
        return asyncio.run(act())
    except LoginRequired as exc:
        fail(str(exc))
        return EXIT_AUTH
    except TiriError as exc:  # the server out of reach, a 429: said, never a traceback
        fail(one_line(str(exc)))
        return EXIT_ERROR


COMMAND = Command(
    "act",
    "act on a notification: approve a volunteer, offer help, reply, approve a member",
    _run,
    description=_DESCRIPTION,
    raw_description=True,
    arguments=_arguments,
)
