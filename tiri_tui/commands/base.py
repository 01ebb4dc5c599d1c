"""What every subcommand is made of, and what they share.

A subcommand is a module of this package with a ``COMMAND``: its name, its
help, the arguments it adds to its own parser, whether it needs the settings
(and logging) resolved, and the function that runs it. The parser and the
dispatch in :mod:`tiri_tui.commands.cli` are built from the list of them.
Only the standard library and msgspec are imported here: ``--help`` and completions stay
fast, and each command imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import enum
import ipaddress
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from msgspec import Struct

if TYPE_CHECKING:
    from tiri_tui.client import TiriClient
    from tiri_tui.settings.config import Settings

EXIT_OK, EXIT_ERROR, EXIT_AUTH = 0, 1, 2


class Needs(enum.Enum):
    """What a command needs before it runs."""

    #: Nothing of the person's settings (serve, completion).
    NOTHING = "nothing"
    #: The settings in force, but no log file (config, rules, demo, web).
    SETTINGS = "settings"
    #: The settings, the log file and the security warnings (the rest).
    SESSION = "session"


class Invocation(Struct, frozen=True):
    """One run of a command: its arguments and the settings in force (with
    where each came from), resolved when the command needs them."""

    args: argparse.Namespace
    resolved: tuple[Settings, dict[str, str]] | None = None

    @property
    def settings(self) -> Settings:
        assert self.resolved is not None, "this command does not resolve the settings"
        return self.resolved[0]

    @property
    def sources(self) -> dict[str, str]:
        assert self.resolved is not None, "this command does not resolve the settings"
        return self.resolved[1]


class Command(Struct, frozen=True):
    """A subcommand: ``arguments`` adds its own options to its parser."""

    name: str
    help: str
    run: Callable[[Invocation], int]
    needs: Needs = Needs.SESSION
    description: str | None = None
    arguments: Callable[[argparse.ArgumentParser], None] = lambda parser: None
    raw_description: bool = False
    #: Runs the dashboard in this process: the collector, paused by the entry
    #: point, stays off until the dashboard's first frame (see gc_tuning).
    opens_dashboard: bool = False


def fail(message: str) -> None:
    """Say what went wrong on standard error, as ``tiri-tui: ...``."""
    print(f"tiri-tui: {message}", file=sys.stderr)


def client(settings: Settings) -> TiriClient:
    """A client for these settings (imported when first needed: keeps --help light)."""
    from tiri_tui.client import TiriClient

    return TiriClient(settings)


def quiet_hours_known(settings: Settings) -> tuple[str | None, str]:
    """The quiet hours in force and where they come from, in words: config.toml's,
    else the server's preferences as last read for the logged-in account (no
    request is made)."""
    from tiri_tui.settings.server_preferences import load_known, quiet_hours_in_force

    opened = client(settings)  # reads the stored session
    known = load_known(opened.known_preferences_path()) if opened.auth.session else None
    hours, source = quiet_hours_in_force(settings.attention, known)
    if opened.auth.session is None and hours is None:
        source = "none: not logged in, so the server's preferences are not known"
    return (None if hours is None else str(hours)), source


def with_client(settings: Settings, work: Callable[[TiriClient], Awaitable[int]]) -> int:
    """Run ``work`` with a client; a session only a login can bring back is exit 2."""
    from tiri_tui.wire.errors import LoginRequired

    async def run() -> int:
        async with client(settings) as opened:
            return await work(opened)

    try:
        return asyncio.run(run())
    except LoginRequired as exc:  # NotLoggedIn too
        fail(str(exc))
        return EXIT_AUTH


def add_listening(parser: argparse.ArgumentParser, port: int, public: str) -> None:
    """``--host``, ``--port`` and ``--public`` of a command that listens
    (``public``: what a non-loopback host would expose)."""
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=port, help=f"port (default {port}; 0 picks a free one)"
    )
    parser.add_argument(
        "--public", action="store_true", help=f"allow a non-loopback --host ({public})"
    )


def is_loopback(host: str) -> bool:
    """Whether ``host`` listens only to this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def until_stopped() -> None:
    """Until Ctrl+C or SIGTERM (a server in the foreground)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
