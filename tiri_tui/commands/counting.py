"""`tiri-tui count`: the unread count for status bars (waybar, i3blocks, tmux).

One REST call with a short timeout; when the server cannot be reached, the
last count the cache knows, marked stale. Every output is built from an
integer and fixed words: nothing from the server reaches a status bar.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from tiri_tui.client import TiriClient
from tiri_tui.commands.count_lines import FORMATS, Reading, Shown, render
from tiri_tui.commands.headless import LineOutput, on_signal, stop_on_session_end_or_signal
from tiri_tui.wire.errors import LoginRequired, NotLoggedIn, TiriError, login_advice


async def read_count(client: TiriClient, timeout: float, *, breakdown: bool = False) -> Reading:
    """The agent's count if one runs and knows it; else the server's, else the
    cache's last one (stale); NotLoggedIn if no session. ``breakdown``: with
    the server's split by type (none when it sends none)."""
    if not client.settings.no_agent:
        from tiri_tui.commands.counting_attached import count_from_agent

        reading = await count_from_agent(client.settings, timeout, breakdown=breakdown)
        if reading is not None:
            return reading
    if client.auth.session is None:
        raise NotLoggedIn(client.settings.server)
    try:
        if breakdown:
            from tiri_tui.connection.account import AccountApi

            split = await asyncio.wait_for(AccountApi(client.api).unread_breakdown(), timeout)
            return Reading(split.count, False, split.by_type)
        return Reading(await asyncio.wait_for(client.api.unread_count(), timeout), False)
    except LoginRequired:
        raise
    except (TiriError, TimeoutError, OSError):
        # The cache is a file: read off the loop (it may be the dashboard's, open now).
        return Reading(await asyncio.to_thread(client.cached_unread_count), True)


async def watch(client: TiriClient, fmt: str, out: TextIO = sys.stdout) -> int:
    """Keep one socket (reconnecting, with the HTTP fallback, as the dashboard
    does) and print a line whenever the count or its staleness changes: for
    waybar's continuous ``exec`` and i3blocks' persist mode. Exit code as tail's.
    With the profile's agent running, the agent's count (and no socket of its own)."""
    stop = asyncio.Event()
    lines = LineOutput(out, on_closed=stop.set)  # `| head` went away: done, exit 0
    shown = Shown(lines, fmt)
    on_signal(stop)
    if not client.settings.no_agent:
        from tiri_tui.commands.counting_attached import watch_through_agent

        code = await watch_through_agent(client.settings, shown, stop)
        if code is not None:
            return code
    controller = client.open_controller()

    def on_event(_event: object) -> None:
        if controller.unread_count is not None:
            # Stale: the socket is down and REST has not answered since.
            shown.show(Reading(controller.unread_count, not controller.current))

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


__all__ = ["FORMATS", "Reading", "read_count", "render", "watch"]
