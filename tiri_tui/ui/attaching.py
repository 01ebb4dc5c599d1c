"""Which controller a dashboard shows: the profile's agent's, when one runs.

A dashboard attaches to the agent (:mod:`tiri_tui.agent.attached`) unless
``--no-agent`` says not to, or the agent already went away for good in this
run; otherwise it opens its own, as it always did (and sends from the
profile's outbox what the agent never got, if it went away).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from tiri_tui.sync.controller_api import Controller, MirroredController

if TYPE_CHECKING:
    from tiri_tui.client import TiriClient

log = logging.getLogger(__name__)


#: After a login in the dashboard, how long an agent whose session had ended
#: is given to take it up (it looks every two seconds).
AGENT_LOGIN_PATIENCE = 5.0


async def open_controller(
    client: TiriClient, *, attach: bool, after_login: bool = False
) -> Controller:
    """The agent's list for this dashboard, or its own controller."""
    if attach and not client.settings.no_agent:
        patience = AGENT_LOGIN_PATIENCE if after_login else 0.0
        attached = await attached_controller(client, patience=patience)
        if attached is not None:
            return attached
    return client.open_controller()


async def attached_controller(
    client: TiriClient, *, patience: float = 0.0
) -> MirroredController | None:
    """The agent's list, if an agent of this profile serves this server."""
    from tiri_tui.agent.endpoint import agent_socket

    def listening() -> Path | None:  # a stat or two: off the loop
        path = agent_socket(client.settings)
        return path if path is not None and path.exists() else None

    path = await asyncio.to_thread(listening)
    if path is None:
        return None  # no agent: nothing more is imported on the way to the first paint
    from tiri_tui.agent.attach import attach_dashboard

    return await attach_dashboard(
        path,
        client.settings.server,
        client.controller_settings,
        outbox_path=client.outbox_path(),
        patience=patience,
    )
