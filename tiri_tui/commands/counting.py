"""`tiri-tui count`: the unread count for status bars (waybar, i3blocks, tmux).

One REST call with a short timeout; when the server cannot be reached, the
last count the cache knows, marked stale. Every output is built from an
integer and fixed words: nothing from the server reaches a status bar.
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass
from typing import TextIO

from tiri_tui.client import TiriClient
from tiri_tui.commands.headless import LineOutput, stop_on_session_end_or_signal
from tiri_tui.wire.errors import LoginRequired, NotLoggedIn, TiriError, login_advice

FORMATS = ("plain", "json", "waybar", "tmux")


@dataclass(frozen=True, slots=True)
class Reading:
    """An unread count (None: not known at all) and whether it is the server's now."""

    count: int | None
    stale: bool


async def read_count(client: TiriClient, timeout: float) -> Reading:
    """The server's count, else the cache's last one (stale); NotLoggedIn if no session."""
    if client.auth.session is None:
        raise NotLoggedIn(client.settings.server)
    try:
        return Reading(await asyncio.wait_for(client.api.unread_count(), timeout), False)
    except LoginRequired:
        raise
    except (TiriError, TimeoutError, OSError):
        # The cache is a file: read off the loop (it may be the dashboard's, open now).
        return Reading(await asyncio.to_thread(client.cached_unread_count), True)


async def watch(client: TiriClient, fmt: str, out: TextIO = sys.stdout) -> int:
    """Keep one socket (reconnecting, with the HTTP fallback, as the dashboard
    does) and print a line whenever the count or its staleness changes: for
    waybar's continuous ``exec`` and i3blocks' persist mode. Exit code as tail's."""
    controller = client.open_controller()
    stop = asyncio.Event()
    lines = LineOutput(out, on_closed=stop.set)  # `| head` went away: done, exit 0
    shown: list[Reading] = []

    def on_event(_event: object) -> None:
        if controller.unread_count is None:
            return
        # Stale: the socket is down and REST has not answered since.
        reading = Reading(controller.unread_count, not controller.current)
        if not shown or shown[-1] != reading:
            shown.append(reading)
            del shown[:-1]
            lines.write(render(reading, fmt))

    controller.subscribe(on_event)  # ServerAnswered too: staleness ends without a new count
    stop_on_session_end_or_signal(controller, stop)
    await controller.start()
    await stop.wait()
    if controller.needs_login:
        print(
            f"tiri-tui: {controller.reason} — {login_advice(client.settings.server)}",
            file=sys.stderr,
        )
        return 2
    return 0


def render(reading: Reading, fmt: str) -> str:
    """One line in ``fmt`` (one of :data:`FORMATS`)."""
    count, stale = reading.count, reading.stale
    shown = "?" if count is None else str(count)
    if fmt == "json":
        return json.dumps({"unread_count": count, "stale": stale})
    if fmt == "waybar":
        if stale:
            tooltip = f"{shown} unread when last seen; the server cannot be reached"
        else:
            tooltip = f"{shown} unread notification{'' if count == 1 else 's'}"
        kind = "stale" if stale else ("unread" if count else "zero")
        return json.dumps({"text": shown, "tooltip": tooltip, "class": kind})
    # A stale count is marked where a person reads it: `3?` (a bare `?` is unknown).
    marked = f"{shown}{'?' if stale and count is not None else ''}"
    if fmt == "tmux":
        return f"✉ {marked}"
    return marked
