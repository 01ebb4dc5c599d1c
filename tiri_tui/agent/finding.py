"""Finding the profile's agent again, for a dashboard whose agent went away.

It looks for as long as the dashboard's patience lasts
(:data:`~tiri_tui.agent.link.REATTACH_PATIENCE`): a dying agent's socket may
still take a connection and drop it, so only a refusal (another server's or
another version's agent) or the end of the patience is final. It then waits
until the agent holds its list again before it reads its snapshot: a
restarted agent listens before its cache is read, and what it holds then
would take every row away, and a mark handed over then would find no row.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tiri_tui import __version__
from tiri_tui.agent import link as agent_link
from tiri_tui.agent.link import AgentLink, AgentLost, AgentRefused, hello, reattach
from tiri_tui.agent.local_protocol import LineError
from tiri_tui.agent.mirroring import AgentHello, read_hello
from tiri_tui.sync.events import ControllerEvent

log = logging.getLogger(__name__)


class AgentFinder:
    """Finds the agent at ``path`` again (``loaded``: set when it says its
    list is in; ``stop``: the dashboard quits)."""

    def __init__(
        self,
        path: Path,
        server: str,
        on_event: Callable[[ControllerEvent], None],
        on_message: Callable[[dict[str, Any]], None],
        *,
        stop: asyncio.Event,
        loaded: asyncio.Event,
    ) -> None:
        self._path = path
        self._server = server
        self._on_event = on_event
        self._on_message = on_message
        self._stop = stop
        self._loaded = loaded

    async def find_again(
        self, rows: int, retrying: Callable[[], None]
    ) -> tuple[AgentHello, AgentLink] | None:
        """The agent, and its ``rows`` newest rows; None when none answers in
        time, or one answers that is not this dashboard's. ``retrying`` is
        called before each try (what an agent said before belongs to no
        snapshot of the next)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + agent_link.REATTACH_PATIENCE
        while not self._stop.is_set():
            retrying()
            self._loaded.clear()
            link = await reattach(
                self._path,
                self._on_event,
                self._on_message,
                self._stop,
                patience=max(0.0, deadline - loop.time()),
            )
            if link is None:
                return None
            told = await self._hello(link, rows)
            if isinstance(told, AgentHello):
                return told, link
            await link.aclose()
            if told is not None or loop.time() >= deadline:
                return None
        return None

    async def _hello(self, link: AgentLink, rows: int) -> AgentHello | str | None:
        """The agent's snapshot once it holds its list. Words: why it is not
        this dashboard's agent; None: it went away (or the dashboard quits)."""
        try:
            answer = await link.request("hello", **hello("dashboard", watch=True, limit=rows))
            if not answer.get("loaded") and not answer.get("needs_login"):
                waits = [
                    asyncio.ensure_future(event.wait())
                    for event in (link.lost, self._loaded, self._stop)
                ]
                try:
                    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for wait in waits:
                        wait.cancel()
                if self._stop.is_set():
                    return None  # quitting
                answer = {**answer, **await link.request("rows", limit=rows), "loaded": True}
        except (AgentLost, AgentRefused, LineError):
            return None
        told = read_hello(answer, self._server, __version__)
        if isinstance(told, str):
            log.warning("not attaching to the agent again: %s", told)
        return told
