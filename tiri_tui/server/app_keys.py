"""What the demo server's handlers find in the aiohttp application: its state,
what the notifications are about, its hub and its fault switches (never the
server object itself)."""

from __future__ import annotations

from aiohttp import web

from tiri_tui.server.faults import Faults
from tiri_tui.server.hub import Hub
from tiri_tui.server.state import ServerState
from tiri_tui.server.world import World

STATE: web.AppKey[ServerState] = web.AppKey("tiri_state", ServerState)
HUB: web.AppKey[Hub] = web.AppKey("tiri_hub", Hub)
FAULTS: web.AppKey[Faults] = web.AppKey("tiri_faults", Faults)
WORLD: web.AppKey[World] = web.AppKey("tiri_world", World)
