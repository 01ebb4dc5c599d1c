"""Attaching a dashboard to the profile's agent, when one runs and will have it."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from tiri_tui import __version__
from tiri_tui.agent.attached import FIRST_ROWS, AttachedController
from tiri_tui.agent.link import REATTACH_INTERVAL, AgentLost, AgentRefused, attach, hello
from tiri_tui.agent.local_protocol import LineError
from tiri_tui.agent.mirroring import read_hello
from tiri_tui.sync.controller_settings import ControllerSettings
from tiri_tui.sync.events import ControllerEvent

log = logging.getLogger(__name__)


async def attach_dashboard(
    path: Path,
    server: str,
    settings: ControllerSettings,
    *,
    outbox_path: Path | None = None,
    patience: float = 0.0,
) -> AttachedController | None:
    """A dashboard attached to the agent listening at ``path``, if one is, it
    serves ``server`` and its session is live (None: the dashboard runs
    standalone). ``patience``: seconds to wait for an agent whose session
    ended to take up a new login (it looks every couple of seconds)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + patience
    while True:
        controller, ended = await _attach_once(path, server, settings, outbox_path)
        if controller is not None or not ended or loop.time() >= deadline:
            return controller
        await asyncio.sleep(REATTACH_INTERVAL)


async def _attach_once(
    path: Path, server: str, settings: ControllerSettings, outbox_path: Path | None
) -> tuple[AttachedController | None, bool]:
    """The attached dashboard (or None), and whether the agent's session ended."""
    early: list[ControllerEvent] = []  # what comes before the controller is made
    loaded: list[dict[str, Any]] = []
    link = await attach(path, early.append, loaded.append)
    if link is None:
        return None, False
    controller: AttachedController | None = None
    ended = False
    try:
        answer = await link.request("hello", **hello("dashboard", watch=True, limit=FIRST_ROWS))
        # An agent waiting for a login would only say that a login is needed.
        ended = bool(answer.get("needs_login"))
        if any(message.get("event") == "loaded" for message in loaded):
            answer = {**answer, "loaded": True}
        told = read_hello(answer, server, __version__)
        if isinstance(told, str):
            log.warning("not attaching to the agent: %s", told)
        elif not ended:
            controller = AttachedController(link, told, path, server, settings, early, outbox_path)
    except (AgentLost, AgentRefused, LineError) as exc:
        log.warning("not attaching to the agent: %s", exc)
    if controller is None:
        await link.aclose()
    return controller, ended
