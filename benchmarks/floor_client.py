"""The delivery floor, run beside ours: a bare websockets client in its own
process that only receives and ``json.loads``, timing the very frames our
controller receives at the same moment (paired, so the machine's drift
between two sequential runs does not enter the ratio).

    python -m benchmarks.floor_client URL   prints "ready", then on any line
                                            on stdin prints its latencies' summary
"""

from __future__ import annotations

import asyncio
import json
import sys

from websockets.asyncio.client import connect

from benchmarks.common import summary_ms
from benchmarks.delivery import _token, bare_receive


async def main(url: str) -> None:
    token = await _token(url)
    latencies: list[float] = []
    ws_url = url.replace("http://", "ws://") + f"/ws/notifications/?token={token}"
    async with connect(ws_url, origin=url, compression=None) as ws:
        receiver = asyncio.create_task(bare_receive(ws, latencies))
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        receiver.cancel()
    print(json.dumps(summary_ms(latencies)), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
