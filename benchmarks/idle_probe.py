"""Child process for the idle figure: the dashboard connected, no traffic; CPU over a window.

python -m benchmarks.idle_probe SERVER_URL SECONDS
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import dashboard_app
from tiri_tui.client import TiriClient
from tiri_tui.connection.policy import ConnectionState
from tiri_tui.server import DEMO_EMAIL, DEMO_PASSWORD
from tiri_tui.settings.config import Settings


async def main(url: str, seconds: float) -> None:
    with tempfile.TemporaryDirectory() as home:
        client = TiriClient(Settings(server=url, home=Path(home)))
        await client.auth.login(DEMO_EMAIL, DEMO_PASSWORD)
        app = dashboard_app(client, bell=False)
        async with app.run_test(size=(120, 40)):
            while app.controller is None or app.controller.state is not ConnectionState.CONNECTED:
                await asyncio.sleep(0.05)
            await asyncio.sleep(1.0)  # let start-up work settle
            cpu0, wall0 = time.process_time(), time.perf_counter()
            await asyncio.sleep(seconds)
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            state = app.controller.state.value
        await client.aclose()
    print(json.dumps({"cpu_percent": 100 * cpu / wall, "seconds": wall, "state": state}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], float(sys.argv[2])))
