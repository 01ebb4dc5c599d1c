"""`tail` attached to the profile's agent: its events printed as a standalone
`tail` prints its own controller's, through the agent restarting.

At attach the agent says what it holds: the ``-n`` newest rows are printed
as backlog and the ids it holds count as seen (as a standalone `tail` counts
what it holds after its first load). While a face catches up, what the agent
adds waits, and is printed after, in order, if it was not seen. When the agent
goes away the face looks for it again; once it is back (and has loaded) the
rows at or after the newest seen are printed if they were not — what came
while it was down — and following goes on. If it does not come back, or keeps
failing to answer, `tail` carries on standalone from where it was.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tiri_tui.agent.endpoint import agent_socket
from tiri_tui.agent.link import AgentLink, AgentLost, AgentRefused, attach, hello, reattach
from tiri_tui.agent.local_protocol import LineError, event_of, rows_of
from tiri_tui.commands.tail_printer import EXIT_SESSION, PRINTED_MEMORY, TailPrinter, catch_up
from tiri_tui.settings.config import Settings
from tiri_tui.sync.events import ControllerEvent, NotificationAdded, StateEvent
from tiri_tui.wire.models import Notification, format_timestamp, parse_timestamp

#: Catch-ups in a row that may fail (an agent that answers, then cannot say
#: what it holds) before the face stops trying it and carries on alone.
FAILED_CATCH_UPS = 3


class OtherServer(Exception):
    """The agent serves another server than the one this face was asked for."""


async def tail_through_agent(
    settings: Settings, printer: TailPrinter, newest: int, stop: asyncio.Event
) -> int | None:
    """Follow the agent until ``stop``: the exit code; None when there is no
    agent for this server (or it went away for good): the caller carries on
    standalone (``printer.followed`` says whether it followed one first)."""
    path = agent_socket(settings)
    if path is None:
        return None
    loaded = asyncio.Event()
    ended = asyncio.Event()  # the session: only a new login helps
    #: While catching up, what the agent adds waits here (None: printed as it comes).
    held_back: list[NotificationAdded] | None = []

    def on_message(message: dict[str, Any]) -> None:
        if message.get("event") == "loaded":
            loaded.set()

    def on_event(event: ControllerEvent) -> None:
        if held_back is not None and isinstance(event, NotificationAdded):
            if not event.paged:  # an older page: never printed (see TailPrinter)
                held_back.append(event)
            return
        printer(event)  # a state that needs a login is printed as an error, as alone
        if isinstance(event, StateEvent) and event.code.needs_login:
            ended.set()

    link = await attach(path, on_event, on_message)
    failures = 0
    while link is not None:
        if held_back is None:
            held_back = []
        try:
            caught_up = await _catch_up(link, printer, settings, newest, loaded, stop, held_back)
        except OtherServer:
            await link.aclose()
            return None
        except (AgentLost, AgentRefused, LineError):
            caught_up = None
        if caught_up is not None:
            failures = 0
            held_back = None
            if caught_up.get("needs_login"):
                # It ended while this face was away: say so (a first attach
                # printed the agent's state already, this included).
                state = event_of({**caught_up, "event": "state"})
                if state is not None and printer.followed:
                    printer(state)
                ended.set()
            await _until_any(stop, link.lost, ended)
        else:
            failures += 1
        await link.aclose()
        if stop.is_set() or ended.is_set():
            return EXIT_SESSION if ended.is_set() else 0
        if failures >= FAILED_CATCH_UPS:
            break
        loaded.clear()
        printer.live = False  # what came meanwhile is caught up at re-attach
        link = await reattach(path, on_event, on_message, stop)
    return 0 if stop.is_set() else None


async def _catch_up(
    link: AgentLink,
    printer: TailPrinter,
    settings: Settings,
    backlog: int,
    loaded: asyncio.Event,
    stop: asyncio.Event,
    held_back: list[NotificationAdded],
) -> dict[str, Any] | None:
    """Hello, wait for the agent's first load, then print the backlog (first
    attach) or what was missed (re-attach), and what the agent added meanwhile;
    the agent's last answer (None: stopped, or the agent went away)."""
    answer = await link.request("hello", **hello("tail", watch=True))
    if answer.get("agent", {}).get("server") != settings.server:
        raise OtherServer  # `--server` asked for another one: this face runs alone
    if not printer.followed:  # as a standalone tail begins: with the connection's state
        state = event_of({**answer, "event": "state"})
        if state is not None:
            printer(state)
    if answer.get("needs_login"):
        return answer
    if not answer.get("loaded"):
        await _until_any(loaded, stop, link.lost)
        if stop.is_set() or link.lost.is_set():
            return None
    missed: list[Notification] = []
    if printer.printed.newest is not None:  # a re-attach, or a first one cut short
        since = format_timestamp(printer.printed.newest)
        answer = await link.request("rows", newer_than=since)
        missed = rows_of(answer)
    if not printer.followed:
        answer = await link.request("rows", limit=backlog)
        for n in reversed(rows_of(answer)):
            printer.notification(n, backlog=True)
        # What the agent holds now is not news to this face: oldest first, so
        # that the memory's floor rises only past rows older than all kept.
        answer = await link.request("ids", limit=PRINTED_MEMORY)
        # Pushed while this face was catching up: news, printed below, though
        # the agent holds them by now.
        pushed = {event.notification.id for event in held_back if event.live}
        try:
            for nid, created in reversed(answer.get("ids", [])):
                if nid not in pushed:
                    printer.printed.add_id(str(nid), parse_timestamp(created, "created_at"))
        except (ValueError, TypeError) as exc:
            raise LineError(f"a malformed id: {exc}") from None
        printer.followed = True
    # Printed once each (what is seen is skipped), oldest first.
    every = {n.id: n for n in [*missed, *(event.notification for event in held_back)]}.values()
    catch_up(printer, sorted(every, key=lambda n: n.sort_key, reverse=True))
    held_back.clear()
    printer.live = True
    return answer


async def _until_any(*events: asyncio.Event) -> None:
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
