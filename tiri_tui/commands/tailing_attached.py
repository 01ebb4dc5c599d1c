"""`tail` attached to the profile's agent: its events printed as a standalone
`tail` prints its own controller's, through the agent restarting.

At attach the agent says what it holds: the ``-n`` newest rows are printed
as backlog and everything up to its newest row counts as seen. When the agent
goes away the face looks for it again; once it is back (and has loaded) the
rows at or after the newest seen are printed if they were not — what came
while it was down — and following goes on. If it does not come back, `tail`
carries on standalone from where it was.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tiri_tui.agent.endpoint import socket_path
from tiri_tui.agent.link import AgentLink, AgentLost, AgentRefused, attach, hello, reattach
from tiri_tui.agent.local_protocol import LineError, event_of, rows_of
from tiri_tui.commands.tail_printer import EXIT_SESSION, PRINTED_MEMORY, TailPrinter, catch_up
from tiri_tui.settings.config import Settings
from tiri_tui.sync.events import ControllerEvent, NotificationAdded, StateEvent
from tiri_tui.wire.models import Notification, format_timestamp, parse_timestamp


async def tail_through_agent(
    settings: Settings, printer: TailPrinter, newest: int, stop: asyncio.Event
) -> int | None:
    """Follow the agent until ``stop``: the exit code; None when there is no
    agent (or it went away for good): the caller carries on standalone."""
    path = socket_path(settings)
    loaded = asyncio.Event()
    ended = asyncio.Event()  # the session: only a new login helps

    def on_message(message: dict[str, Any]) -> None:
        if message.get("event") == "loaded":
            loaded.set()

    def on_event(event: ControllerEvent) -> None:
        if held_back is not None and isinstance(event, NotificationAdded) and event.live:
            held_back.append(event.notification)  # printed in order with what was missed
            return
        printer(event)  # a state that needs a login is printed as an error, as alone
        if isinstance(event, StateEvent) and event.code.needs_login:
            ended.set()

    #: While re-attaching: live arrivals wait here to be printed in order
    #: with what came while the agent was away (None: print them as they come).
    held_back: list[Notification] | None = None
    link = await attach(path, on_event, on_message)
    first = True
    while link is not None:
        try:
            caught_up = await _catch_up(
                link,
                printer,
                newest if first else None,
                loaded,
                stop,
                held_back if held_back is not None else [],
            )
        except (AgentLost, AgentRefused, LineError):
            caught_up = None
        if caught_up is not None:
            first = False
            held_back = None
            if caught_up.get("needs_login"):  # it ended before this face came
                ended.set()
            await _until_any(stop, link.lost, ended)
        if stop.is_set() or ended.is_set():
            await link.aclose()
            return EXIT_SESSION if ended.is_set() else 0
        await link.aclose()
        loaded.clear()
        printer.live = False  # what came meanwhile is caught up at re-attach
        held_back = [] if held_back is None else held_back
        link = await reattach(path, on_event, on_message, stop)
    return 0 if stop.is_set() else None


async def _catch_up(
    link: AgentLink,
    printer: TailPrinter,
    backlog: int | None,
    loaded: asyncio.Event,
    stop: asyncio.Event,
    held_back: list[Notification],
) -> dict[str, Any] | None:
    """Hello, wait for the agent's first load, then print the backlog (first
    attach) or what was missed (re-attach); the agent's last answer (None: stopped)."""
    answer = await link.request("hello", **hello("tail", watch=True))
    if backlog is not None:  # as a standalone tail begins: with the connection's state
        state = event_of({**answer, "event": "state"})
        if state is not None:
            printer(state)
    if answer.get("needs_login"):
        return answer
    if not answer.get("loaded"):
        await _until_any(loaded, stop, link.lost)
        if stop.is_set() or link.lost.is_set():
            return None
    if printer.printed.newest is not None:  # a re-attach, or a first one cut short
        since = format_timestamp(printer.printed.newest)
        answer = await link.request("rows", newer_than=since)
        missed = {n.id: n for n in [*held_back, *rows_of(answer)]}.values()
        catch_up(printer, sorted(missed, key=lambda n: n.sort_key, reverse=True))
    if backlog is not None:
        answer = await link.request("rows", limit=backlog)
        for n in reversed(rows_of(answer)):
            printer.notification(n, backlog=True)
        # What the agent holds now is not news to this face (as a standalone
        # tail counts what it holds after its first load): oldest first, so
        # that the memory's floor rises only past rows older than all kept.
        answer = await link.request("ids", limit=PRINTED_MEMORY)
        try:
            for nid, created in reversed(answer.get("ids", [])):
                printer.printed.add_id(str(nid), parse_timestamp(created, "created_at"))
        except (ValueError, TypeError) as exc:
            raise LineError(f"a malformed id: {exc}") from None
    printer.live = True
    return answer


async def _until_any(*events: asyncio.Event) -> None:
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
