"""The embedded Tiri demo backend (aiohttp): REST and WebSocket on one port.

It imports only the wire layer of the client, as a real server would share
nothing else with it.
"""

from tiri_tui.server.demo import DemoServer
from tiri_tui.server.seed import DEMO_EMAIL, DEMO_PASSWORD

__all__ = ["DEMO_EMAIL", "DEMO_PASSWORD", "DemoServer"]
