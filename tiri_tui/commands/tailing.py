"""`tiri-tui tail`: notifications as lines on stdout, headless — through the
profile's agent when one runs, else from a controller of its own."""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from tiri_tui.client import TiriClient
from tiri_tui.commands.headless import on_signal, stop_on_session_end_or_signal
from tiri_tui.commands.tail_printer import (
    EXIT_SESSION,
    PrintedIds,
    TailPrinter,
    catch_up,
    use_color,
)
from tiri_tui.sync.controller import NotificationController

__all__ = ["PrintedIds", "TailPrinter", "run_tail", "use_color"]


async def run_tail(
    client: TiriClient,
    *,
    as_json: bool,
    newest: int,
    out: TextIO = sys.stdout,
    stop: asyncio.Event | None = None,
    color: bool = False,
) -> int:
    """Follow the profile's agent if one runs (and it stays, or comes back),
    else run a controller of its own until interrupted; return the exit code."""
    printer = TailPrinter(out, as_json=as_json, server=client.settings.server, color=color)
    stop = stop or asyncio.Event()
    printer.out.on_closed = stop.set  # `| head` went away: done, exit 0
    on_signal(stop)
    if not client.settings.no_agent:
        from tiri_tui.commands.tailing_attached import tail_through_agent

        code = await tail_through_agent(client.settings, printer, newest, stop)
        if code is not None:
            return code
    controller = client.open_controller()
    controller.subscribe(printer)
    stop_on_session_end_or_signal(controller, stop)
    # An agent followed until it went away for good: what came since is caught
    # up below (its first load holds it), not counted as seen.
    followed_an_agent = printer.followed
    # Read before it starts: a row pushed during its first load is printed at
    # once and must not move the point the catch-up starts from.
    seen_until = printer.printed.newest
    printer.live = False
    await controller.start()
    await _first_load(controller, stop)
    inbox = controller.inbox
    if followed_an_agent:
        count = len(inbox) if seen_until is None else inbox.rows_since(seen_until.timestamp())
        catch_up(printer, [inbox[i] for i in range(count)])
    else:
        for n in reversed([inbox[i] for i in range(min(newest, len(inbox)))]):
            printer.notification(n, backlog=True)
        for n in reversed(list(inbox)):
            printer.printed.add(n)  # existing ones are not "new"
    printer.live = True
    await stop.wait()
    return EXIT_SESSION if controller.needs_login else 0


async def _first_load(controller: NotificationController, stop: asyncio.Event) -> None:
    waiters = [asyncio.ensure_future(controller.loaded.wait()), asyncio.ensure_future(stop.wait())]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
