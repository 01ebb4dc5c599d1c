"""`tiri-tui login`: log in and store the session for this server."""

from __future__ import annotations

import argparse
import asyncio
import sys

from tiri_tui.commands.base import EXIT_AUTH, EXIT_ERROR, EXIT_OK, Command, Invocation, client, fail


def _arguments(login: argparse.ArgumentParser) -> None:
    login.add_argument("--email", help="account e-mail (prompted if omitted)")
    login.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )


def _run(invocation: Invocation) -> int:
    from tiri_tui.wire.errors import LoginFailed, TiriError

    args, settings = invocation.args, invocation.settings
    interactive = sys.stdin.isatty()
    email = args.email
    if not email:
        if not interactive:
            fail("give --email when standard input is not a terminal")
            return EXIT_ERROR
        email = input("E-mail: ").strip()
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif interactive:
        import getpass  # kept off start-up (every command builds this parser)

        password = getpass.getpass("Password: ")
    else:
        fail("no terminal to ask for the password: use --password-stdin")
        return EXIT_ERROR

    async def login() -> str:
        async with client(settings) as opened:
            session = await opened.auth.login(email, password)
            return session.email or email

    try:
        who = asyncio.run(login())
    except LoginFailed as exc:
        fail(f"login failed: {exc}")
        return EXIT_AUTH
    except TiriError as exc:
        fail(f"login failed: {exc}")
        return EXIT_ERROR
    print(f"Logged in to {settings.server} as {who}.")
    return EXIT_OK


COMMAND = Command(
    "login", "log in and store the session for this server", _run, arguments=_arguments
)
